"""The public routes against a hostile visitor who holds a valid link.

Guessing from a shared address, framing, tokens in the log, the 429 page,
saved cards of another customer, and the server-wide limit on PDF renders.
"""

import base64
import contextlib
import logging
import time
from unittest.mock import patch

from lxml import html

from odoo.sql_db import db_connect
from odoo.tests import HttpCase, tagged

from .. import render_limit
from ..logging_filter import PayLinkTokenFilter
from .common import InvoicePayPaymentCommon

FRAMING_HEADERS = {"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "frame-ancestors 'self'"}
PRIVATE_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
FAKE_PDF = b"%PDF-1.4 rendered by the test\n%%EOF"
STORED_PDF = b"%PDF-1.4 stored when the invoice was sent\n%%EOF"
RENDER_LOCK_CLASS = render_limit.PDF_RENDER_LOCK_CLASS
RENDER_SLOTS_PARAM = render_limit.PDF_RENDER_SLOTS_PARAM
LINK_LOCK_CLASS = render_limit.LINK_RENDER_LOCK_CLASS
REPORT_PATH = "odoo.addons.base.models.ir_actions_report.IrActionsReport._render_qweb_pdf"


class HardeningCommon(InvoicePayPaymentCommon, HttpCase):

    def assertHeaders(self, response, expected):
        for name, value in expected.items():
            self.assertEqual(response.headers.get(name), value, f"{name} of {response.url}")

    def assertNoOffsiteLinks(self, page):
        document = html.fromstring(page)
        for url in document.xpath("//a/@href | //form/@action | //link/@href | //script/@src | //img/@src"):
            with self.subTest(url=url):
                self.assertFalse(
                    url.startswith("//") or "://" in url.split("?")[0], f"{url} leads off-site",
                )

    @contextlib.contextmanager
    def _render_slots_held(self, slots=1):
        """All PDF render slots taken by other workers (another database connection)."""
        self.env["ir.config_parameter"].sudo().set_param(RENDER_SLOTS_PARAM, slots)
        self.env.flush_all()
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            for slot in range(slots):
                other.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (RENDER_LOCK_CLASS, slot))
                self.assertTrue(other.fetchone()[0], "the test holds every render slot")
            yield
        finally:
            other.rollback()
            other.close()

    @staticmethod
    def _fake_render(calls):
        def render(report_self, report_ref, res_ids=None, data=None):
            calls.append((report_self._get_report(report_ref).report_name, tuple(res_ids or ())))
            return FAKE_PDF + str(len(calls)).encode(), "pdf"
        return render


@tagged("post_install", "-at_install")
class TestGuessingFromSharedAddress(HardeningCommon):
    """Guessing from an address shared by many customers (office, carrier NAT)."""

    def test_throttled_address_still_gets_valid_links(self):
        self.env["ir.config_parameter"].sudo().set_param("invoice_public_pay.guess_limit", 3)
        for attempt in range(3):
            self.assertEqual(self.url_open(f"/invoice-pay/{attempt:043d}").status_code, 404)
        # Unknown tokens keep getting 429 from this address...
        self.assertEqual(self.url_open(f"/invoice-pay/{'y' * 43}").status_code, 429)
        self.assertEqual(self.url_open(f"/invoice-pay/{'z' * 43}/invoices").status_code, 429)
        response = self.opener.post(
            f"{self.base_url()}/invoice-pay/{'z' * 43}/quote",
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"allocations": []}},
        )
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many invalid payment links", response.json()["error"]["data"]["message"])
        # ...while a real customer behind the same address is served, pages and JSON routes alike.
        self.assertEqual(self.url_open(self.base_path).status_code, 200)
        self.assertEqual(self.url_open(f"{self.base_path}/invoices").status_code, 200)
        self.assertEqual(self.url_open(f"{self.base_path}/invoice/{self.invoice_old.id}/pdf").status_code, 200)
        result, error = self._rpc(f"{self.base_path}/quote", {"allocations": [self._alloc(self.invoice_old, 10)]})
        self.assertIsNone(error)
        self.assertEqual(result["amount_total"], 10.0)
        _result, error = self._rpc(f"{self.base_path}/spread", {"amount": "5", "group": "x"})
        self.assertNotIn("Too many invalid", error or "")
        self.assertTrue(self.env["invoice.pay.guess.counter"].sudo()._is_blocked("127.0.0.1"))


@tagged("post_install", "-at_install")
class TestSecurityHeaders(HardeningCommon):
    """Every answer of the public routes forbids framing by other sites; the 429 page is private."""

    def test_pages_pdfs_and_errors_forbid_framing(self):
        # First: PDF requests of this test hold a render slot until the test's transaction ends.
        with self._render_slots_held():
            busy = self.url_open(f"{self.base_path}/invoice/{self.invoice_mid.id}/pdf")
        self.assertEqual(busy.status_code, 503)
        self.assertHeaders(busy, {**FRAMING_HEADERS, **PRIVATE_PAGE_HEADERS})
        transaction = self._pay([self._alloc(self.invoice_old, 400)])
        paths = {
            "landing": self.base_path,
            "list": f"{self.base_path}/invoices",
            "invoice": f"{self.base_path}/invoice/{self.invoice_mid.id}/pdf",
            "receipt": f"{self.base_path}/receipt/{transaction.id}",
            "missing document": f"{self.base_path}/invoice/0/pdf",
            "unknown link": f"/invoice-pay/{'Q' * 43}",
        }
        for name, path in paths.items():
            with self.subTest(name):
                response = self.url_open(path)
                self.assertIn(response.status_code, (200, 404))
                self.assertHeaders(response, {**FRAMING_HEADERS, **PRIVATE_PAGE_HEADERS})
                if response.status_code == 404:
                    self.assertNoOffsiteLinks(response.text)

    def test_json_answers_carry_the_headers(self):
        response = self.opener.post(
            self.base_url() + f"{self.base_path}/quote",
            json={"jsonrpc": "2.0", "method": "call", "id": 1,
                  "params": {"allocations": [self._alloc(self.invoice_old, 10)]}},
            timeout=30,
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("result", response.json())
        self.assertHeaders(response, {**FRAMING_HEADERS, **PRIVATE_PAGE_HEADERS})

    def test_too_many_requests_page(self):
        self.env["ir.config_parameter"].sudo().set_param("invoice_public_pay.guess_limit", 1)
        self.url_open(f"/invoice-pay/{'1' * 43}")
        response = self.url_open(f"/invoice-pay/{'2' * 43}")
        self.assertEqual(response.status_code, 429)
        self.assertHeaders(response, {
            **FRAMING_HEADERS, **PRIVATE_PAGE_HEADERS, "X-Robots-Tag": "noindex, nofollow",
        })
        self.assertIn("Too many invalid payment links", response.text)
        self.assertNoOffsiteLinks(response.text)


@tagged("post_install", "-at_install")
class TestTokenSpellingsInLog(HardeningCommon):
    """Whatever spelling of the link reaches the server, its token never reaches the log."""

    def _logged(self, paths):
        records = []
        handler = logging.Handler(level=logging.DEBUG)
        handler.emit = records.append
        loggers = [logging.getLogger(name) for name in ("werkzeug", "odoo.http")]
        for logger in loggers:
            logger.addHandler(handler)
        try:
            for path in paths:
                self.url_open(path, allow_redirects=False)
            deadline = time.monotonic() + 5
            while len(records) < len(paths) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
        return "\n".join(record.getMessage() for record in records)

    def test_every_spelling_is_masked(self):
        token = self.token
        paths = [
            f"/invoice-pay//{token}",
            f"/invoice-pay///{token}/invoices",
            f"/INVOICE-PAY/{token}",
            f"/Invoice-Pay//{token}",
            f"/fr/invoice-pay/{token}",
            f"/fr_BE/INVOICE-PAY/{token}",
            f"/invoice%2Dpay/{token}",
            f"/invoice-pay%2F{token}",
            f"/web/login?redirect=/invoice-pay/{token}",
            f"/web/login?redirect=%2Finvoice-pay%2F{token}",
            f"/invoice-pay/{token}?x=1",
        ]
        output = self._logged(paths)
        self.assertTrue(output)
        self.assertNotIn(token, output)
        self.assertNotIn(token[:20], output)


    def test_every_logger_is_masked(self):
        """Other loggers (http_routing's warnings, stack dumps) reach the root handlers: masked there."""
        handlers = logging.getLogger().handlers
        self.assertTrue(handlers)
        for handler in handlers:
            with self.subTest(handler=handler):
                self.assertTrue(any(isinstance(existing, PayLinkTokenFilter) for existing in handler.filters))
        record = logging.LogRecord(
            "odoo.addons.http_routing.models.ir_http", logging.WARNING, __file__, 1,
            "%r (lang: %r) couldn't not correctly route", (f"/en_US/invoice-pay/{self.token}/quote", "en"), None,
        )
        self.assertTrue(all(handler.filter(record) for handler in handlers))
        self.assertNotIn(self.token, record.getMessage())


@tagged("post_install", "-at_install")
class TestForeignSavedCard(HardeningCommon):
    """A customer user quoting with another customer's saved card learns nothing of it."""

    def test_foreign_and_unknown_card_get_the_same_answer(self):
        other_card = self.env["payment.token"].sudo().create({
            "provider_id": self.demo_provider.id,
            "payment_method_id": self.demo_method.id,
            "partner_id": self.other_customer.id,
            "payment_details": "7777",
            "provider_ref": "demo-token-other",
        })
        own_card = self.env["payment.token"].sudo().create({
            "provider_id": self.demo_provider.id,
            "payment_method_id": self.demo_method.id,
            "partner_id": self.portal_user.partner_id.id,
            "payment_details": "5151",
            "provider_ref": "demo-token-own",
        })
        self.authenticate(self.portal_user.login, self.portal_user.login)
        allocations = [self._alloc(self.invoice_old, 10)]
        answers = {}
        for name, token_id in (("foreign", other_card.id), ("unknown", other_card.id + 1000)):
            answers[name] = self._rpc(f"{self.base_path}/quote", {"allocations": allocations, "token_id": token_id})
        self.assertEqual(answers["foreign"], answers["unknown"])
        self.assertIsNone(answers["foreign"][0], "no price, no method of the other customer's card")
        self.assertTrue(answers["foreign"][1])
        # The user's own card is priced.
        result, error = self._rpc(f"{self.base_path}/quote", {"allocations": allocations, "token_id": own_card.id})
        self.assertIsNone(error)
        self.assertEqual(result["amount_total"], 10.0)


@tagged("post_install", "-at_install")
class TestPdfRenderLimit(HardeningCommon):
    """PDFs are rendered under a server-wide limit; stored PDFs are served without rendering."""

    def test_busy_server_answers_503(self):
        calls = []
        with patch(REPORT_PATH, self._fake_render(calls)), self._render_slots_held(2):
            response = self.url_open(f"{self.base_path}/invoice/{self.invoice_old.id}/pdf")
        self.assertEqual(response.status_code, 503)
        self.assertTrue(response.headers.get("Retry-After"))
        self.assertHeaders(response, {**FRAMING_HEADERS, **PRIVATE_PAGE_HEADERS})
        self.assertIn("busy", response.text)
        self.assertNoOffsiteLinks(response.text)
        self.assertFalse(calls, "nothing rendered")
        # Once a slot is free, the invoice is rendered.
        with patch(REPORT_PATH, self._fake_render(calls)):
            response = self.url_open(f"{self.base_path}/invoice/{self.invoice_old.id}/pdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertEqual(len(calls), 1)

    def test_stored_invoice_pdf_is_served_even_when_busy(self):
        self.invoice_old.invoice_pdf_report_file = base64.b64encode(STORED_PDF)
        self.env.flush_all()
        calls = []
        with patch(REPORT_PATH, self._fake_render(calls)), self._render_slots_held(1):
            response = self.url_open(f"{self.base_path}/invoice/{self.invoice_old.id}/pdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, STORED_PDF)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertHeaders(response, {**FRAMING_HEADERS, **PRIVATE_PAGE_HEADERS})
        self.assertFalse(calls)

    def test_invoice_pdf_rendered_once_per_link(self):
        calls = []
        path = f"{self.base_path}/invoice/{self.invoice_old.id}/pdf"
        with patch(REPORT_PATH, self._fake_render(calls)):
            first = self.url_open(path)
            self.assertEqual((first.status_code, len(calls)), (200, 1))
            again = self.url_open(path)
        self.assertEqual((again.status_code, again.content), (200, first.content), "served from storage")
        self.assertEqual(len(calls), 1, "a link holder looping on one invoice costs one render")
        # Once the invoice changes (a payment), it is printed again.
        self._pay([self._alloc(self.invoice_old, 10)])
        with patch(REPORT_PATH, self._fake_render(calls)):
            self.assertEqual(self.url_open(path).status_code, 200)
        self.assertEqual(len(calls), 2)

    def test_one_render_at_a_time_per_link(self):
        calls = []
        self.env["ir.config_parameter"].sudo().set_param(RENDER_SLOTS_PARAM, 5)
        self.env.flush_all()
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (LINK_LOCK_CLASS, self._link().id))
            with patch(REPORT_PATH, self._fake_render(calls)):
                busy = self.url_open(f"{self.base_path}/invoice/{self.invoice_mid.id}/pdf")
        finally:
            other.rollback()
            other.close()
        self.assertEqual(busy.status_code, 503, "the same link is already printing: free slots stay for others")
        self.assertFalse(calls)

    def test_render_slots_follow_the_workers(self):


        params = self.env["ir.config_parameter"].sudo()
        params.set_param(RENDER_SLOTS_PARAM, False)
        for workers, slots in ((2, 1), (5, 4), (1, 1)):
            with self.subTest(workers=workers), patch.object(render_limit, "config", {"workers": workers}):
                self.assertEqual(render_limit.pdf_render_slots(self.env), slots)
        params.set_param(RENDER_SLOTS_PARAM, 3)
        self.assertEqual(render_limit.pdf_render_slots(self.env), 3)


@tagged("post_install", "-at_install")
class TestStoredReceipt(HardeningCommon):
    """A receipt is rendered once, stored on its transaction, and made again when what it shows changes."""

    def _receipts(self, transaction):
        return self.env["ir.attachment"].sudo().search([
            ("res_model", "=", "payment.transaction"), ("res_id", "=", transaction.id),
        ])

    def test_receipt_rendered_once_and_again_after_a_change(self):
        calls = []
        with patch(REPORT_PATH, self._fake_render(calls)):
            transaction = self._pay([self._alloc(self.invoice_old, 400)])
            path = f"{self.base_path}/receipt/{transaction.id}"
            # The confirmation email stored the receipt: the page serves it.
            first = self.url_open(path)
            self.assertEqual(first.status_code, 200)
            self.assertEqual(first.headers["Content-Type"], "application/pdf")
            self.assertEqual(len(calls), 1)
            stored = self._receipts(transaction)
            self.assertEqual(len(stored), 1)
            self.assertEqual(stored.name, f"Receipt {transaction.reference}.pdf".replace("/", "-"))
            self.assertEqual(stored.raw, first.content)
            with self._render_slots_held(1):
                again = self.url_open(path)
            self.assertEqual(again.content, first.content, "served from storage, even when busy")
            self.assertEqual(len(calls), 1)
            # Cancelling the payment in the back office changes what the receipt shows.
            transaction.payment_id.action_draft()
            transaction.payment_id.action_cancel()
            self.env.flush_all()
            after = self.url_open(path)
            self.assertEqual(after.status_code, 200)
            self.assertEqual(len(calls), 2)
            self.assertNotEqual(after.content, first.content)
            self.assertEqual(self._receipts(transaction).raw, after.content, "one receipt kept: the current one")
