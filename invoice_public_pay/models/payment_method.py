from odoo import models

CARD_METHOD_CODE = "card"


class PaymentMethod(models.Model):
    _inherit = "payment.method"

    def _invoice_pay_is_card(self):
        """Whether payments with this method are card payments (the Card method or a card brand)."""
        self.ensure_one()
        return (self.primary_payment_method_id or self).code == CARD_METHOD_CODE
