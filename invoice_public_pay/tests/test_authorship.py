from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestAuthorship(InvoicePayPaymentCommon, HttpCase):
    """Notes the pay page leaves are the customer's, as in Odoo's ``account_payment``, not the public user's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.public_partner = cls.env.ref("base.public_user").sudo().partner_id

    def _new_messages(self, records, before):
        return records.message_ids.filtered(lambda message: message.id > before)

    def test_invoice_and_customer_notes_are_authored_by_the_customer(self):
        last_message = self.env["mail.message"].search([], order="id desc", limit=1).id
        # The page's visitor (public user) pays; meanwhile accounting registers part of one invoice,
        # so that part of the payment cannot be applied and is noted on the customer.
        transaction = self._start_payment([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, 50)])
        self._register_payment(self.invoice_old, amount=100.0)
        self._finish_payment(transaction)
        self.assertEqual(transaction.state, "done")
        self.assertEqual(transaction.partner_id, self.customer, "a visitor pays in the customer's name")
        self.assertAlmostEqual(transaction.invoice_pay_unapplied_amount, 100.0)
        invoice_notes = self._new_messages(self.invoice_old | self.invoice_mid, last_message).filtered(
            lambda message: transaction.reference in (message.body or "")
        )
        self.assertTrue(invoice_notes, "the payments are noted on the invoices")
        self.assertEqual(invoice_notes.author_id, self.customer)
        customer_notes = self._new_messages(self.customer, last_message).filtered(
            lambda message: message.message_type in ("comment", "notification")
        )
        payment_notes = customer_notes.filtered(lambda message: transaction.reference in (message.body or ""))
        unapplied_notes = customer_notes.filtered(lambda message: "could not be applied" in (message.body or ""))
        self.assertEqual(len(payment_notes), 1)
        self.assertEqual(len(unapplied_notes), 1)
        self.assertEqual((payment_notes | unapplied_notes).author_id, self.customer)
        self.assertNotIn(self.public_partner, (invoice_notes | customer_notes).author_id)
