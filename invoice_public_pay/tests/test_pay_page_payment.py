from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestPayPagePayment(InvoicePayPaymentCommon, HttpCase):
    """Payments land exactly on the invoices and amounts the customer chose."""

    def _receivable_lines(self, payment):
        return payment.move_id.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

    def _assert_lands_exactly(self, transaction, expected):
        """``expected``: {invoice: (amount applied, residual after)}."""
        self.assertEqual(transaction.state, "done")
        payment = transaction.payment_id
        self.assertTrue(payment, "a payment is posted")
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertEqual(payment.amount, transaction.amount)
        self.assertEqual(payment.partner_id, self.customer)
        for invoice, (applied, residual) in expected.items():
            self.assertAlmostEqual(invoice.amount_residual, residual, msg=invoice.name)
            allocation = transaction.invoice_pay_allocation_ids.filtered(lambda a, inv=invoice: a.invoice_id == inv)
            self.assertAlmostEqual(allocation.amount_applied, applied)
            self.assertAlmostEqual(allocation.invoice_residual_after, residual)
            # The payment line made for this invoice is reconciled with it, for exactly that amount.
            partials = invoice.line_ids.matched_credit_ids.filtered(
                lambda p: p.credit_move_id.move_id == payment.move_id
            )
            self.assertAlmostEqual(sum(partials.mapped("amount")), applied, msg=invoice.name)
            self.assertEqual(len(partials.credit_move_id), 1, "one payment line per invoice")
        receivables = self._receivable_lines(payment)
        self.assertEqual(len(receivables), len([a for a, _r in expected.values() if a]))
        return payment

    def test_full_payment_of_two_invoices(self):
        transaction = self._pay([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_new, "1000.00")])
        self._assert_lands_exactly(transaction, {self.invoice_old: (400, 0), self.invoice_new: (1000, 0)})
        self.assertIn(self.invoice_old.payment_state, ("in_payment", "paid"))
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 250.5, msg="untouched")
        self.assertEqual(transaction.invoice_pay_unapplied_amount, 0)

    def test_partial_payment(self):
        transaction = self._pay([self._alloc(self.invoice_mid, "100.00")])
        self._assert_lands_exactly(transaction, {self.invoice_mid: (100, 150.5)})
        self.assertEqual(self.invoice_mid.payment_state, "partial")

    def test_mixed_full_and_partial_payment_not_in_odoo_order(self):
        # Odoo's own reconciliation would fill the oldest invoice first; the customer
        # chose a part of the newest one and all of the middle one.
        transaction = self._pay([self._alloc(self.invoice_new, "0.99"), self._alloc(self.invoice_mid, 250.5)])
        self._assert_lands_exactly(transaction, {
            self.invoice_new: (0.99, 999.01), self.invoice_mid: (250.5, 0),
        })
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)

    def test_history_confirmation_and_notification(self):
        self.customer.user_id = self.manager_user
        transaction = self._pay([self._alloc(self.invoice_old, 400)])
        made = self._events(event="payment_made")
        self.assertEqual(len(made), 1)
        self.assertEqual(made.transaction_id, transaction)
        self.assertEqual(made.amount, 400.0)
        self.assertEqual(made.currency_id, transaction.currency_id)
        mail = self.env["mail.mail"].sudo().search([("model", "=", "payment.transaction"), ("res_id", "=", transaction.id)])
        self.assertEqual(len(mail), 1, "the customer gets one confirmation email")
        self.assertIn(self.invoice_old.name, mail.body_html)
        self.assertIn(self.customer, mail.recipient_ids)
        note = self.customer.message_ids.filtered(lambda m: transaction.reference in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn(self.manager_user.partner_id, note.partner_ids, "the salesperson is notified")

    def test_post_processing_twice_posts_one_payment(self):
        transaction = self._pay([self._alloc(self.invoice_old, 400)])
        payment = transaction.payment_id
        transaction.is_post_processed = False
        transaction._post_process()
        transaction._post_process()
        self.assertEqual(transaction.payment_id, payment)
        self.assertEqual(self.env["account.payment"].search_count([("payment_transaction_id", "=", transaction.id)]), 1)
        self.assertEqual(len(self._events(event="payment_made")), 1)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 0.0)

    def test_two_tabs_paying_the_same_invoice_never_over_reconcile(self):
        first = self._start_payment([self._alloc(self.invoice_old, 400)])
        second = self._start_payment([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, 50)])
        self._finish_payment(first)
        self._finish_payment(second)
        self.assertEqual(self.invoice_old.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 200.5)
        self.assertAlmostEqual(second.invoice_pay_unapplied_amount, 400.0)
        # What could not be applied stays open on the customer's account, visible to accounting.
        open_credit = self._receivable_lines(second.payment_id).filtered(lambda line: not line.reconciled)
        self.assertAlmostEqual(sum(open_credit.mapped("amount_residual")), -400.0)
        self.assertTrue(any("could not be applied" in (m.body or "") for m in self.customer.message_ids))
        self.assertEqual(self.invoice_old.line_ids.filtered(lambda l: l.display_type == "payment_term").amount_residual, 0.0)

    def test_invoice_paid_in_back_office_while_customer_pays(self):
        transaction = self._start_payment([self._alloc(self.invoice_mid, 250.5)])
        self._register_payment(self.invoice_mid, amount=200.0)
        self._finish_payment(transaction)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 0.0)
        allocation = transaction.invoice_pay_allocation_ids
        self.assertAlmostEqual(allocation.amount_applied, 50.5)
        self.assertAlmostEqual(transaction.invoice_pay_unapplied_amount, 200.0)
        self.assertAlmostEqual(transaction.payment_id.amount, 250.5, msg="the money received is all booked")

    def test_failed_and_cancelled_payments_change_no_invoice(self):
        for state in ("error", "cancel"):
            with self.subTest(state=state):
                transaction = self._pay([self._alloc(self.invoice_old, 400)], state=state)
                self.assertEqual(transaction.state, state)
                self.assertFalse(transaction.payment_id)
                self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)
                failed = self._events(event="payment_failed").filtered(lambda a, tx=transaction: a.transaction_id == tx)
                self.assertEqual(len(failed), 1)

    def test_pending_payment_changes_nothing_until_done(self):
        transaction = self._pay([self._alloc(self.invoice_old, 120)], state="pending")
        self.assertEqual(transaction.state, "pending")
        self.assertFalse(transaction.payment_id)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)
        self.assertEqual(len(self._events(event="payment_pending")), 1)
        self._finish_payment(transaction, state="done")
        self.assertAlmostEqual(self.invoice_old.amount_residual, 280.0)
        self.assertEqual(len(self._events(event="payment_made")), 1)

    def test_foreign_currency_invoice(self):
        euro = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self.demo_provider.available_currency_ids = False
        euro_invoice = self._customer_invoice(300.0, currency=euro)
        transaction = self._pay([self._alloc(euro_invoice, "120.00")])
        self.assertEqual(transaction.currency_id, euro)
        self.assertAlmostEqual(euro_invoice.amount_residual, 180.0)
        self.assertEqual(euro_invoice.payment_state, "partial")

    def test_receipt_route(self):
        transaction = self._pay([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "50.00")])
        response = self.url_open(f"{self.base_path}/receipt/{transaction.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Payment Receipt", response.text)
        self.assertIn(self.invoice_old.name, response.text)
        self.assertIn("450.00", response.text)
        self.assertIn("200.50", response.text, "remaining due of the partly paid invoice")
        # Someone else's link, a transaction not done, or garbage: 404.
        other_path = f"/invoice-pay/{self._token_of(self.other_customer._invoice_pay_ensure_url())}"
        self.assertEqual(self.url_open(f"{other_path}/receipt/{transaction.id}").status_code, 404)
        pending = self._pay([self._alloc(self.invoice_new, 10)], state="pending")
        self.assertEqual(self.url_open(f"{self.base_path}/receipt/{pending.id}").status_code, 404)
        self.assertEqual(self.url_open(f"{self.base_path}/receipt/999999999").status_code, 404)

    def test_landing_back_from_payment_shows_the_result(self):
        transaction = self._pay([self._alloc(self.invoice_old, 400)])
        page = self.url_open(transaction.landing_route).text
        self.assertIn("Payment successful", page)
        self.assertIn(f"{self.base_path}/receipt/{transaction.id}", page)
        self.assertNotIn(f'data-invoice-id="{self.invoice_old.id}"', page, "the paid invoice is no longer listed")
        self.assertIn(f'data-invoice-id="{self.invoice_mid.id}"', page)
        failed = self._pay([self._alloc(self.invoice_mid, 10)], state="error")
        self.assertIn("Payment not completed", self.url_open(failed.landing_route).text)
        # Another customer's transaction id is ignored.
        other_path = f"/invoice-pay/{self._token_of(self.other_customer._invoice_pay_ensure_url())}"
        self.assertNotIn("Payment successful", self.url_open(f"{other_path}/invoices?tx={transaction.id}").text)
