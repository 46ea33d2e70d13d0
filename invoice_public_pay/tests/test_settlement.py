import importlib.util
from pathlib import Path

from lxml import html

from odoo import fields
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import InvoicePayPaymentCommon

MIGRATION = Path(__file__).parent.parent / "migrations" / "19.0.1.1.0" / "post-migrate.py"


def _load_migration():
    """The 19.0.1.1.0 migration script, whose folder name is not a Python package name."""
    spec = importlib.util.spec_from_file_location("invoice_pay_migration_19_0_1_1_0", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


@tagged("post_install", "-at_install")
class TestSettlementBooking(InvoicePayPaymentCommon, HttpCase):
    """Every confirmation of a page payment lands on the chosen invoices, the fee and the rest.

    The customer chooses 0.99 on the oldest invoice and 250.50 on the next one and
    pays a 3 % fee: 7.54 (251.49 * 3 % = 7.5447), 259.03 in all.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_rule = cls.env["invoice.pay.fee.rule"].create({
            "name": "Demo card fee",
            "payment_method_ids": [Command.set(cls.demo_method.ids)],
            "fee_kind": "service",
            "percentage": 3.0,
        })
        cls.fee_account = cls.fee_rule.account_id
        cls.allocations = [cls._alloc(cls.invoice_old, "0.99"), cls._alloc(cls.invoice_mid, "250.50")]

    def _pay_with_fee(self, allocations=None, state="done"):
        allocations = allocations or self.allocations
        quote, error = self._rpc(f"{self.base_path}/quote", {
            "allocations": allocations, "payment_method_id": self.demo_method.id, "provider_id": self.demo_provider.id,
        })
        self.assertFalse(error)
        return self._pay(allocations, state=state, fee_signature=quote["fee_signature"])

    def _authorize(self):
        self.demo_provider.capture_manually = True
        transaction = self._pay_with_fee()
        self.assertEqual(transaction.state, "authorized")
        self.assertEqual(transaction.amount, 259.03)
        self.assertFalse(transaction.payment_id, "nothing is booked before the capture")
        return transaction

    def _capture(self, transaction, amount, void_rest=False):
        wizard = self.env["payment.capture.wizard"].with_context(
            active_model="payment.transaction", active_ids=transaction.ids,
        ).create({"amount_to_capture": amount, "void_remaining_amount": void_rest})
        wizard.action_capture()
        # What Odoo's post-processing cron does for the captures and their source.
        family = transaction | transaction.child_transaction_ids
        family.filtered(lambda tx: not tx.is_post_processed)._post_process()
        self.env["payment.transaction"]._cron_send_invoice_pay_confirmations()
        captures = transaction.child_transaction_ids.filtered(lambda tx: tx.state == "done")
        return captures.sorted("id")[-1:]

    def _lines_on(self, payments, account):
        return payments.move_id.line_ids.filtered(lambda line: line.account_id == account)

    def _receipt_text(self, transaction):
        report = transaction._invoice_pay_get_receipt_report()
        content, _report_type = self.env["ir.actions.report"]._render_qweb_html(report, transaction.ids)
        return " ".join(html.fromstring(content).text_content().split())

    def test_full_manual_capture_books_like_an_automatic_payment(self):
        transaction = self._authorize()
        capture = self._capture(transaction, 259.03)
        self.assertEqual(transaction.state, "done")
        self.assertEqual(capture.amount, 259.03)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 399.01)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_new.amount_residual, 1000.0)
        fee_lines = self._lines_on(capture.payment_id, self.fee_account)
        self.assertAlmostEqual(sum(fee_lines.mapped("credit")), 7.54, msg="the fee is booked as income")
        self.assertEqual(
            transaction.invoice_pay_allocation_ids.mapped("amount_applied"), [0.99, 250.5],
            "the transaction's allocations show what the capture applied",
        )
        receipt = self._receipt_text(capture)
        for expected in (self.invoice_old.name, "0.99", self.invoice_mid.name, "250.50", "7.54", "259.03"):
            self.assertIn(expected, receipt)
        made = self._events(event="payment_made")
        self.assertEqual(len(made), 1, "one payment made in the link's history, not one per transaction")
        self.assertAlmostEqual(made.amount, 259.03)
        self.assertTrue(self.env["mail.mail"].search([
            ("model", "=", "payment.transaction"), ("res_id", "in", (transaction | capture).ids),
        ]), "the customer's confirmation email follows the capture")

    def test_partial_captures_follow_due_dates_and_take_the_fee_in_proportion(self):
        transaction = self._authorize()
        first = self._capture(transaction, 100.0)
        # 2.91 of the fee (7.54 * 100 / 259.03); 0.99 to the oldest invoice, 96.10 to the next.
        self.assertAlmostEqual(sum(self._lines_on(first.payment_id, self.fee_account).mapped("credit")), 2.91)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 399.01)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 154.40)
        second = self._capture(transaction, 159.03)
        self.assertEqual(transaction.state, "done")
        payments = first.payment_id | second.payment_id
        self.assertAlmostEqual(sum(self._lines_on(payments, self.fee_account).mapped("credit")), 7.54)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 399.01, msg="never more than the amount chosen")
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_new.amount_residual, 1000.0)
        self.assertEqual(transaction.invoice_pay_allocation_ids.mapped("amount_applied"), [0.99, 250.5])
        self.assertEqual(len(self._events(event="payment_made")), 2, "each capture is a payment made")

    def test_void_of_the_rest_changes_nothing(self):
        transaction = self._authorize()
        self._capture(transaction, 100.0, void_rest=True)
        void = transaction.child_transaction_ids.filtered(lambda tx: tx.state == "cancel")
        self.assertEqual(len(void), 1)
        self.assertEqual(transaction.state, "done")
        self.assertFalse(void.payment_id)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 399.01)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 154.40)
        self.assertFalse(self._events(event="payment_failed"), "a void is not a failed payment")

    def test_confirmation_after_the_abandoned_cleanup_is_booked(self):
        self.fee_rule.active = False
        transaction = self._start_payment([self._alloc(self.invoice_old, "120.00")])
        self.env.cr.execute(
            "UPDATE payment_transaction SET create_date = %s WHERE id = %s",
            (fields.Datetime.subtract(fields.Datetime.now(), days=3), transaction.id),
        )
        transaction.invalidate_recordset()
        self.env["payment.transaction"]._gc_invoice_pay_abandoned_transactions()
        self.assertEqual(transaction.state, "cancel")
        self.assertTrue(transaction.invoice_pay_abandoned)
        self._finish_payment(transaction)
        self.assertEqual(transaction.state, "done", "the provider took the money: the payment is accepted")
        self.assertTrue(transaction.payment_id)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 280.0)
        notes = self.customer.message_ids.mapped("body")
        self.assertTrue(any("cancelled as abandoned" in (note or "") for note in notes), notes)
        self.assertTrue(self._events(event="payment_made"))

    def test_refund_reverses_the_fee_where_it_was_booked(self):
        transaction = self._pay_with_fee()
        self.assertEqual(transaction.state, "done")
        old_account = self.fee_account
        new_account = old_account.copy({"code": "799990", "name": "Card fees (new)"})
        self.fee_rule.account_id = new_account
        receivable = self.customer.property_account_receivable_id
        refund = transaction._refund(amount_to_refund=259.03)
        refund._post_process()
        self.assertEqual(refund.state, "done")
        self.assertAlmostEqual(sum(self._lines_on(refund.payment_id, old_account).mapped("debit")), 7.54)
        self.assertFalse(self._lines_on(refund.payment_id, new_account), "the new account was never credited")
        # As in Odoo: the invoices stay paid, the refund leaves an open debit on the customer.
        self.assertAlmostEqual(self.invoice_old.amount_residual, 399.01)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 0.0)
        open_debit = self._lines_on(refund.payment_id, receivable)
        self.assertAlmostEqual(sum(open_debit.mapped("amount_residual")), 251.49)

    def test_refund_of_a_taxed_fee_uses_the_refund_repartition(self):
        tax_account = self.company_data["default_account_tax_sale"]
        refund_tax_account = tax_account.copy({"code": "251099", "name": "Fee VAT refunded"})
        tax = self.env["account.tax"].create({
            "name": "Fee VAT 20%",
            "amount": 20.0,
            "type_tax_use": "sale",
            "invoice_repartition_line_ids": [
                Command.create({"repartition_type": "base"}),
                Command.create({"repartition_type": "tax", "account_id": tax_account.id}),
            ],
            "refund_repartition_line_ids": [
                Command.create({"repartition_type": "base"}),
                Command.create({"repartition_type": "tax", "account_id": refund_tax_account.id}),
            ],
        })
        self.fee_rule.tax_ids = tax
        transaction = self._pay_with_fee()
        # Fee 7.54 tax included: 6.28 income and 1.26 tax.
        tax_line = self._lines_on(transaction.payment_id, tax_account)
        self.assertAlmostEqual(tax_line.credit, 1.26)
        refund = transaction._refund(amount_to_refund=259.03)
        refund._post_process()
        refund_tax_line = refund.payment_id.move_id.line_ids.filtered("tax_repartition_line_id")
        self.assertEqual(refund_tax_line.account_id, refund_tax_account)
        self.assertAlmostEqual(refund_tax_line.debit, 1.26)
        self.assertEqual(
            refund_tax_line.tax_repartition_line_id,
            tax.refund_repartition_line_ids.filtered(lambda line: line.repartition_type == "tax"),
        )
        self.assertAlmostEqual(sum(self._lines_on(refund.payment_id, self.fee_account).mapped("debit")), 6.28)

    def test_partial_refunds_of_a_capture_give_back_the_whole_fee_once(self):
        transaction = self._authorize()
        capture = self._capture(transaction, 259.03)
        # The demo provider would leave its own refunds authorized while it captures manually.
        self.demo_provider.capture_manually = False
        first = capture._refund(amount_to_refund=100.0)
        first._post_process()
        self.assertEqual(first.state, "done")
        self.assertTrue(first.payment_id)
        second = capture._refund(amount_to_refund=159.03)
        second._post_process()
        refunds = first.payment_id | second.payment_id
        self.assertAlmostEqual(sum(self._lines_on(refunds, self.fee_account).mapped("debit")), 7.54)
        self.assertAlmostEqual(sum(self._lines_on(first.payment_id, self.fee_account).mapped("debit")), 2.91)

    # ------------------------------------------------------------
    # Edge cases found in review
    # ------------------------------------------------------------

    def test_capture_after_the_fee_account_was_archived_is_booked(self):
        transaction = self._authorize()
        new_account = self.fee_account.copy({"code": "799992", "name": "Card fees (new)"})
        self.fee_rule.account_id = new_account
        self.fee_account.active = False
        capture = self._capture(transaction, 259.03)
        self.assertTrue(capture.payment_id, "the money the provider took is booked")
        self.assertAlmostEqual(sum(self._lines_on(capture.payment_id, new_account).mapped("credit")), 7.54)

    def test_migrated_partial_refund_then_refund_of_the_rest_gives_the_fee_back_once(self):
        transaction = self._pay_with_fee()
        first = transaction._refund(amount_to_refund=100.0)
        first._post_process()
        new_account = self.fee_account.copy({"code": "799991", "name": "Card fees (new)"})
        fee_item = self._lines_on(first.payment_id, self.fee_account)
        # 19.0.1.0.0 booked a refund's fee on the rule's account of the refund day, and had no settlement lines.
        self.env.cr.execute("UPDATE account_move_line SET account_id = %s WHERE id = %s", [new_account.id, fee_item.id])
        self.env.cr.execute(
            "DELETE FROM invoice_pay_settlement_line WHERE transaction_id IN %s", [(transaction.id, first.id)],
        )
        self.env.invalidate_all()
        _load_migration().migrate(self.env.cr, "19.0.1.0.0")
        self.env.invalidate_all()
        second = transaction._refund(amount_to_refund=159.03)
        second._post_process()
        fee_back = sum((first | second).payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id in (self.fee_account | new_account)
        ).mapped("balance"))
        self.assertAlmostEqual(fee_back, 7.54, msg="the fee is given back once")

    def test_authorization_confirmed_after_a_failed_capture_request_is_logged_and_confirmed(self):
        transaction = self._authorize()
        failed = transaction._create_child_transaction(transaction.amount)
        failed._set_error("Timeout while capturing")
        transaction._set_done()
        (transaction | failed)._post_process()
        self.env["payment.transaction"]._cron_send_invoice_pay_confirmations()
        self.assertTrue(transaction.payment_id, "booked on the page transaction")
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 0.0)
        self.assertEqual(len(self._events(event="payment_made")), 1, "the payment is in the link's history")
        self.assertTrue(self.env["mail.mail"].search([
            ("model", "=", "payment.transaction"), ("res_id", "=", transaction.id),
        ]))

    def test_full_void_is_not_a_failed_payment(self):
        transaction = self._authorize()
        transaction.action_void()
        family = transaction | transaction.child_transaction_ids
        family.filtered(lambda tx: not tx.is_post_processed)._post_process()
        self.assertEqual(transaction.state, "cancel")
        self.assertFalse(self._events(event="payment_failed"), "a void is not a failed payment")

    def test_cancelled_capture_payment_shows_nothing_applied(self):
        transaction = self._authorize()
        capture = self._capture(transaction, 259.03)
        capture.payment_id.action_draft()
        capture.payment_id.action_cancel()
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 250.5)
        self.assertEqual(transaction.invoice_pay_allocation_ids.mapped("amount_applied"), [0.0, 0.0])

    def test_settlement_lines_stay_in_their_company(self):
        transaction = self._pay_with_fee()
        other = self.env["res.company"].create({"name": "Other Co"})
        user = new_test_user(
            self.env, login="ipp_other_co", groups="base.group_user,account.group_account_invoice",
            company_id=other.id, company_ids=[Command.set(other.ids)],
        )
        lines = self.env["invoice.pay.settlement.line"].with_user(user).search([("transaction_id", "=", transaction.id)])
        self.assertFalse(lines)

    def test_fee_only_refund_gives_back_the_fee_and_leaves_the_invoices_paid(self):
        transaction = self._pay_with_fee()
        first = transaction._refund(amount_to_refund=100.0)
        first._post_process()
        self.assertAlmostEqual(sum(self._lines_on(first.payment_id, self.fee_account).mapped("debit")), 2.91)
        transaction.with_user(self.manager_user).action_invoice_pay_refund_fee()
        fee_refund = transaction.child_transaction_ids.filtered("invoice_pay_fee_only_refund")
        self.assertEqual(len(fee_refund), 1)
        self.assertAlmostEqual(fee_refund.amount, -4.63, msg="what was left of the 7.54 fee")
        fee_refund._post_process()
        self.assertAlmostEqual(sum(self._lines_on(fee_refund.payment_id, self.fee_account).mapped("debit")), 4.63)
        receivable = self.customer.property_account_receivable_id
        self.assertFalse(sum(self._lines_on(fee_refund.payment_id, receivable).mapped("balance")))
        self.assertAlmostEqual(self.invoice_old.amount_residual, 399.01, msg="the invoices stay paid")
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 0.0)
        with self.assertRaisesRegex(UserError, "no fee left"):
            transaction.action_invoice_pay_refund_fee()
        # The rest of the payment refunded later gives no fee back twice.
        last = transaction._refund(amount_to_refund=154.40)
        last._post_process()
        self.assertFalse(self._lines_on(last.payment_id, self.fee_account))

    def test_full_capture_booked_by_the_cron_is_logged_once(self):
        transaction = self._authorize()
        wizard = self.env["payment.capture.wizard"].with_context(
            active_model="payment.transaction", active_ids=transaction.ids,
        ).create({"amount_to_capture": 259.03, "void_remaining_amount": False})
        wizard.action_capture()
        self.env["payment.transaction"]._cron_invoice_pay_book_payments()
        self.env.invalidate_all()
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 0.0)
        self.assertEqual(len(self._events(event="payment_made")), 1, "one payment made, not two")
        self.assertEqual(
            self.env["payment.transaction"].search_count([
                ("invoice_pay_link_id", "=", transaction.invoice_pay_link_id.id),
                ("invoice_pay_confirmation_pending", "=", True),
            ]), 1, "one confirmation email",
        )
