from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestPayPageTour(InvoicePayPaymentCommon, HttpCase):
    """A customer on a phone pays with the demo provider's test cards: debit (no surcharge), then credit."""

    browser_size = "375x812"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Card, with a 3 % surcharge on credit cards, next to the demo method, which has no fee.
        cls._enable_card_surcharge()

    def test_pay_two_invoices_on_a_phone(self):
        self.start_tour(f"{self.base_path}/invoices", "invoice_public_pay_pay_invoices")
        transactions = self.env["payment.transaction"].sudo().search(
            [("invoice_pay_link_id.partner_id", "=", self.customer.id)], order="id",
        )
        self.assertEqual(
            [(tx.state, tx.invoice_pay_card_funding, tx.invoice_pay_fee, tx.amount) for tx in transactions],
            [("done", "debit", 0.0, 500.25), ("done", "credit", 4.5, 154.75)],
        )
        self.assertAlmostEqual(self.invoice_old.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_new.amount_residual, 1000.0)
