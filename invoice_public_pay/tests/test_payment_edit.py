from lxml import html

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import CREDIT_CARD, InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestPaymentEdit(InvoicePayPaymentCommon, HttpCase):
    """A page payment over several invoices (and a fee) in the back office: reset, cancel, edit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._enable_card_surcharge()

    def _pay_by_card(self, allocations):
        quote, error = self._rpc(f"{self.base_path}/quote", {
            "allocations": allocations, "payment_method_id": self.card.id, "provider_id": self.demo_provider.id,
            "card_reference": CREDIT_CARD,
        })
        self.assertFalse(error, error)
        return self._pay(
            allocations, payment_method_id=self.card.id, fee_signature=quote["fee_signature"],
            card_reference=CREDIT_CARD,
        )

    def _page_payment(self):
        transaction = self._pay_by_card([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "50.00")])
        payment = transaction.payment_id
        self.assertEqual(transaction.state, "done")
        self.assertAlmostEqual(transaction.invoice_pay_fee, 13.5)
        self.assertEqual(len(payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable")), 2, "one receivable line per invoice")
        self.assertAlmostEqual(self.invoice_old.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 200.5)
        return transaction, payment

    def _assert_nothing_applied(self, transaction):
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 250.5)
        by_invoice = {allocation.invoice_id: allocation for allocation in transaction.invoice_pay_allocation_ids}
        self.assertEqual(by_invoice[self.invoice_old].amount_applied, 0.0)
        self.assertAlmostEqual(by_invoice[self.invoice_old].invoice_residual_after, 400.0)
        self.assertEqual(by_invoice[self.invoice_mid].amount_applied, 0.0)
        self.assertAlmostEqual(by_invoice[self.invoice_mid].invoice_residual_after, 250.5)

    def test_cancel_unreconciles_and_allocations_show_it(self):
        transaction, payment = self._page_payment()
        payment.action_cancel()
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(payment.move_id.state, "cancel")
        self._assert_nothing_applied(transaction)
        receipt = html.fromstring(self.env["ir.actions.report"]._render_qweb_html(
            transaction._invoice_pay_get_receipt_report(), transaction.ids)[0])
        paid = [row.xpath("td")[1].text_content() for row in receipt.xpath(
            "//tr[contains(@class, 'o_invoice_pay_receipt_line')]")]
        self.assertFalse([amount for amount in paid if any(digit in amount for digit in "123456789")],
                         "the receipt shows nothing paid on the invoices any more")

    def test_reset_to_draft_edit_post_and_cancel(self):
        transaction, payment = self._page_payment()
        lines_before = payment.move_id.line_ids.mapped(lambda line: (line.account_id, line.name, line.balance))
        payment.action_draft()
        self.assertEqual(payment.state, "draft")
        self.assertEqual(payment.move_id.state, "draft")
        # Saving the draft form writes its fields back: Odoo's synchronisation of the entry took
        # the two receivable lines for one counterpart ("Expected singleton").
        payment.write({"payment_reference": "Checked by accounting", "memo": payment.memo,
                       "amount": payment.amount, "partner_id": payment.partner_id.id})
        self.assertEqual(
            payment.move_id.line_ids.mapped(lambda line: (line.account_id, line.name, line.balance)), lines_before,
            "the per-invoice and fee lines are kept",
        )
        # Odoo 19 keeps the matchings of a draft entry: the invoices stay paid.
        self.assertAlmostEqual(self.invoice_old.amount_residual, 0.0)
        payment.action_post()
        self.assertEqual(payment.move_id.state, "posted")
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 200.5)
        self.assertEqual(transaction.invoice_pay_allocation_ids.mapped("amount_applied"), [400.0, 50.0])
        payment.action_draft()
        payment.action_cancel()
        self.assertEqual(payment.state, "canceled")
        self._assert_nothing_applied(transaction)

    def test_changes_that_would_merge_lines_are_refused(self):
        _transaction, payment = self._page_payment()
        other_journal = self.env["account.journal"].search([
            ("company_id", "=", payment.company_id.id), ("type", "=", "bank"), ("id", "!=", payment.journal_id.id),
        ], limit=1) or self.env["account.journal"].create({"name": "Other bank", "type": "bank", "code": "OBNK"})
        euro = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        changes = {
            "amount": 10.0,
            "date": "2001-01-01",
            "partner_id": self.other_customer.id,
            "currency_id": euro.id,
            "journal_id": other_journal.id,
        }
        lines_before = payment.move_id.line_ids.mapped(lambda line: (line.account_id, line.balance))
        for state in ("posted", "draft"):
            if state == "draft":
                payment.action_draft()
            for field_name, value in changes.items():
                with self.subTest(state=state, field=field_name):
                    before = payment[field_name]
                    with self.assertRaisesRegex(UserError, "Made on the pay page over 2 invoices and a fee: cancel it "
                                                           "and register it again"):
                        payment.write({field_name: value})
                    self.assertEqual(payment[field_name], before)
                    self.assertEqual(payment.move_id.line_ids.mapped(lambda line: (line.account_id, line.balance)),
                                     lines_before)
        # Writing the values it already has changes nothing and is allowed (Odoo's own syncs do it).
        payment.write({name: payment[name].id if name.endswith("_id") else payment[name] for name in changes})
        payment.memo = "Checked"
        payment.action_post()
        self.assertEqual(payment.move_id.state, "posted")

    def test_message_without_fee(self):
        transaction = self._pay([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "50.00")])
        with self.assertRaisesRegex(UserError, "Made on the pay page over 2 invoices: cancel it and register it again"):
            transaction.payment_id.amount = 1.0

    def test_a_cancelled_page_payment_stays_cancelled(self):
        transaction, payment = self._page_payment()
        payment.action_cancel()
        with self.assertRaisesRegex(UserError, "cancel it and register it again"):
            payment.action_draft()
        self.assertEqual(payment.state, "canceled")
        self._assert_nothing_applied(transaction)

    def test_cancelling_from_the_journal_entry_shows_nothing_applied(self):
        transaction, payment = self._page_payment()
        payment.move_id.button_cancel()
        self.assertEqual(payment.state, "canceled")
        self._assert_nothing_applied(transaction)

    def test_deleting_a_draft_page_payment_shows_nothing_applied(self):
        transaction, payment = self._page_payment()
        payment.action_draft()
        payment.unlink()
        self._assert_nothing_applied(transaction)

    def test_a_copy_is_an_ordinary_payment(self):
        _transaction, payment = self._page_payment()
        duplicate = payment.copy()
        self.assertFalse(duplicate.payment_transaction_id)
        duplicate.amount = 100.0
        self.assertEqual(duplicate.amount, 100.0)
