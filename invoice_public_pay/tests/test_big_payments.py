from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..models import payment_transaction
from .common import InvoicePayPaymentCommon

BOOKING_CRON_XMLID = "invoice_public_pay.ir_cron_book_invoice_pay_payments"


@tagged("post_install", "-at_install")
class TestBigPayments(InvoicePayPaymentCommon, HttpCase):
    """A page payment over more invoices than a request may book is booked by a cron, exactly once.

    The threshold is lowered to two invoices: the three invoices of the common set-up
    then make a big payment.
    """

    def setUp(self):
        super().setUp()
        patcher = patch.object(payment_transaction, "BOOK_IN_CRON_ABOVE_INVOICES", 2)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.invoices = self.invoice_old | self.invoice_mid | self.invoice_new
        self.booking_cron = self.env.ref(BOOKING_CRON_XMLID)

    def _allocations(self):
        return [
            self._alloc(self.invoice_old, 400),
            self._alloc(self.invoice_mid, "250.50"),
            self._alloc(self.invoice_new, "0.99"),  # in part
        ]

    def _pay_and_poll(self, allocations=None):
        """The customer pays (demo provider) and Odoo's status page polls, as in the browser."""
        transaction = self._start_payment(allocations or self._allocations())
        self._rpc("/payment/demo/simulate_payment", {
            "reference": transaction.reference, "payment_details": "4242", "simulated_state": "done",
        })
        # The status page post-processes the transaction the session follows.
        result, error = self._rpc("/payment/status/poll", {})
        self.assertFalse(error, error)
        self.env.invalidate_all()
        return transaction, result

    def _cron_triggers(self):
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", self.booking_cron.id)])

    def _payments_of(self, transaction):
        return self.env["account.payment"].sudo().search([("payment_transaction_id", "=", transaction.id)])

    def _run_odoo_post_processing_cron(self):
        """Odoo's own post-processing cron, as its scheduled action runs it (root; its commits kept in the test)."""
        with patch.object(self.env.cr, "commit", lambda: None):
            self.env["payment.transaction"].sudo()._cron_post_process()
        self.env.invalidate_all()

    def _run_booking_cron(self):
        self.env["payment.transaction"]._cron_invoice_pay_book_payments()
        self.env.invalidate_all()

    def _assert_booked_once(self, transaction):
        self.assertTrue(transaction.is_post_processed)
        payments = self._payments_of(transaction)
        self.assertEqual(len(payments), 1, "one payment")
        self.assertEqual(transaction.payment_id, payments)
        self.assertIn(payments.state, ("in_process", "paid"))
        expected = {self.invoice_old: (400, 0), self.invoice_mid: (250.5, 0), self.invoice_new: (0.99, 999.01)}
        for invoice, (applied, residual) in expected.items():
            self.assertAlmostEqual(invoice.amount_residual, residual, msg=invoice.name)
            partials = invoice.line_ids.matched_credit_ids.filtered(
                lambda p, move=payments.move_id: p.credit_move_id.move_id == move
            )
            self.assertAlmostEqual(sum(partials.mapped("amount")), applied, msg=invoice.name)
            self.assertEqual(len(partials.credit_move_id), 1, "one payment line per invoice")
        term_lines = (self.invoice_old | self.invoice_mid).line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        self.assertTrue(all(term_lines.mapped("reconciled")), "paid in full: reconciled")
        self.assertEqual(len(self._events(event="payment_made")), 1, "one payment made in the history")

    def test_poll_leaves_a_big_payment_to_the_cron_and_the_page_shows_it_processing(self):
        transaction, result = self._pay_and_poll()
        self.assertEqual(result["state"], "done", "the provider's answer, for Odoo's status page to go on")
        self.assertEqual(transaction.state, "done")
        self.assertFalse(transaction.is_post_processed, "not booked in the customer's request")
        self.assertFalse(self._payments_of(transaction))
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)
        self.assertTrue(self._cron_triggers(), "the booking cron is started")
        self.assertFalse(self._events(event="payment_made"), "no payment made before it is booked")
        self.assertFalse(transaction.invoice_pay_confirmation_pending, "no confirmation before it is booked")
        # The page the customer lands on says the payment is being processed: no success, no failure.
        self.assertEqual(self._link()._get_payment_result(transaction.id)["state"], "processing")
        page = self.url_open(transaction.landing_route).text
        self.assertIn("Payment processing", page)
        self.assertNotIn("Payment successful", page)
        self.assertNotIn("Payment not completed", page)
        self.assertNotIn(f"{self.base_path}/receipt/{transaction.id}", page)
        self.assertEqual(self.url_open(f"{self.base_path}/receipt/{transaction.id}").status_code, 404,
                         "no receipt before the books are right")
        # Polling again books nothing either.
        result, _error = self._rpc("/payment/status/poll", {})
        self.env.invalidate_all()
        self.assertFalse(transaction.is_post_processed)
        self.assertFalse(self._payments_of(transaction))

    def test_the_cron_books_every_invoice_once_then_the_confirmation_goes(self):
        transaction, _result = self._pay_and_poll()
        self._run_booking_cron()
        self._assert_booked_once(transaction)
        self.assertTrue(transaction.invoice_pay_confirmation_pending, "the confirmation email is queued")
        page = self.url_open(transaction.landing_route).text
        self.assertIn("Payment successful", page)
        self.assertIn(f"{self.base_path}/receipt/{transaction.id}", page)
        # The cron again, the status page's poll again, Odoo's own post-processing cron: nothing twice.
        self._run_booking_cron()
        self._rpc("/payment/status/poll", {})
        self._run_odoo_post_processing_cron()
        self._assert_booked_once(transaction)
        self.env["payment.transaction"]._cron_send_invoice_pay_confirmations()
        confirmations = self.env["mail.mail"].sudo().search(
            [("model", "=", "payment.transaction"), ("res_id", "=", transaction.id)]
        )
        self.assertEqual(len(confirmations), 1, "one confirmation email, with the receipt")

    def test_odoo_post_processing_cron_first_books_once(self):
        transaction, _result = self._pay_and_poll()
        # Odoo's cron runs outside any request: it may book it; ours then finds nothing left.
        self._run_odoo_post_processing_cron()
        self._assert_booked_once(transaction)
        self._run_booking_cron()
        self._assert_booked_once(transaction)

    def test_a_payment_locked_by_another_booking_is_skipped(self):
        transaction, _result = self._pay_and_poll()
        with patch.object(
            type(self.env["payment.transaction"]), "_invoice_pay_lock_for_booking",
            lambda transactions: transactions.browse(),
        ):
            self._run_booking_cron()
        self.assertFalse(transaction.is_post_processed, "another run holds it: left to that one")
        self.assertFalse(self._payments_of(transaction))
        self._run_booking_cron()
        self._assert_booked_once(transaction)

    def test_the_scheduled_action_books_and_commits(self):
        transaction, _result = self._pay_and_poll()
        self.env.flush_all()
        result = self.booking_cron.sudo().method_direct_trigger()
        self.assertIs(result, True)
        self.env.invalidate_all()
        self._assert_booked_once(transaction)

    def test_a_payment_at_the_threshold_is_booked_in_the_request(self):
        allocations = [self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "250.50")]
        transaction, _result = self._pay_and_poll(allocations)
        self.assertTrue(transaction.is_post_processed)
        self.assertTrue(transaction.payment_id)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 0.0)
        self.assertFalse(self._cron_triggers())
        self.assertIn("Payment successful", self.url_open(transaction.landing_route).text)

    def test_no_refund_before_the_booking(self):
        transaction, _result = self._pay_and_poll()
        self.assertFalse(transaction.is_post_processed)
        with self.assertRaisesRegex(UserError, "not booked on its invoices yet"):
            transaction.action_refund(amount_to_refund=10.0)
        self.assertFalse(transaction.child_transaction_ids, "no refund made")
        self._run_booking_cron()
        self._assert_booked_once(transaction)

    def test_odoo_cron_books_it_in_the_customers_name(self):
        transaction, _result = self._pay_and_poll()
        self._run_odoo_post_processing_cron()
        self._assert_booked_once(transaction)
        notes = self.invoice_old.message_ids.filtered(lambda message: transaction.reference in (message.body or ""))
        self.assertTrue(notes)
        self.assertEqual(notes.author_id, transaction.partner_id, "the customer's payment, not OdooBot's")
