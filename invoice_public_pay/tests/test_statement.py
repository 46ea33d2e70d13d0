import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

from lxml import html

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.sql_db import Cursor
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail

from ..models.invoice_pay_statement import aging_bucket
from .common import InvoicePayCommon
from .test_public_hardening import FAKE_PDF, REPORT_PATH, HardeningCommon

STATEMENT_REPORT = "invoice_public_pay.report_invoice_pay_statement"


class StatementCommon(InvoicePayCommon):
    """A customer with invoices, a credit note and partial payments in dollars and in euros.

    Dollars (the company's currency), T = today:

    ========  ======  ======  ======  ====================  ==================
    document  date    due     amount  paid                  open on T (aging)
    ========  ======  ======  ======  ====================  ==================
    INV1      T-120   T-100   1000                          1000 (over 90)
    INV5      T-100   T-75     200                           200 (61-90)
    INV2      T-70    T-40     500    200 on T-10            300 (31-60)
    INV4      T-50    T-20     300    300 on T-5               0
    INV3      T-20    T+10     800                           800 (current)
    RINV1     T-15    T-15    -150                          -150 (1-30)
    ========  ======  ======  ======  ====================  ==================

    Euros: E1 1000 (T-40, due T-35) paid 400 on T-3 at another rate (an exchange
    difference entry), E2 250 (T-5, due T+25).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = today = fields.Date.context_today(cls.env.user)

        def day(offset):
            return today + timedelta(days=offset)

        cls.day = staticmethod(day)
        cls.euro = cls.setup_other_currency("EUR", rates=[(day(-400), 2.0), (day(-4), 1.6)])
        invoice = cls._customer_invoice
        cls.inv1 = invoice(1000.0, invoice_date=day(-120), due_date=day(-100))
        cls.inv5 = invoice(200.0, invoice_date=day(-100), due_date=day(-75))
        cls.inv2 = invoice(500.0, partner=cls.contact, invoice_date=day(-70), due_date=day(-40))
        cls.inv4 = invoice(300.0, invoice_date=day(-50), due_date=day(-20))
        cls.inv3 = invoice(800.0, invoice_date=day(-20), due_date=day(10))
        cls.refund = invoice(150.0, invoice_date=day(-15), due_date=day(-15), move_type="out_refund")
        cls.eur1 = invoice(1000.0, invoice_date=day(-40), due_date=day(-35), currency=cls.euro)
        cls.eur2 = invoice(250.0, invoice_date=day(-5), due_date=day(25), currency=cls.euro)
        cls._register_payment(cls.inv2, 200.0, day(-10))
        cls._register_payment(cls.inv4, 300.0, day(-5))
        cls._register_payment(cls.eur1, 400.0, day(-3), currency=cls.euro)
        # Another customer's invoice is never on the statement.
        invoice(999.0, partner=cls.other_customer, invoice_date=day(-30))
        cls.dollar = cls.env.company.currency_id

    @classmethod
    def _register_payment(cls, invoice, amount, payment_date, currency=None):
        values = {"amount": amount, "payment_date": payment_date, "payment_difference_handling": "open"}
        if currency:
            values["currency_id"] = currency.id
        return cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create(values)._create_payments()

    def _statement(self, **dates):
        Statement = self.env["invoice.pay.statement"]
        period = Statement._parse_period(**{key: value.isoformat() for key, value in dates.items()})
        groups = Statement._build(self.customer, period, self.env.company)
        return {group.currency.name: group for group in groups}

    @staticmethod
    def _texts(document, xpath):
        return [" ".join(node.text_content().split()) for node in document.xpath(xpath)]

    def _books_open_amount(self, currency):
        """What the books say the customer owes in ``currency``: the open receivable items."""
        groups = self.env["account.move.line"]._read_group(
            [("partner_id.commercial_partner_id", "=", self.customer.id), ("parent_state", "=", "posted"),
             ("account_id.account_type", "=", "asset_receivable"), ("currency_id", "=", currency.id)],
            [], ["amount_residual_currency:sum"],
        )
        return groups[0][0]


@tagged("post_install", "-at_install")
class TestStatementFigures(StatementCommon):
    """The statement's open items, aging and activity, against the books."""

    def test_open_items_and_aging_as_of_today(self):
        statement = self._statement()
        dollars, euros = statement[self.dollar.name], statement["EUR"]
        self.assertEqual(
            [(item["name"], item["open_amount"], item["bucket"]) for item in dollars.open_items],
            [(self.inv1.name, 1000.0, "over_90"), (self.inv5.name, 200.0, "61_90"),
             (self.inv2.name, 300.0, "31_60"), (self.inv3.name, 800.0, "current")],
        )
        self.assertEqual([(item["name"], item["original_amount"], item["open_amount"], item["bucket"])
                          for item in dollars.open_credits], [(self.refund.name, -150.0, -150.0, "1_30")])
        self.assertEqual(dollars.aging, {"current": 800.0, "1_30": -150.0, "31_60": 300.0, "61_90": 200.0,
                                         "over_90": 1000.0})
        self.assertEqual(dollars.open_total, 2150.0)
        self.assertEqual(dollars.open_total, self._books_open_amount(self.dollar))
        self.assertEqual([(item["name"], item["original_amount"], item["open_amount"], item["bucket"])
                          for item in euros.open_items],
                         [(self.eur1.name, 1000.0, 600.0, "31_60"), (self.eur2.name, 250.0, 250.0, "current")])
        self.assertEqual(euros.open_total, 850.0)
        self.assertEqual(euros.open_total, self._books_open_amount(self.euro))
        self.assertNotIn(self.inv4.name, [item["name"] for item in dollars.open_items])

    def test_aging_as_of_a_past_date_ignores_later_payments(self):
        dollars = self._statement(as_of=self.day(-30))[self.dollar.name]
        # INV3 and RINV1 came later; the payments of INV2 and INV4 too.
        self.assertEqual(
            [(item["name"], item["open_amount"], item["bucket"]) for item in dollars.open_items],
            [(self.inv1.name, 1000.0, "61_90"), (self.inv5.name, 200.0, "31_60"),
             (self.inv2.name, 500.0, "1_30"), (self.inv4.name, 300.0, "current")],
        )
        self.assertFalse(dollars.open_credits)
        self.assertEqual(dollars.open_total, 2000.0)

    def test_activity_of_the_last_90_days(self):
        statement = self._statement()
        dollars, euros = statement[self.dollar.name], statement["EUR"]
        # INV1 and INV5 are before the period.
        self.assertEqual(dollars.opening_balance, 1200.0)
        self.assertEqual(
            [(row["name"], row["amount"], row["balance"]) for row in dollars.activity],
            [(self.inv2.name, 500.0, 1700.0), (self.inv4.name, 300.0, 2000.0), (self.inv3.name, 800.0, 2800.0),
             (self.refund.name, -150.0, 2650.0), (self.inv2.matched_payment_ids.move_id.name, -200.0, 2450.0),
             (self.inv4.matched_payment_ids.move_id.name, -300.0, 2150.0)],
        )
        self.assertEqual((dollars.invoiced, dollars.credited, dollars.closing_balance), (1600.0, 650.0, 2150.0))
        self.assertEqual(dollars.closing_balance, dollars.open_total)
        # The payment at another rate made an exchange difference entry: not on the statement.
        exchange_moves = self.eur1.line_ids.matched_credit_ids.exchange_move_id
        self.assertTrue(exchange_moves, "the rates differ: Odoo books an exchange difference")
        self.assertEqual(euros.opening_balance, 0.0)
        self.assertEqual(
            [(row["name"], row["amount"], row["balance"]) for row in euros.activity],
            [(self.eur1.name, 1000.0, 1000.0), (self.eur2.name, 250.0, 1250.0),
             (self.eur1.matched_payment_ids.move_id.name, -400.0, 850.0)],
        )
        self.assertNotIn(exchange_moves.name, [row["name"] for row in euros.activity])
        self.assertEqual(euros.closing_balance, euros.open_total)

    def test_period_asked_for(self):
        dollars = self._statement(date_from=self.day(-60), date_to=self.day(-12))[self.dollar.name]
        self.assertEqual(dollars.opening_balance, 1700.0)
        self.assertEqual([row["name"] for row in dollars.activity], [self.inv4.name, self.inv3.name, self.refund.name])
        self.assertEqual(dollars.closing_balance, 2650.0)

    def test_aging_buckets(self):
        self.assertEqual([aging_bucket(days) for days in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 4000)],
                         ["current", "current", "1_30", "1_30", "31_60", "31_60", "61_90", "61_90", "over_90",
                          "over_90"])

    def test_dates_refused(self):
        Statement = self.env["invoice.pay.statement"]
        defaults = Statement._parse_period()
        self.assertEqual((defaults.as_of, defaults.date_to, defaults.date_from),
                         (self.today, self.today, self.day(-89)))
        for dates in ({"date_from": "2026-02-30"}, {"as_of": "yesterday"}, {"date_to": "2026-1-1"},
                      {"date_from": "0001-01-01"}, {"as_of": "9999-12-31"},
                      {"date_from": self.day(-1).isoformat(), "date_to": self.day(-2).isoformat()},
                      {"date_from": self.day(-2000).isoformat()}):
            with self.subTest(dates=dates), self.assertRaises(UserError):
                Statement._parse_period(**dates)

    def test_no_query_per_document(self):
        Statement = self.env["invoice.pay.statement"]
        period = Statement._parse_period()

        def count_queries():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            Statement._report_values(self.customer, period, self.env.company)
            return self.env.cr.sql_log_count - before

        count_queries()  # warm the caches
        few = count_queries()
        self.env["account.move"].create([
            {"move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": self.day(-index),
             "invoice_line_ids": [self._prepare_invoice_line(price_unit=10.0 + index, tax_ids=[])]}
            for index in range(30)
        ]).action_post()
        self.assertEqual(count_queries(), few, "3 queries for the figures, whatever the number of documents")

    def test_printing_writes_nothing(self):
        Statement = self.env["invoice.pay.statement"]
        self.env.flush_all()
        queries = []
        execute = Cursor.execute

        def spy(cursor, query, *args, **kwargs):
            queries.append(str(getattr(query, "code", query)))
            return execute(cursor, query, *args, **kwargs)

        with patch.object(Cursor, "execute", spy):
            self.env["report.invoice_public_pay.report_invoice_pay_statement"]._render_statement_pdf(
                self.customer, Statement._parse_period(), self.env.company,
            )
            self.env.flush_all()
        self.assertTrue(queries)
        for query in queries:
            self.assertFalse(query.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")), query)


@tagged("post_install", "-at_install")
class TestStatementDocument(StatementCommon, HttpCase, MockEmail):
    """The printed statement: its figures, the customer's language, the back office button, the email.

    An HttpCase: wkhtmltopdf loads the report's styles from the test server.
    """

    def _document(self, partner=None, data=None):
        content, _report_type = self.env["ir.actions.report"]._render_qweb_html(
            STATEMENT_REPORT, (partner or self.customer).ids, data=data or {},
        )
        return html.fromstring(content)

    def test_only_accounting_users_print_statements(self):
        """The figures are read in SQL, past record rules: a plain employee gets no statement."""
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(self.sales_user)._render_qweb_html(
                STATEMENT_REPORT, self.customer.ids, data={},
            )
        # Garbage company ids are ignored, not sent to the database.
        self._document(data={"company_ids": "x"})

    def test_document_in_english(self):
        document = self._document()
        text = " ".join(document.text_content().split())
        for expected in ("Statement of Account", self.customer.name, "Open credits", "Opening balance",
                         "Closing balance", "Over 90 days"):
            self.assertIn(expected, text)
        totals = self._texts(document, "//td[contains(@class, 'o_invoice_pay_statement_total')]")
        self.assertEqual(len(totals), 2)
        self.assertIn("2,150.00", totals[0])
        self.assertIn("850.00", totals[1])
        items = self._texts(document, "//tr[contains(@class, 'o_invoice_pay_statement_item')]")
        self.assertEqual(len(items), 6)
        self.assertTrue(items[0].startswith(self.inv1.name) and items[0].endswith("Over 90 days"), items[0])
        self.assertNotIn(self.other_customer.name, text)

    def test_document_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["invoice_public_pay"], ["fr_FR"], overwrite=True)
        self.customer.lang = "fr_FR"
        text = " ".join(self._document().text_content().split())
        for expected in ("Relevé de compte", "Solde d'ouverture", "Plus de 90 jours", "2 150,00"):
            self.assertIn(expected, text)

    def test_back_office_button(self):
        action = self.customer.with_user(self.invoicing_user).action_invoice_pay_print_statement()
        self.assertEqual(action["report_name"], STATEMENT_REPORT)
        self.assertEqual(action["context"]["active_ids"], self.customer.ids)
        self.assertEqual(action["data"]["company_ids"], self.env.company.ids)
        document = self._document(self.contact, data=action["data"])
        self.assertIn(self.customer.name, document.text_content())

    def test_attached_to_the_pay_link_email(self):
        action = self.customer.with_user(self.invoicing_user).action_invoice_pay_send()
        composer = self.env["mail.compose.message"].with_user(self.invoicing_user).with_context(
            **action["context"]).create({})
        self.assertTrue(composer.invoice_pay_is_pay_link)
        composer.invoice_pay_attach_statement = True
        with self.mock_mail_gateway():
            composer.action_send_mail()
        statement = self._statement_attachments(self.customer.message_ids[:1])
        self.assertEqual(len(statement), 1)
        self.assertIn(b"Statement of Account", statement.raw)
        self.assertEqual(len(self._events(event="sent")), 1)
        # Without the option, no statement is attached.
        composer = self.env["mail.compose.message"].with_user(self.invoicing_user).with_context(
            **action["context"]).create({})
        with self.mock_mail_gateway():
            composer.action_send_mail()
        self.assertEqual(len(self._events(event="sent")), 2)
        self.assertFalse(self._statement_attachments(self.customer.message_ids[:1]))

    def _statement_attachments(self, message):
        # The email's QR code is an attachment too.
        return message.attachment_ids.filtered(lambda attachment: attachment.name.startswith(
            f"Statement {self.customer.name}"))

    def test_real_pdf(self):
        """wkhtmltopdf's output, read back with pdftotext."""
        self.assertTrue(shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed to read the PDF")
        Report = self.env["report.invoice_public_pay.report_invoice_pay_statement"].with_context(
            force_report_rendering=True)
        content = Report._render_statement_pdf(
            self.customer, self.env["invoice.pay.statement"]._parse_period(), self.env.company)
        self.assertTrue(content.startswith(b"%PDF"))
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "statement.pdf"
            path.write_bytes(content)
            text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout
        for expected in ("Statement of Account", self.inv1.name, "2,150.00", "850.00"):
            self.assertIn(expected, text)


@tagged("post_install", "-at_install")
class TestStatementRoute(StatementCommon, HardeningCommon, HttpCase):
    """``GET /invoice-pay/<token>/statement``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.statement_path = f"{cls.base_path}/statement"

    def _written_records(self):
        return (self.env["invoice.pay.link.activity"].sudo().search_count([]),
                self.env["ir.attachment"].sudo().search_count([]))

    def test_statement_of_the_link(self):
        before = self._written_records()
        response = self.url_open(self.statement_path)
        self.assertEqual(response.status_code, 200)
        self.assertHeaders(response, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
                                      "X-Frame-Options": "SAMEORIGIN"})
        # In test mode Odoo renders reports as HTML.
        document = html.fromstring(response.content)
        self.assertIn("Statement of Account", document.text_content())
        self.assertIn(self.inv1.name, document.text_content())
        self.assertEqual(self._written_records(), before, "printing writes nothing, not even 'opened'")

    def test_dates_of_the_request(self):
        response = self.url_open(f"{self.statement_path}?as_of={self.day(-30).isoformat()}"
                                 f"&date_from={self.day(-60).isoformat()}&date_to={self.day(-12).isoformat()}")
        self.assertEqual(response.status_code, 200)
        totals = self._texts(html.fromstring(response.content),
                             "//td[contains(@class, 'o_invoice_pay_statement_total')]")
        # The figures of TestStatementFigures, and the page fixtures' invoice of T-60 (400.00, due T-30).
        self.assertIn("2,400.00", totals[0])

    def test_bad_dates_get_a_message(self):
        before = self._written_records()
        for query, message in (
            ("date_from=2026-02-30", "YYYY-MM-DD"),
            ("as_of=%3Cscript%3E", "YYYY-MM-DD"),
            (f"date_from={self.day(-1).isoformat()}&date_to={self.day(-2).isoformat()}", "on or before"),
            (f"date_from={self.day(-4000).isoformat()}", "at most"),
            ("as_of=2999-01-01", "between"),
        ):
            with self.subTest(query=query):
                response = self.url_open(f"{self.statement_path}?{query}")
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
                self.assertNotIn("<script>", response.text)
                self.assertHeaders(response, {"Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN"})
        self.assertEqual(self._written_records(), before)

    def test_unknown_and_disabled_links(self):
        response = self.url_open("/invoice-pay/" + "x" * 43 + "/statement")
        self.assertEqual(response.status_code, 404)
        self._link().enabled = False
        self.assertEqual(self.url_open(self.statement_path).status_code, 404)

    def test_guessing_gets_429_and_the_real_link_is_served(self):
        self.env["ir.config_parameter"].sudo().set_param("invoice_public_pay.guess_limit", 3)
        for attempt in range(3):
            self.assertEqual(self.url_open(f"/invoice-pay/{attempt:043d}/statement").status_code, 404)
        response = self.url_open(f"/invoice-pay/{'y' * 43}/statement")
        self.assertEqual(response.status_code, 429)
        self.assertHeaders(response, {"Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN"})
        self.assertEqual(self.url_open(self.statement_path).status_code, 200)

    def test_busy_server_answers_503(self):
        calls = []
        with patch(REPORT_PATH, self._fake_render(calls)), self._render_slots_held(2):
            response = self.url_open(self.statement_path)
        self.assertEqual(response.status_code, 503)
        self.assertTrue(response.headers.get("Retry-After"))
        self.assertFalse(calls)
        with patch(REPORT_PATH, self._fake_render(calls)):
            response = self.url_open(f"{self.statement_path}?download=1")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content[:len(FAKE_PDF)], FAKE_PDF)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertIn("Statement", response.headers["Content-Disposition"])

    def test_download_link_on_the_pages(self):
        for path in (self.base_path, f"{self.base_path}/invoices"):
            with self.subTest(path=path):
                page = html.fromstring(self.url_open(path).content)
                self.assertEqual(page.xpath("//a[contains(@class, 'o_invoice_pay_statement_link')]/@href"),
                                 [self.statement_path])
