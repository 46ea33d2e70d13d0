from markupsafe import escape

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import InvoicePayPaymentCommon

NOTE = "PO 4512 <b>short paid</b>: 2 crates damaged"


@tagged("post_install", "-at_install")
class TestRemittanceNote(InvoicePayPaymentCommon, HttpCase):
    """The customer's note on a payment: memo, receipt, confirmation email, chatter."""

    def test_the_note_goes_wherever_the_payment_is_shown(self):
        transaction = self._pay([self._alloc(self.invoice_old, "150.00")], note=f"  {NOTE}\n ")
        self.assertEqual(transaction.state, "done")
        self.assertEqual(transaction.invoice_pay_note, NOTE, "kept as typed, on one line")
        self.assertIn(NOTE, transaction.payment_id.memo)
        escaped = str(escape(NOTE))
        receipt = self.url_open(f"{self.base_path}/receipt/{transaction.id}")
        self.assertEqual(receipt.status_code, 200)
        self.assertIn(escaped, receipt.text, "plain text: the markup is shown, never interpreted")
        mail = self.env["mail.mail"].sudo().search(
            [("model", "=", "payment.transaction"), ("res_id", "=", transaction.id)]
        )
        self.assertIn(escaped, mail.body_html)
        self.assertTrue(
            self.invoice_old.message_ids.filtered(lambda message: escaped in str(message.body)),
            "the invoice's chatter shows the note",
        )
        self.assertTrue(self.customer.message_ids.filtered(lambda message: escaped in str(message.body)))

    def test_no_note_no_line(self):
        transaction = self._pay([self._alloc(self.invoice_old, "150.00")])
        self.assertFalse(transaction.invoice_pay_note)
        self.assertEqual(transaction.payment_id.memo, f"{transaction.reference} - {transaction.provider_reference}")
        self.assertNotIn("o_invoice_pay_receipt_note", self.url_open(f"{self.base_path}/receipt/{transaction.id}").text)

    def test_a_note_over_200_characters_is_refused(self):
        params = self._transaction_params([self._alloc(self.invoice_old, "150.00")], note="x" * 201)
        with mute_logger("odoo.http"):
            result, error = self._rpc(f"{self.base_path}/transaction", params)
        self.assertIsNone(result)
        self.assertIn("please keep it to 200 characters", error)
        with mute_logger("odoo.http"):
            _result, error = self._rpc(f"{self.base_path}/transaction", {**params, "note": {"html": "x"}})
        self.assertIn("The note could not be read", error)
        self.assertFalse(self.env["payment.transaction"].sudo().search([("invoice_pay_link_id", "=", self._link().id)]))
        transaction = self._start_payment([self._alloc(self.invoice_old, "150.00")], note="é" * 200)
        self.assertEqual(len(transaction.invoice_pay_note), 200)
