from odoo import models

#: Methods whose payments are card payments, where card-network rules apply: Odoo's
#: Card (and the brands under it), domestic card schemes that are methods of their own,
#: and the wallets that pay with a card (Apple Pay, Google Pay, Samsung Pay).
CARD_METHOD_CODES = frozenset({
    "card", "bancontact", "benefit", "cartes_bancaires", "eftpos", "knet", "mada", "meeza", "napas_card",
    "naps", "omannet", "premium_card", "uatp", "apple_pay", "google_pay", "samsung_pay",
})


class PaymentMethod(models.Model):
    _inherit = "payment.method"

    def _invoice_pay_is_card(self):
        """Whether payments with this method are card payments (a card, a card brand or a card wallet)."""
        self.ensure_one()
        return (self.primary_payment_method_id or self).code in CARD_METHOD_CODES
