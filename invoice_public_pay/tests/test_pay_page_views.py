from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestPayPageViews(InvoicePayPaymentCommon, HttpCase):
    """What the customer sees on the invoice list, and the documents they can print."""

    def test_list_groups_invoices_oldest_due_first(self):
        credit_note = self._customer_invoice(65.0, move_type="out_refund")
        blocked = self._customer_invoice(30.0)
        blocked.payment_state = "blocked"
        response = self.url_open(f"{self.base_path}/invoices")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers.get("Referrer-Policy"), "no-referrer")
        page = response.text
        positions = [page.index(f'data-invoice-id="{invoice.id}"')
                     for invoice in (self.invoice_old, self.invoice_mid, self.invoice_new)]
        self.assertEqual(positions, sorted(positions))
        self.assertEqual(page.count("o_invoice_pay_overdue"), 2, "two invoices are overdue")
        self.assertIn(f'data-invoice-id="{blocked.id}"', page)
        self.assertIn("on hold and cannot be paid online", page)
        self.assertIn("Credits in your favour", page)
        self.assertNotIn(f'data-invoice-id="{credit_note.id}"', page, "credit notes are not payable rows")
        self.assertIn(f"{self.base_path}/invoice/{credit_note.id}/pdf", page)
        for invoice in (self.invoice_old, self.invoice_mid):
            self.assertIn(f'for="o_invoice_pay_amount_{invoice.id}"', page, "every field has a label")
        self.assertNotIn(self._token_of(self.other_customer._invoice_pay_ensure_url()), page)

    def test_groups_per_currency(self):
        euro = self.setup_other_currency("EUR")
        self._customer_invoice(90.0, currency=euro)
        page = self.url_open(f"{self.base_path}/invoices").text
        self.assertEqual(page.count('class="card shadow-sm mb-4 o_invoice_pay_group"'), 2)

    def test_nothing_to_pay(self):
        path = f"/invoice-pay/{self._token_of(self.other_customer._invoice_pay_ensure_url())}"
        page = self.url_open(f"{path}/invoices").text
        self.assertIn("Nothing to pay", page)
        self.assertNotIn("o_invoice_pay_group", page.split("<main")[-1])

    def test_opened_is_logged_once_per_hour(self):
        now = fields.Datetime.now()
        with freeze_time(now):
            self.url_open(self.base_path)
            self.url_open(f"{self.base_path}/invoices")
            self.url_open(f"{self.base_path}/invoices")
        self.assertEqual(len(self._events(event="opened")), 1)
        with freeze_time(now.replace(microsecond=0) + timedelta(minutes=59)):
            self.url_open(f"{self.base_path}/invoices")
        self.assertEqual(len(self._events(event="opened")), 1)
        with freeze_time(now.replace(microsecond=0) + timedelta(minutes=61)):
            self.url_open(f"{self.base_path}/invoices")
        self.assertEqual(len(self._events(event="opened")), 2)
        # An invalid link logs nothing.
        self.url_open(f"/invoice-pay/{'Q' * 43}/invoices")
        self.assertEqual(len(self.env["invoice.pay.link.activity"].sudo().search([("event", "=", "opened")])), 2)

    def test_print_only_the_customers_own_documents(self):
        credit_note = self._customer_invoice(65.0, move_type="out_refund")
        own = self.url_open(f"{self.base_path}/invoice/{self.invoice_mid.id}/pdf")
        self.assertEqual(own.status_code, 200)
        self.assertIn(self.invoice_mid.name, own.text)
        self.assertEqual(self.url_open(f"{self.base_path}/invoice/{credit_note.id}/pdf").status_code, 200)
        other_invoice = self._customer_invoice(80.0, partner=self.other_customer)
        draft = self._customer_invoice(70.0, post=False)
        bill = self._customer_invoice(60.0, move_type="in_invoice")
        for invoice_id in (other_invoice.id, draft.id, bill.id, 999999999):
            with self.subTest(invoice_id=invoice_id):
                response = self.url_open(f"{self.base_path}/invoice/{invoice_id}/pdf")
                self.assertEqual(response.status_code, 404)
                self.assertIn("This document is not available", response.text)
                self.assertEqual(response.headers.get("Referrer-Policy"), "no-referrer")
                self.assertNotIn(other_invoice.name, response.text)
        self.assertEqual(self.url_open(f"/invoice-pay/{'Q' * 43}/invoice/{self.invoice_mid.id}/pdf").status_code, 404)
