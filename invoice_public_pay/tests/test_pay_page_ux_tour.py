from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestPayPageUxTour(InvoicePayPaymentCommon, HttpCase):
    """The same customer journey on a phone and at a desk: readable text and tap targets, a
    payment still processing, "Select all", an amount written the wrong way, one Pay button,
    paying by credit card and what the page shows afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Card, with a 3 % surcharge on credit cards, next to the demo method, which has no fee.
        cls._enable_card_surcharge()

    def _run_tour(self, browser_size, touch_enabled):
        self.browser_size = browser_size
        self.touch_enabled = touch_enabled
        # The oldest invoice has 100.00 of a payment the provider has not confirmed yet.
        pending = self._pay([self._alloc(self.invoice_old, 100)], state="pending")
        self.assertEqual(pending.state, "pending")
        self.start_tour(f"{self.base_path}/invoices", "invoice_public_pay_pay_page_ux")
        transactions = self.env["payment.transaction"].sudo().search(
            [("invoice_pay_link_id.partner_id", "=", self.customer.id)], order="id",
        )
        self.assertEqual(transactions[0], pending)
        self.assertEqual(
            [(tx.state, tx.amount, tx.invoice_pay_fee, tx.invoice_pay_card_funding) for tx in transactions],
            [("pending", 100.0, 0.0, False), ("done", 412.25, 12.0, "credit")],
            "the pending payment is untouched; one card payment of the amounts chosen and the surcharge",
        )
        paid = transactions[1]
        self.assertTrue(paid.is_post_processed)
        self.assertEqual(
            [(allocation.invoice_id, allocation.amount, allocation.amount_applied)
             for allocation in paid.invoice_pay_allocation_ids.sorted("sequence")],
            [(self.invoice_old, 300.0, 300.0), (self.invoice_mid, 100.25, 100.25)],
        )
        payment = paid.payment_id
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertEqual(payment.amount, 412.25)
        fee_lines = paid.invoice_pay_settlement_line_ids.filtered(lambda line: line.kind == "fee")
        self.assertEqual(sum(fee_lines.mapped("amount")), 12.0, "the surcharge is booked apart, as income")
        # The processing 100.00 is not booked yet: the oldest invoice still owes it.
        self.assertAlmostEqual(self.invoice_old.amount_residual, 100.0)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 150.25)
        self.assertAlmostEqual(self.invoice_new.amount_residual, 1000.0)
        self.assertEqual(
            (self.invoice_old + self.invoice_mid + self.invoice_new).mapped("payment_state"),
            ["partial", "partial", "not_paid"],
        )

    def test_on_a_phone(self):
        self._run_tour("375x812", touch_enabled=True)

    def test_at_a_desk(self):
        self._run_tour("1366x768", touch_enabled=False)
