from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..controllers.main import CREDIT_APPLICATIONS_LIMIT
from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestCreditApplication(InvoicePayPaymentCommon, HttpCase):
    """The customer applies open credits to invoices on the page: exact in the books, refused cleanly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.invoice_pay_allow_credits = True
        cls.credit_note = cls._customer_invoice(150.0, move_type="out_refund")
        cls.payment = cls.env["account.payment"].create({
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": cls.contact.id,
            "amount": 70.0,
            "journal_id": cls.company_data["default_journal_bank"].id,
        })
        cls.payment.action_post()

    @staticmethod
    def _open_line(move):
        return move.line_ids.filtered(lambda line: line.account_type == "asset_receivable" and not line.reconciled)

    def _pair(self, credit_move, invoice, amount):
        return {"credit_line_id": self._open_line(credit_move).id, "invoice_id": invoice.id, "amount": amount}

    def _apply(self, pairs):
        return self._rpc(f"{self.base_path}/apply-credits", {"credits": pairs})

    def _books(self):
        """What an accountant checks: the residuals of every document involved."""
        moves = self.env["account.move"].search([("commercial_partner_id", "=", self.customer.id)], order="id")
        moves.invalidate_recordset()
        return [(move.name, move.amount_residual) for move in moves] + [
            ("payment", -sum(self._open_line(self.payment.move_id).mapped("amount_residual")))
        ]

    def _entries(self):
        return self.env["account.move"].search([("ref", "=", "Credits applied by the customer on the pay page")])

    def test_partial_credit_on_a_partial_invoice(self):
        self.assertTrue(self.payment.move_id, "an unmatched customer payment is an open credit")
        result, error = self._apply([self._pair(self.credit_note, self.invoice_old, "100.00")])
        self.assertFalse(error)
        entry = self._entries()
        self.assertEqual(result, {"entry": entry.name})
        self.assertEqual(entry.state, "posted")
        self.assertEqual(sorted(entry.line_ids.mapped("balance")), [-100.0, 100.0])
        self.assertTrue(all(entry.line_ids.mapped("reconciled")))
        self.assertAlmostEqual(self.invoice_old.amount_residual, 300.0)
        self.assertEqual(self.invoice_old.payment_state, "partial")
        self.assertAlmostEqual(self.credit_note.amount_residual, 50.0)
        activity = self._events(event="credit_applied")
        self.assertEqual((activity.amount, activity.note), (100.0, entry.name))
        for move in (self.invoice_old, self.credit_note):
            message = move.message_ids.filtered(lambda message: entry.name in str(message.body))
            self.assertEqual(len(message), 1)
            self.assertIn("100.00", str(message.body))
            self.assertEqual(message.author_id, self.customer)

    def test_one_credit_over_several_invoices(self):
        _result, error = self._apply([
            self._pair(self.credit_note, self.invoice_old, "99.50"),
            self._pair(self.credit_note, self.invoice_mid, 50.5),
        ])
        self.assertFalse(error)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 300.5)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 200.0)
        self.assertAlmostEqual(self.credit_note.amount_residual, 0.0)
        self.assertFalse(self._open_line(self.credit_note), "the credit note is used up")
        self.assertEqual(len(self._entries().line_ids), 4)

    def test_several_credits_on_one_invoice(self):
        _result, error = self._apply([
            self._pair(self.credit_note, self.invoice_new, "120"),
            self._pair(self.payment.move_id, self.invoice_new, "70"),
        ])
        self.assertFalse(error)
        self.assertAlmostEqual(self.invoice_new.amount_residual, 810.0)
        self.assertAlmostEqual(self.credit_note.amount_residual, 30.0)
        self.assertFalse(self._open_line(self.payment.move_id), "the payment is used up")
        self.assertEqual(self._events(event="credit_applied").amount, 190.0)

    def test_refusals_write_nothing(self):
        other_credit = self._customer_invoice(500.0, partner=self.other_customer, move_type="out_refund")
        small_invoice = self._customer_invoice(100.0)
        cases = [
            ([self._pair(other_credit, self.invoice_old, "10")], "not available any more"),
            ([self._pair(self.credit_note, self.invoice_old, "150.01")], "more than its open amount"),
            ([self._pair(self.credit_note, self.invoice_old, "100"),
              self._pair(self.credit_note, self.invoice_mid, "50.01")], "more than its open amount"),
            ([self._pair(self.payment.move_id, self.invoice_mid, "250.51")], "more than its open amount"),
            ([self._pair(self.credit_note, small_invoice, "60"),
              self._pair(self.payment.move_id, small_invoice, "40.01")], "more than its amount due"),
            ([self._pair(self.credit_note, self.invoice_old, "-5")], "must be more than zero"),
            ([{"credit_line_id": "x", "invoice_id": self.invoice_old.id, "amount": "1"}], "could not be read"),
            ([self._pair(self.credit_note, self.credit_note, "1")], "cannot be paid here"),
        ]
        books = self._books()
        for pairs, message in cases:
            with self.subTest(message=message), mute_logger("odoo.http"):
                result, error = self._apply(pairs)
                self.assertIsNone(result)
                self.assertIn(message, error)
        self.assertEqual(self._books(), books)
        self.assertFalse(self._entries())
        self.assertFalse(self._events(event="credit_applied"))

    def test_a_credit_note_on_hold_is_not_offered(self):
        self.credit_note.action_toggle_block_payment()
        self.assertNotIn(self.credit_note.name, self.url_open(f"{self.base_path}/invoices").text)
        with mute_logger("odoo.http"):
            _result, error = self._apply([self._pair(self.credit_note, self.invoice_old, "10")])
        self.assertTrue(error)
        self.assertFalse(self._entries())
        self.assertAlmostEqual(self.credit_note.amount_residual, 150.0)

    def test_a_credit_in_a_foreign_currency_is_exact_in_that_currency(self):
        today = fields.Date.today()
        eur = self.setup_other_currency("EUR", rates=[
            (today - relativedelta(days=60), 2.0), (today - relativedelta(days=30), 4.0), (today, 3.0),
        ])
        invoice = self._customer_invoice(300.0, currency=eur, invoice_date=today - relativedelta(days=60))
        credit = self._customer_invoice(100.0, move_type="out_refund", currency=eur,
                                        invoice_date=today - relativedelta(days=30))
        result, error = self._apply([self._pair(credit, invoice, "100")])
        self.assertFalse(error, error)
        self.assertTrue(result["entry"])
        self.assertAlmostEqual(invoice.amount_residual, 200.0)
        self.assertAlmostEqual(credit.amount_residual, 0.0)
        self.assertTrue(all(self._entries().line_ids.mapped("reconciled")))

    def test_applications_of_one_link_are_limited(self):
        for _attempt in range(CREDIT_APPLICATIONS_LIMIT):
            _result, error = self._apply([self._pair(self.credit_note, self.invoice_new, "0.01")])
            self.assertFalse(error, error)
        with mute_logger("odoo.http"):
            response = self.opener.post(self.base_url() + f"{self.base_path}/apply-credits", json={
                "jsonrpc": "2.0", "method": "call", "id": 1,
                "params": {"credits": [self._pair(self.credit_note, self.invoice_new, "0.01")]},
            }, timeout=30)
        self.assertEqual(response.status_code, 429)
        self.assertEqual(len(self._entries()), CREDIT_APPLICATIONS_LIMIT)

    def test_refused_while_the_company_does_not_allow_it(self):
        self.env.company.invoice_pay_allow_credits = False
        with mute_logger("odoo.http"):
            _result, error = self._apply([self._pair(self.credit_note, self.invoice_old, "10")])
        self.assertIn("not available any more", error)
        self.assertAlmostEqual(self.credit_note.amount_residual, 150.0)

    def test_a_credit_used_in_another_tab_is_applied_once(self):
        pairs = [self._pair(self.credit_note, self.invoice_old, "150")]
        _result, error = self._apply(pairs)
        self.assertFalse(error)
        with mute_logger("odoo.http"):
            _result, error = self._apply(pairs)
        self.assertIn("not available any more", error)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 250.0)
        self.assertEqual(len(self._entries()), 1)
        self.assertEqual(len(self._events(event="credit_applied")), 1)

    def test_reversing_the_entry_restores_the_balances(self):
        books = self._books()
        self._apply([
            self._pair(self.credit_note, self.invoice_old, "100"),
            self._pair(self.credit_note, self.invoice_mid, "50"),
            self._pair(self.payment.move_id, self.invoice_mid, "70"),
        ])
        self.assertNotEqual(self._books(), books)
        self._entries()._reverse_moves(cancel=True)
        self.assertEqual(self._books(), books)

    def test_a_processing_page_payment_reserves_its_part(self):
        transaction = self._pay([self._alloc(self.invoice_old, "380")], state="pending")
        self.assertEqual(transaction.state, "pending")
        with mute_logger("odoo.http"):
            _result, error = self._apply([self._pair(self.credit_note, self.invoice_old, "20.01")])
        self.assertIn("payment in progress", error)
        self.assertIn("20.00", error)
        _result, error = self._apply([self._pair(self.credit_note, self.invoice_old, "20")])
        self.assertFalse(error)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 380.0)

    def test_the_landing_page_says_credits_can_be_applied(self):
        self.assertIn("apply your credits to the invoices you choose", self.url_open(self.base_path).text)
        self.env.company.invoice_pay_allow_credits = False
        self.assertIn("Contact us to use them", self.url_open(self.base_path).text)

    def test_the_page_offers_the_credits(self):
        page = self.url_open(f"{self.base_path}/invoices").text
        self.assertIn("o_invoice_pay_credit_apply", page)
        self.assertIn(self.credit_note.name, page)
        self.assertIn(self.payment.move_id.name, page)
        self.assertNotIn("Contact us to use them", page)
        self.env.company.invoice_pay_allow_credits = False
        page = self.url_open(f"{self.base_path}/invoices").text
        self.assertNotIn("o_invoice_pay_credit_apply", page)
        self.assertIn("Contact us to use them", page)
