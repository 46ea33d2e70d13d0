from . import invoice_pay_link
from . import invoice_pay_link_activity
from . import res_partner
from . import account_move
