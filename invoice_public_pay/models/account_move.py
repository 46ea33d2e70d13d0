from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        # EXTENDS account: every customer with a posted invoice has a pay link, so
        # that printing or emailing the invoice never has to write one.
        posted = super()._post(soft=soft)
        customer_invoices = posted.filtered(lambda move: move.is_sale_document(include_receipts=True))
        if customer_invoices:
            self.env["invoice.pay.link"]._ensure_for_partners(customer_invoices.commercial_partner_id)
        return posted

    def _invoice_pay_demo_register_payment(self, amount):
        """Register a payment of ``amount`` on the invoice (demo data: a partly paid invoice)."""
        self.ensure_one()
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.ids
        ).create({"amount": amount, "payment_date": self.invoice_date})
        wizard.action_create_payments()
