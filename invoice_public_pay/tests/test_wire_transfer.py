import logging

from lxml import html

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from .common import InvoicePayPaymentCommon
from .test_pay_page_results import _text

TRANSACTION_LOGGER = "odoo.addons.invoice_public_pay.models.payment_transaction"
BANK_ACCOUNT_NUMBER = "BE71 0961 2345 6769"
#: An ISO 11649 creditor reference, as a localization or the accountant writes it on an invoice.
CREDITOR_REFERENCE = "RF18539007547034"


class WireTransferCommon(InvoicePayPaymentCommon):
    """Odoo's wire transfer provider (``payment_custom``) offered next to the demo provider."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        module = cls.env["ir.module.module"]._get("payment_custom")
        assert module.state == "installed", "The wire transfer tests need Odoo's payment_custom module"
        company = cls.env.company
        bank_journal = cls.company_data["default_journal_bank"]
        bank_journal.bank_account_id = cls.env["res.partner.bank"].create({
            "acc_number": BANK_ACCOUNT_NUMBER, "partner_id": company.partner_id.id,
        })
        cls.transfer_provider = cls.env["payment.provider"].sudo().search([
            ("code", "=", "custom"), ("custom_mode", "=", "wire_transfer"), ("company_id", "=", company.id),
        ], limit=1)
        cls.transfer_provider.write({"state": "enabled", "is_published": True})
        # The instructions list the company's bank accounts, as payment_custom writes them.
        cls.transfer_provider.action_recompute_pending_msg()
        cls.transfer_method = cls.env.ref("payment_custom.payment_method_wire_transfer")
        cls.transfer_method.active = True

    def _start_transfer(self, allocations):
        """The customer chooses wire transfer on the page and confirms: Odoo's redirect form is posted."""
        transaction = self._start_payment(
            allocations, provider_id=self.transfer_provider.id, payment_method_id=self.transfer_method.id,
            flow="redirect",
        )
        response = self.url_open("/payment/custom/process", data={"reference": transaction.reference})
        self.assertEqual(response.status_code, 200)
        # Odoo's status page post-processes it, then sends the customer back to the pay page.
        self._rpc("/payment/status/poll", {})
        transaction.invalidate_recordset()
        return transaction

    def _page(self, transaction=None):
        url = f"{self.base_path}/invoices" + (f"?tx={transaction.id}" if transaction else "")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return html.fromstring(response.content)

    def _chosen_days_ago(self, transaction, days):
        """The transfer as if the customer had chosen it ``days`` ago; returned."""
        self.env.cr.execute(
            "UPDATE payment_transaction SET create_date = now() - make_interval(days => %s), "
            "last_state_change = now() - make_interval(days => %s) WHERE id = %s",
            [days, days, transaction.id],
        )
        transaction.invalidate_recordset()
        return transaction

    def _pay_elsewhere(self, invoice):
        """The invoice is paid in full by other means (Register Payment)."""
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({})._create_payments()
        self.assertEqual(invoice.amount_residual, 0.0)

    def _mark_received(self, transaction, user=None):
        return transaction.with_user(user or self.invoicing_user).action_invoice_pay_mark_received()

    def _assert_booked(self, transaction, expected):
        """``expected``: {invoice: (amount applied, residual after)}: one payment, reconciled per invoice."""
        transaction.invalidate_recordset()
        self.assertEqual(transaction.state, "done")
        self.assertTrue(transaction.is_post_processed)
        payment = transaction.payment_id
        self.assertTrue(payment, "a payment is posted")
        self.assertEqual(
            self.env["account.payment"].search_count([("payment_transaction_id", "=", transaction.id)]), 1,
        )
        self.assertEqual(payment.amount, transaction.amount)
        self.assertEqual(payment.partner_id, self.customer)
        self.assertEqual(payment.journal_id, self.transfer_provider.journal_id)
        self.assertEqual(transaction.invoice_pay_fee, 0.0, "no fee for a transfer")
        self.assertFalse(transaction.invoice_pay_settlement_line_ids.filtered(lambda line: line.kind == "fee"))
        for invoice, (applied, residual) in expected.items():
            self.assertAlmostEqual(invoice.amount_residual, residual, msg=invoice.name)
            if residual:
                self.assertEqual(invoice.payment_state, "partial", invoice.name)
            else:
                self.assertIn(invoice.payment_state, ("in_payment", "paid"), invoice.name)
            allocation = transaction.invoice_pay_allocation_ids.filtered(lambda a, inv=invoice: a.invoice_id == inv)
            self.assertAlmostEqual(allocation.amount_applied, applied)
            partials = invoice.line_ids.matched_credit_ids.filtered(
                lambda p: p.credit_move_id.move_id == payment.move_id
            )
            self.assertAlmostEqual(sum(partials.mapped("amount")), applied, msg=invoice.name)
            self.assertEqual(len(partials.credit_move_id), 1, "one payment line per invoice")
        return payment


@tagged("post_install", "-at_install")
class TestWireTransfer(WireTransferCommon, HttpCase):
    """A transfer shows its instructions, stays processing, is booked when received, expires if not."""

    def test_transfer_shows_the_instructions_and_stays_processing(self):
        transaction = self._start_transfer([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "100.25")])
        self.assertEqual(transaction.state, "pending")
        self.assertFalse(transaction.payment_id)
        self.assertEqual(transaction._get_communication(), transaction.reference)
        self.assertEqual(len(self._events(event="payment_pending")), 1)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0, msg="nothing booked before it is received")
        page = self._page(transaction)
        result = _text(page, "o_invoice_pay_result")
        self.assertIn("Pay by bank transfer", result)
        self.assertNotIn("Payment successful", result)
        self.assertIn(BANK_ACCOUNT_NUMBER, _text(page, "o_invoice_pay_transfer_instructions"))
        self.assertEqual(_text(page, "o_invoice_pay_result_communication"), transaction.reference)
        currency = self.env.company.currency_id
        self.assertIn(" ".join(currency.format(500.25).split()), result)
        self.assertFalse(page.xpath("//a[contains(@class, 'o_invoice_pay_print_receipt')]"), "no receipt yet")
        # On the invoices: the transfer's share is processing and not offered again.
        rows = {int(row.get("data-invoice-id")): row for row in page.xpath("//li[contains(@class, 'o_invoice_pay_row')]")}
        self.assertEqual(rows[self.invoice_old.id].get("data-processing-full"), "1")
        self.assertEqual(_text(rows[self.invoice_mid.id], "o_invoice_pay_processing"),
                         " ".join(f"Payment processing: {currency.format(100.25)}".split()))
        group = page.xpath("//section[contains(@class, 'o_invoice_pay_group')]")[0]
        self.assertEqual((float(group.get("data-payable-amount")), group.get("data-payable-count")), (1150.25, "2"))
        made = _text(page, "o_invoice_pay_payments_made")
        self.assertIn(transaction.reference, made)
        self.assertIn("Processing", made)

    def test_transfer_of_one_invoice_quotes_its_payment_reference(self):
        # Banks and reconciliation models match a structured reference; the invoice's own is quoted.
        self.invoice_old.payment_reference = CREDITOR_REFERENCE
        transaction = self._start_transfer([self._alloc(self.invoice_old, 150)])
        self.assertEqual(transaction._get_communication(), CREDITOR_REFERENCE)
        page = self._page(transaction)
        self.assertEqual(_text(page, "o_invoice_pay_result_communication"), CREDITOR_REFERENCE)
        # The payment's own reference, as listed under Payments made, is still given.
        self.assertEqual(_text(page, "o_invoice_pay_result_reference"), transaction.reference)
        self.assertIn(transaction.reference, _text(page, "o_invoice_pay_payments_made"))

    def test_mark_as_received_books_each_invoice(self):
        self.customer.user_id = self.manager_user
        transaction = self._start_transfer([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "100.25")])
        self.assertTrue(transaction.invoice_pay_can_mark_received)
        self._mark_received(transaction)
        self._assert_booked(transaction, {self.invoice_old: (400.0, 0.0), self.invoice_mid: (100.25, 150.25)})
        self.assertAlmostEqual(self.invoice_new.amount_residual, 1000.0, msg="untouched")
        self.assertFalse(transaction.invoice_pay_can_mark_received)
        made = self._events(event="payment_made")
        self.assertEqual((len(made), made.transaction_id), (1, transaction))
        self.assertTrue(transaction.invoice_pay_confirmation_pending, "the customer's receipt is queued")
        note = self.customer.message_ids.filtered(lambda m: transaction.reference in (m.body or ""))
        self.assertTrue(note, "the payment is noted on the customer")
        page = self._page(transaction)
        self.assertIn("Payment successful", _text(page, "o_invoice_pay_result"))
        self.assertFalse(_text(page, "o_invoice_pay_processing"))
        self.assertEqual(
            page.xpath("//a[contains(@class, 'o_invoice_pay_payment_receipt')]/@href"),
            [f"{self.base_path}/receipt/{transaction.id}"],
        )

    def test_mark_as_received_is_refused_for_other_transactions(self):
        card_payment = self._pay([self._alloc(self.invoice_new, 10)])
        card_pending = self._pay([self._alloc(self.invoice_new, 20)], state="pending")
        for transaction in (card_payment, card_pending):
            with self.subTest(reference=transaction.reference), self.assertRaises(UserError):
                self._mark_received(transaction)
        self.assertEqual(card_pending.state, "pending", "a card payment is confirmed by its provider only")
        self.assertFalse(card_pending.invoice_pay_can_mark_received)
        transfer = self._start_transfer([self._alloc(self.invoice_old, 400)])
        with self.assertRaises(AccessError):
            self._mark_received(transfer, user=self.sales_user)
        transfer._set_canceled()
        with self.assertRaises(UserError):
            self._mark_received(transfer)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)

    def test_marking_twice_books_once(self):
        transaction = self._start_transfer([self._alloc(self.invoice_old, 400)])
        self._mark_received(transaction)
        payment = transaction.payment_id
        with self.assertRaisesRegex(UserError, "already"):
            self._mark_received(transaction)
        self._assert_booked(transaction, {self.invoice_old: (400.0, 0.0)})
        self.assertEqual(transaction.payment_id, payment)
        self.assertEqual(len(self._events(event="payment_made")), 1)

    def test_transfer_booked_through_the_first_manual_method_of_the_journal(self):
        transaction = self._start_transfer([self._alloc(self.invoice_old, 400)])
        journal = self.transfer_provider.journal_id
        manual = self.env.ref("account.account_payment_method_manual_in")
        journal.inbound_payment_method_line_ids = [
            Command.create({"payment_method_id": manual.id, "name": "Bank transfers", "sequence": 90}),
        ]
        lines = journal.inbound_payment_method_line_ids.filtered(lambda line: line.code == "manual")
        self.assertEqual(len(lines), 2)
        # Put first once the journal's lines are read (as a form saving them does): whatever
        # order they were read in, the line with the lowest sequence is taken.
        lines[-1].sequence = -1
        self.assertEqual(transaction._invoice_pay_payment_method_line(), lines[-1])
        self._mark_received(transaction)
        self.assertEqual(transaction.payment_id.payment_method_line_id, lines[-1])

    def test_journal_without_manual_method_refuses_clearly_and_changes_nothing(self):
        transaction = self._start_transfer([self._alloc(self.invoice_old, 400)])
        journal = self.transfer_provider.journal_id
        journal.inbound_payment_method_line_ids.filtered(lambda line: line.code == "manual").unlink()
        with self.assertRaisesRegex(UserError, f"{journal.name}.*manual"):
            self._mark_received(transaction)
        transaction.invalidate_recordset()
        self.assertEqual(transaction.state, "pending")
        self.assertFalse(transaction.payment_id)
        self.assertTrue(transaction.invoice_pay_can_mark_received)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)

    def test_received_after_its_invoices_were_paid_says_what_is_kept_as_credit(self):
        currency = self.env.company.currency_id
        transaction = self._chosen_days_ago(
            self._start_transfer([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "100.25")]), 11,
        )
        self.env["payment.transaction"]._cron_invoice_pay_expire_transfers()
        self.assertTrue(transaction.invoice_pay_transfer_expired)
        self._pay_elsewhere(self.invoice_old)
        message = self._mark_received(transaction)["params"]["message"]
        self.assertFalse(transaction.invoice_pay_transfer_expired, "received: no longer overdue")
        self.assertAlmostEqual(transaction.invoice_pay_unapplied_amount, 400.0)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 150.25)
        self.assertEqual(" ".join(message.split()), " ".join((
            f"Transfer {transaction.reference} is received and booked: {currency.format(100.25)} on its "
            f"invoices, {currency.format(400.0)} kept as credit on the customer's account, as the invoices "
            "were paid meanwhile."
        ).split()))

    def test_received_after_all_its_invoices_were_paid_is_kept_as_credit(self):
        currency = self.env.company.currency_id
        transaction = self._start_transfer([self._alloc(self.invoice_old, 400)])
        self._pay_elsewhere(self.invoice_old)
        # Nothing automatic: the transfer still waits, for the accountant to confirm it.
        self.assertTrue(transaction.invoice_pay_can_mark_received)
        message = self._mark_received(transaction)["params"]["message"]
        self.assertAlmostEqual(transaction.invoice_pay_unapplied_amount, 400.0)
        self.assertEqual(" ".join(message.split()), " ".join((
            f"Transfer {transaction.reference} is received and booked: {currency.format(400.0)} kept as "
            "credit on the customer's account, as its invoices were paid meanwhile."
        ).split()))

    def test_button_for_accounting_users_on_pending_transfers_only(self):
        transaction = self._start_transfer([self._alloc(self.invoice_old, 400)])
        arch = self.env["payment.transaction"].with_user(self.invoicing_user).get_view(view_type="form")["arch"]
        button = html.fromstring(arch).xpath("//button[@name='action_invoice_pay_mark_received']")
        self.assertEqual(len(button), 1)
        self.assertEqual(button[0].get("invisible"), "not invoice_pay_can_mark_received")
        view = self.env.ref("invoice_public_pay.payment_transaction_form_invoice_pay_receipt")
        button = html.fromstring(view.arch).xpath("//button[@name='action_invoice_pay_mark_received']")
        self.assertEqual(button[0].get("groups"), "account.group_account_invoice", "accounting users only")
        # Its invoices may have been paid meanwhile: the confirmation promises no booking on them.
        self.assertEqual(button[0].get("confirm"), (
            "Book this transfer as received? Check first that the money is on the bank account. It is "
            "booked on the customer's account: on its invoices for what they still owe, the rest as credit."
        ))
        self.assertTrue(transaction.with_user(self.invoicing_user).invoice_pay_can_mark_received)

    def test_transfer_not_received_in_time_stops_processing_and_is_logged_once(self):
        self.assertEqual(self.env.company.invoice_pay_transfer_expiry_days, 10, "ten days by default")
        late = self._chosen_days_ago(self._start_transfer([self._alloc(self.invoice_old, 400)]), 11)
        recent = self._chosen_days_ago(self._start_transfer([self._alloc(self.invoice_mid, 50)]), 9)
        Transaction = self.env["payment.transaction"]
        # logging.INFO, not "INFO": Odoo gives its level 25 that name.
        with self.assertLogs(TRANSACTION_LOGGER, logging.INFO) as logs:
            Transaction._cron_invoice_pay_expire_transfers()
        self.assertEqual(len([line for line in logs.output if late.reference in line]), 1)
        self.assertFalse([line for line in logs.output if recent.reference in line])
        self.assertEqual((late.state, late.invoice_pay_transfer_expired), ("pending", True))
        self.assertFalse(recent.invoice_pay_transfer_expired)
        # No longer processing: the invoice is payable again, and not listed as a payment made.
        link = self._link()
        self.assertEqual(link._invoice_pay_reserved_amounts(), {self.invoice_mid.id: 50})
        page = self._page()
        rows = {int(row.get("data-invoice-id")): row for row in page.xpath("//li[contains(@class, 'o_invoice_pay_row')]")}
        self.assertFalse(_text(rows[self.invoice_old.id], "o_invoice_pay_processing"))
        self.assertIsNone(rows[self.invoice_old.id].get("data-amount-processing"))
        group = page.xpath("//section[contains(@class, 'o_invoice_pay_group')]")[0]
        self.assertEqual(float(group.get("data-payable-amount")), 1600.5)
        made = _text(page, "o_invoice_pay_payments_made")
        self.assertNotIn(late.reference, made)
        self.assertIn(recent.reference, made)
        self.assertIn("Transfer not received", _text(self._page(late), "o_invoice_pay_result"))
        # Logged once: on the customer, in the link's history, in the server log.
        notes = self.customer.message_ids.filtered(
            lambda m: late.reference in (m.body or "") and "not received" in (m.body or "")
        )
        self.assertEqual(len(notes), 1)
        expired_events = self._events(event="transfer_expired")
        self.assertEqual((len(expired_events), expired_events.transaction_id), (1, late))
        with self.assertNoLogs(TRANSACTION_LOGGER, logging.INFO):
            Transaction._cron_invoice_pay_expire_transfers()
        self.assertEqual(len(self._events(event="transfer_expired")), 1)
        self.assertEqual(len(self.customer.message_ids.filtered(
            lambda m: late.reference in (m.body or "") and "not received" in (m.body or "")
        )), 1)
        # Received after all: it is booked as any transfer.
        self._mark_received(late)
        self._assert_booked(late, {self.invoice_old: (400.0, 0.0)})

    def test_expiry_note_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["invoice_public_pay"], ["fr_FR"], overwrite=True)
        self.customer.lang = "fr_FR"
        late = self._chosen_days_ago(self._start_transfer([self._alloc(self.invoice_old, 400)]), 11)
        self.env["payment.transaction"]._cron_invoice_pay_expire_transfers()
        note = self.customer.message_ids.filtered(lambda m: late.reference in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Le virement bancaire", note.body)
        self.assertIn("n'a pas été reçu sous 10 jours", html.fromstring(note.body).text_content())

    def test_transfers_to_receive_menu_for_billing_users(self):
        transfer = self._start_transfer([self._alloc(self.invoice_old, 400)])
        late = self._chosen_days_ago(self._start_transfer([self._alloc(self.invoice_mid, 50)]), 11)
        self.env["payment.transaction"]._cron_invoice_pay_expire_transfers()
        received = self._start_transfer([self._alloc(self.invoice_new, 30)])
        self._mark_received(received)
        self._pay([self._alloc(self.invoice_new, 10)])
        self._pay([self._alloc(self.invoice_new, 20)], state="pending")
        menu = self.env.ref("invoice_public_pay.menu_invoice_pay_transfers_to_receive")
        self.assertEqual(menu.parent_id, self.env.ref("account.menu_finance_receivables"))
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.invoicing_user)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.sales_user)._visible_menu_ids())
        # The action as a billing user opens it: its default filter, its list.
        action = menu.action
        self.assertEqual(action.res_model, "payment.transaction")
        Transaction = self.env["payment.transaction"].with_user(self.invoicing_user)
        context = safe_eval(action.context or "{}")
        search_view = Transaction.get_view(action.search_view_id.id, view_type="search")
        filters = html.fromstring(search_view["arch"]).xpath("//filter[@name='invoice_pay_transfers_to_receive']")
        self.assertEqual(len(filters), 1)
        self.assertEqual(filters[0].get("string"), "Transfers to receive")
        self.assertTrue(context.get("search_default_invoice_pay_transfers_to_receive"), "on by default")
        found = Transaction.search(safe_eval(filters[0].get("domain")))
        self.assertEqual(found, transfer | late, "pending page transfers, not card payments nor received ones")
        list_view = action.view_ids.filtered(lambda view: view.view_mode == "list").view_id
        arch = Transaction.get_view(list_view.id, view_type="list")["arch"]
        columns = html.fromstring(arch).xpath("//list/field/@name")
        for name in ("reference", "partner_id", "amount", "create_date"):
            self.assertIn(name, columns)
        row = Transaction.browse(transfer.id).read(["reference", "partner_id", "amount", "create_date"])[0]
        self.assertEqual((row["reference"], row["partner_id"][0]), (transfer.reference, self.customer.id))

    def test_expiry_follows_the_company_setting(self):
        settings = self.env["res.config.settings"].create({"invoice_pay_transfer_expiry_days": 3})
        settings.execute()
        self.assertEqual(self.env.company.invoice_pay_transfer_expiry_days, 3)
        transaction = self._chosen_days_ago(self._start_transfer([self._alloc(self.invoice_old, 400)]), 4)
        self.env["payment.transaction"]._cron_invoice_pay_expire_transfers()
        self.assertTrue(transaction.invoice_pay_transfer_expired)
        # 0: transfers wait until they are received or cancelled.
        self.env.company.invoice_pay_transfer_expiry_days = 0
        waiting = self._chosen_days_ago(self._start_transfer([self._alloc(self.invoice_mid, 50)]), 400)
        self.env["payment.transaction"]._cron_invoice_pay_expire_transfers()
        self.assertFalse(waiting.invoice_pay_transfer_expired)


@tagged("post_install", "-at_install")
class TestWireTransferTour(WireTransferCommon, HttpCase):
    """A customer pays by wire transfer and reads the instructions; the accountant marks it received."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._enable_card_surcharge()
        cls.invoice_old.payment_reference = CREDITOR_REFERENCE

    def test_wire_transfer_marked_received_and_booked(self):
        self.start_tour(f"{self.base_path}/invoices", "invoice_public_pay_wire_transfer")
        transaction = self.env["payment.transaction"].sudo().search(
            [("invoice_pay_link_id.partner_id", "=", self.customer.id)],
        )
        self.assertEqual((transaction.state, transaction.provider_id, transaction.amount),
                         ("pending", self.transfer_provider, 400.0))
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)
        self.start_tour(
            f"/odoo/action-payment.action_payment_transaction/{transaction.id}",
            "invoice_public_pay_wire_transfer_received", login=self.invoicing_user.login,
        )
        self._assert_booked(transaction, {self.invoice_old: (400.0, 0.0)})
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 250.5)
