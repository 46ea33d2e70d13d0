from odoo import models


class InvoicePayLink(models.Model):
    """What the page shows of a payment whose booking is left to the cron (see payment_transaction.py)."""

    _inherit = "invoice.pay.link"

    def _get_payment_result(self, transaction_id):
        """A payment confirmed but not booked yet is shown as being processed: no success before the books.

        (The page may already say so itself: then this changes nothing.)
        """
        result = super()._get_payment_result(transaction_id)
        if result and result["state"] == "done" and result["transaction"]._invoice_pay_booking_pending():
            result = {**result, "state": "pending"}
        return result

    def _get_receipt_transaction(self, transaction_id):
        """No receipt before the payment is booked: it would show nothing applied."""
        transaction = super()._get_receipt_transaction(transaction_id)
        if transaction and transaction._invoice_pay_booking_pending():
            return None
        return transaction
