from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestCreditTour(InvoicePayPaymentCommon, HttpCase):
    """A customer on a phone applies a credit note to two invoices, then pays the rest of one."""

    browser_size = "375x812"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._enable_card_surcharge()
        cls.env.company.invoice_pay_allow_credits = True
        cls.credit_note = cls._customer_invoice(150.0, move_type="out_refund")

    def test_apply_a_credit_then_pay_the_rest_on_a_phone(self):
        self.start_tour(f"{self.base_path}/invoices", "invoice_public_pay_apply_credit")
        self.assertAlmostEqual(self.credit_note.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 200.5)
        transaction = self.env["payment.transaction"].sudo().search(
            [("invoice_pay_link_id.partner_id", "=", self.customer.id)],
        )
        self.assertEqual((transaction.state, transaction.amount), ("done", 300.0))
        self.assertEqual(self._events(event="credit_applied").amount, 150.0)
