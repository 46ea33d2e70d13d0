from . import test_pay_link
from . import test_pay_link_access
from . import test_pay_link_mail
from . import test_public_landing
from . import test_pay_link_tour
from . import test_pay_page_quote
from . import test_pay_page_payment
from . import test_pay_page_views
