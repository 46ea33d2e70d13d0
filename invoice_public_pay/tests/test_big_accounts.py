from datetime import timedelta
from decimal import Decimal
from unittest.mock import patch

from lxml import html

from odoo import fields
from odoo.tests import HttpCase, tagged

from ..models import invoice_pay_link
from .common import InvoicePayPaymentCommon

EXTRA_INVOICES = 117  # with the three of the common set-up: 120


def _by_class(element, css_class):
    """The elements under ``element`` (itself included) that have the class ``css_class``."""
    return element.xpath(
        f"descendant-or-self::*[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]"
    )


class BigAccountCommon(InvoicePayPaymentCommon):
    """A customer with 120 open invoices: overdue ones, some due this month, references, partial payments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        values = []
        for index in range(EXTRA_INVOICES):
            # Due dates from 90 days ago to 26 days ahead, one a day; today's month has some.
            due = today - timedelta(days=90 - index)
            values.append({
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": due - timedelta(days=30),
                "invoice_date_due": due,
                "ref": f"PO-4471-{index}" if index % 10 == 0 else False,
                "invoice_line_ids": [cls._prepare_invoice_line(price_unit=10.0 + index, tax_ids=[])],
            })
        cls.extra_invoices = cls.env["account.move"].create(values)
        cls.extra_invoices.action_post()
        cls.partly_paid = cls.extra_invoices[5] | cls.extra_invoices[40] | cls.extra_invoices[100]
        for invoice in cls.partly_paid:
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids,
            ).create({"amount": 4.0})._create_payments()
        cls.group_key = f"{cls.env.company.id}-{cls.env.company.currency_id.id}"

    def _open_invoices(self):
        """The customer's open invoices, oldest due first (as the page sorts them)."""
        return self.env["account.move"].search([
            ("commercial_partner_id", "=", self.customer.id), ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"), ("amount_residual", ">", 0),
        ], order="invoice_date_due, invoice_date, id")

    def _rows(self, **params):
        return self._rpc(f"{self.base_path}/rows", {"group": self.group_key, **params})


@tagged("post_install", "-at_install")
class TestBigAccountPage(BigAccountCommon, HttpCase):
    """The list draws a bounded number of rows; ``/rows`` reaches every invoice, totals cover the group."""

    def test_list_page_draws_the_oldest_rows_and_whole_group_totals(self):
        response = self.url_open(f"{self.base_path}/invoices")
        self.assertEqual(response.status_code, 200)
        page = html.fromstring(response.content)
        drawn = [int(row.get("data-invoice-id")) for row in _by_class(page, "o_invoice_pay_row")]
        invoices = self._open_invoices()
        self.assertEqual(len(invoices), 120)
        self.assertEqual(drawn, invoices[:50].ids, "the 50 oldest due are drawn, in order")
        group = _by_class(page, "o_invoice_pay_group")[0]
        self.assertEqual(group.get("data-count"), "120")
        total = sum(Decimal(str(amount)) for amount in invoices.mapped("amount_residual"))
        self.assertEqual(Decimal(group.get("data-amount-due")), total)
        summary = _by_class(group, "o_invoice_pay_group_summary")[0].text_content()
        self.assertIn("120 open invoices", summary)
        self.assertIn(self.env.company.currency_id.format(float(total)), summary)
        self.assertIn("Showing 50 of 120", _by_class(group, "o_invoice_pay_shown")[0].text_content())

    def test_rows_pages_through_the_whole_group(self):
        invoices = self._open_invoices()
        seen = []
        for offset in (0, 50, 100):
            result, error = self._rows(offset=offset, limit=50)
            self.assertIsNone(error)
            self.assertEqual(result["count"], 120)
            self.assertEqual(result["totals"]["count"], 120)
            self.assertEqual(
                Decimal(result["totals"]["amount_due"]),
                sum(Decimal(str(amount)) for amount in invoices.mapped("amount_residual")),
            )
            seen += [row["invoice_id"] for row in result["rows"]]
            # The rows as the page draws them, one per invoice.
            drawn = html.fragments_fromstring(result["html"])
            self.assertEqual(
                [int(row.get("data-invoice-id")) for row in drawn if "o_invoice_pay_row" in row.get("class", "")],
                [row["invoice_id"] for row in result["rows"]],
            )
            self.assertEqual(result["more"], offset + 50 < 120)
        self.assertEqual(seen, invoices.ids, "every invoice once, oldest due first")
        row = next(row for row in result["rows"] if row["invoice_id"] == self.partly_paid[2].id)
        self.assertEqual(Decimal(row["amount_due"]), Decimal("106.00"), "110.00 less the 4.00 paid")

    def test_rows_search_by_number_and_reference(self):
        target = self.extra_invoices[77]
        result, error = self._rows(search=target.name)
        self.assertIsNone(error)
        self.assertEqual([row["invoice_id"] for row in result["rows"]], target.ids)
        self.assertEqual(result["count"], 1)
        self.assertEqual(result["totals"]["count"], 120, "totals stay those of the whole group")
        result, error = self._rows(search="po-4471-7")
        self.assertIsNone(error)
        self.assertEqual([row["invoice_id"] for row in result["rows"]], self.extra_invoices[70].ids)
        result, _error = self._rows(search="  PO-4471  ")
        self.assertEqual(len(result["rows"]), 12, "every invoice with a purchase order reference")
        result, _error = self._rows(search="no such thing")
        self.assertEqual((result["rows"], result["count"]), ([], 0))

    def test_rows_filters_and_sort(self):
        today = fields.Date.today()
        invoices = self._open_invoices()
        result, error = self._rows(filter="overdue", limit=200)
        self.assertIsNone(error)
        self.assertEqual([row["invoice_id"] for row in result["rows"]],
                         invoices.filtered(lambda inv: inv.invoice_date_due < today).ids)
        month_start = today.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        result, _error = self._rows(filter="due_this_month", limit=200)
        expected = invoices.filtered(lambda inv: month_start <= inv.invoice_date_due < next_month)
        self.assertTrue(expected)
        self.assertEqual([row["invoice_id"] for row in result["rows"]], expected.ids)
        result, _error = self._rows(filter="partly_paid", limit=200)
        self.assertEqual(sorted(row["invoice_id"] for row in result["rows"]), sorted(self.partly_paid.ids))
        result, _error = self._rows(sort="amount", limit=5)
        by_amount = invoices.sorted(lambda inv: (-inv.amount_residual, inv.invoice_date_due, inv.id))
        self.assertEqual([row["invoice_id"] for row in result["rows"]], by_amount[:5].ids, "largest due first")
        result, _error = self._rows(sort="due_date", filter="overdue", search="PO-4471", limit=3, offset=1)
        overdue_po = invoices.filtered(lambda inv: inv.invoice_date_due < today and (inv.ref or "").startswith("PO"))
        self.assertEqual([row["invoice_id"] for row in result["rows"]], overdue_po[1:4].ids)
        self.assertEqual(result["count"], len(overdue_po))

    def test_rows_bad_parameters_get_a_clear_message(self):
        cases = [
            ({"group": "999-999"}, "cannot be paid any more"),
            ({"group": None}, "cannot be paid any more"),
            ({"offset": -1}, "could not be read"),
            ({"offset": "ten"}, "could not be read"),
            ({"limit": 0}, "could not be read"),
            ({"limit": 10000}, "could not be read"),
            ({"limit": True}, "could not be read"),
            ({"filter": "unpaid"}, "could not be read"),
            ({"sort": "name; DROP TABLE"}, "could not be read"),
            ({"search": ["x"]}, "could not be read"),
            ({"offset": 2**63}, "could not be read"),
            ({"sort": ["amount"]}, "could not be read"),
            ({"sort": {"amount": 1}}, "could not be read"),
            ({"filter": ["overdue"]}, "could not be read"),
            ({"search": "x" * 101}, "too long"),
        ]
        for params, message in cases:
            with self.subTest(params=params):
                result, error = self._rows(**params)
                self.assertIsNone(result)
                self.assertIn(message, error or "")

    def test_search_takes_wildcards_and_control_characters_literally(self):
        self.extra_invoices[3].ref = "PO_100%"
        self.extra_invoices[4].ref = "back\\slash"
        for search, expected in (
            ("PO_100%", self.extra_invoices[3]), ("back\\slash", self.extra_invoices[4]),
            ("%", self.extra_invoices[3]), ("_", self.extra_invoices[3]),
            ("\\", self.extra_invoices[4]),
        ):
            with self.subTest(search=search):
                result, error = self._rows(search=search)
                self.assertIsNone(error)
                self.assertEqual([row["invoice_id"] for row in result["rows"]], expected.ids)
        for search in ("\x00PO", "\ud800", "PO-4471-70\x07"):
            with self.subTest(search=search):
                result, error = self._rows(search=search)
                self.assertIsNone(error, "control characters are ignored, not an error")
        result, _error = self._rows(search="\x00PO-4471-70")
        self.assertEqual([row["invoice_id"] for row in result["rows"]], self.extra_invoices[70].ids)

    def test_rows_of_another_customer_are_not_reachable(self):
        other = self._customer_invoice(75.0, partner=self.other_customer)
        result, _error = self._rows(search=other.name)
        self.assertEqual(result["rows"], [])

    def test_queries_stay_flat_with_the_number_of_invoices(self):
        def count(send_request):
            send_request()  # warm the caches
            return int(self._capture_request_log(send_request)[-1].perf_info.split()[0])

        def measure():
            return {
                "list": count(lambda: self.url_open(f"{self.base_path}/invoices")),
                "rows": count(lambda: self._rows(offset=5, limit=5)),
                "search": count(lambda: self._rows(search="PO-4471", filter="overdue", sort="amount")),
                "quote_all": count(lambda: self._rpc(f"{self.base_path}/quote", {
                    "allocations": [], "select_all": {"group": self.group_key, "except": []},
                })),
            }

        many = measure()
        self.extra_invoices[10:].button_draft()
        few = measure()
        self.assertEqual(len(self._open_invoices()), 13)
        self.assertEqual(many, few, "13 and 120 invoices cost the same number of queries")


@tagged("post_install", "-at_install")
class TestSelectAll(BigAccountCommon, HttpCase):
    """``select_all`` pays the whole group, drawn or not, except what the customer left out."""

    def test_quote_and_pay_everything_but_the_exceptions(self):
        invoices = self._open_invoices()
        left_out = self.extra_invoices[60]
        partial = self.extra_invoices[110]
        select_all = {"group": self.group_key, "except": [left_out.id]}
        result, error = self._rpc(f"{self.base_path}/quote", {
            "allocations": [self._alloc(partial, "20.50")], "select_all": select_all,
        })
        self.assertIsNone(error)
        expected = (
            sum(Decimal(str(amount)) for amount in (invoices - left_out - partial).mapped("amount_residual"))
            + Decimal("20.50")
        )
        self.assertEqual(Decimal(str(result["amount_total"])), expected)
        self.assertEqual(result["invoice_count"], 119)
        transaction = self._pay(
            [self._alloc(partial, "20.50")], select_all=select_all, selection_signature=result["selection_signature"],
        )
        self.assertEqual(transaction.state, "done")
        self.assertEqual(Decimal(str(transaction.amount)), expected)
        self.assertEqual(len(transaction.invoice_pay_allocation_ids), 119)
        self.assertEqual(self._open_invoices(), left_out | partial)
        self.assertEqual(partial.amount_residual, partial.amount_total - 20.5)
        self.assertEqual(left_out.payment_state, "not_paid")

    def test_select_all_charges_only_what_the_customer_was_shown(self):
        select_all = {"group": self.group_key, "except": []}
        shown, error = self._rpc(f"{self.base_path}/payment-form", {"allocations": [], "select_all": select_all})
        self.assertIsNone(error)
        self.assertEqual(shown["invoice_count"], 120)
        added = self._customer_invoice(5000.0)
        Transaction = self.env["payment.transaction"].sudo()
        before = Transaction.search_count([])
        result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(
            [], select_all=select_all, selection_signature=shown["selection_signature"],
        ))
        self.assertIsNone(result)
        total = self.env.company.currency_id.format(shown["amount_total"] + 5000.0)
        self.assertEqual(error, f"The invoices to pay changed since you chose them: 121 invoices now come to {total}. "
                                "Please review and pay again.")
        _result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params([], select_all=select_all))
        self.assertIn("The invoices to pay changed", error, "no seal, no payment")
        self.assertEqual(Transaction.search_count([]), before)
        quote, _error = self._rpc(f"{self.base_path}/quote", {"allocations": [], "select_all": select_all})
        transaction = self._start_payment([], select_all=select_all, selection_signature=quote["selection_signature"])
        self.assertEqual(len(transaction.invoice_pay_allocation_ids), 121)
        self.assertIn(added, transaction.invoice_pay_allocation_ids.invoice_id)

    def test_payment_form_takes_select_all(self):
        result, error = self._rpc(f"{self.base_path}/payment-form", {
            "allocations": [], "select_all": {"group": self.group_key, "except": []},
        })
        self.assertIsNone(error)
        self.assertEqual(result["invoice_count"], 120)
        summary = _by_class(html.fromstring(result["html"]), "o_invoice_pay_summary")[0].text_content()
        total = sum(Decimal(str(amount)) for amount in self._open_invoices().mapped("amount_residual"))
        expected = f"120 invoices, {self.env.company.currency_id.format(float(total))}"
        self.assertIn(" ".join(expected.split()), " ".join(summary.split()))

    def test_bad_select_all_is_refused_and_writes_nothing(self):
        before = self.env["payment.transaction"].sudo().search_count([])
        cases = [
            ("everything", "could not be read"),
            ({"group": self.group_key}, "could not be read"),
            ({"group": self.group_key, "except": "1,2"}, "could not be read"),
            ({"group": self.group_key, "except": [True]}, "could not be read"),
            ({"group": "1-999999", "except": []}, "cannot be paid any more"),
            ({"group": self.group_key, "except": self._open_invoices().ids}, "Select at least one invoice"),
        ]
        for select_all, message in cases:
            with self.subTest(select_all=select_all):
                for route in ("quote", "transaction"):
                    params = ({"allocations": [], "select_all": select_all} if route == "quote"
                              else self._transaction_params([], select_all=select_all))
                    result, error = self._rpc(f"{self.base_path}/{route}", params)
                    self.assertIsNone(result)
                    self.assertIn(message, error or "")
        self.assertEqual(self.env["payment.transaction"].sudo().search_count([]), before)

    def test_one_payment_covers_a_bounded_number_of_invoices(self):
        with patch.object(invoice_pay_link, "MAX_INVOICES_PER_PAYMENT", 100):
            _result, error = self._rpc(f"{self.base_path}/quote", {
                "allocations": [], "select_all": {"group": self.group_key, "except": []},
            })
            self.assertIn("at most 100 invoices", error or "")
            self.assertIn("in parts", error or "")
            _result, error = self._rpc(f"{self.base_path}/quote", {
                "allocations": [],
                "select_all": {"group": self.group_key, "except": self._open_invoices()[:20].ids},
            })
            self.assertIsNone(error)
        self.assertEqual(invoice_pay_link.MAX_INVOICES_PER_PAYMENT, 5000)

    def test_spread_covers_invoices_not_drawn(self):
        invoices = self._open_invoices()
        total = sum(Decimal(str(amount)) for amount in invoices.mapped("amount_residual"))
        result, error = self._rpc(f"{self.base_path}/spread", {"amount": str(total - 1), "group": self.group_key})
        self.assertIsNone(error)
        self.assertEqual(len(result["allocations"]), 120)
        self.assertEqual(result["allocations"][-1]["invoice_id"], invoices[-1].id)


@tagged("post_install", "-at_install")
class TestBigAccountTour(BigAccountCommon, HttpCase):
    """A customer with 120 invoices searches, loads more, selects all across pages and pays."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._enable_card_surcharge()

    def test_search_page_select_all_and_pay(self):
        invoices = self._open_invoices()
        oldest, second = invoices[0], invoices[1]
        paid_in_full = invoices - oldest - second
        expected = sum(Decimal(str(amount)) for amount in paid_in_full.mapped("amount_residual")) + Decimal("10.00")
        self.start_tour(f"{self.base_path}/invoices", "invoice_public_pay_big_account")
        transaction = self.env["payment.transaction"].sudo().search(
            [("invoice_pay_link_id.partner_id", "=", self.customer.id)],
        )
        self.assertEqual(transaction.state, "done")
        self.assertEqual(len(transaction.invoice_pay_allocation_ids), 119)
        self.assertEqual(Decimal(str(transaction.amount)), expected)
        self.assertEqual(self._open_invoices(), oldest | second, "every other invoice is paid in full")
        self.assertEqual(second.amount_residual, second.amount_total - 10.0)
        self.assertEqual(oldest.payment_state, "not_paid")
        question = oldest.message_ids.filtered(lambda message: "March delivery" in str(message.body))
        self.assertEqual(question.author_id, self.customer, "the question asked on the page")
