from . import invoice_pay_link
from . import invoice_pay_checkout
from . import invoice_pay_link_activity
from . import invoice_pay_allocation
from . import payment_transaction
from . import res_partner
from . import account_move
