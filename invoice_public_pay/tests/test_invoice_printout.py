import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from lxml import html

from odoo.tests import HttpCase, tagged

from .common import InvoicePayCommon

INVOICE_REPORT = "account.account_invoices"


@tagged("post_install", "-at_install")
class TestInvoicePrintout(InvoicePayCommon, HttpCase):
    """The pay button and QR code on invoice printouts and invoice emails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._customer_invoice(640.0)
        cls.pay_url = cls.customer.invoice_pay_url
        cls.company = cls.invoice.company_id
        cls.company.invoice_pay_show_on_invoice = True

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _render(self, invoice, user=None):
        """The printed invoice as an lxml tree (test mode renders the PDF's HTML)."""
        Report = self.env["ir.actions.report"].with_user(user or self.env.user)
        content, _report_type = Report._render_qweb_html(INVOICE_REPORT, invoice.ids)
        return html.fromstring(content)

    def _printed_pay_link(self, document):
        """``(button URLs, texts decoded from the QR codes)`` of the pay link block."""
        buttons = document.xpath("//a[contains(@class, 'o_invoice_pay_button')]/@href")
        qr_texts = [
            text
            for source in document.xpath("//img[contains(@class, 'o_invoice_pay_qr')]/@src")
            for text in self._decode_qr_codes(source)
        ]
        return buttons, qr_texts

    def _assert_pay_link_printed(self, invoice, msg=None):
        buttons, qr_texts = self._printed_pay_link(self._render(invoice))
        self.assertEqual(buttons, [self.pay_url], msg)
        self.assertEqual(qr_texts, [self.pay_url], msg)

    def _assert_no_pay_link_printed(self, invoice, msg=None):
        document = self._render(invoice)
        self.assertEqual(self._printed_pay_link(document), ([], []), msg)
        self.assertNotIn(self._token_of(self.pay_url), html.tostring(document, encoding="unicode"), msg)

    @contextmanager
    def _read_only_transaction(self):
        """Run the block in a read-only transaction, as Odoo's test cursors do for read-only routes."""
        cr = self.env.cr
        cr.execute("SAVEPOINT invoice_pay_read_only")
        cr.execute("SET TRANSACTION READ ONLY")
        try:
            yield
            self.env.flush_all()  # a write still pending fails here
        finally:
            cr.execute("ROLLBACK TO SAVEPOINT invoice_pay_read_only")
            cr.execute("RELEASE SAVEPOINT invoice_pay_read_only")

    def _send_wizard(self, invoice):
        return self.env["account.move.send.wizard"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({})

    def _email_qr_texts(self, body):
        return [
            text
            for source in html.fromstring(str(body)).xpath("//div[contains(@class, 'o_invoice_pay_mail_button')]//img/@src")
            for text in self._decode_qr_codes(source)
        ]

    # ------------------------------------------------------------
    # Printouts
    # ------------------------------------------------------------

    def test_open_invoice_shows_button_and_decodable_qr(self):
        self.assertTrue(self.company.invoice_pay_show_on_invoice, "switched on by the administrator")
        self.assertEqual(self.customer.invoice_pay_show_on_invoice, "default")
        document = self._render(self.invoice)
        self.assertEqual(self._printed_pay_link(document), ([self.pay_url], [self.pay_url]))
        self.assertIn("Pay online", document.xpath("//a[contains(@class, 'o_invoice_pay_button')]")[0].text_content())

    def test_partly_paid_invoice_shows_the_link(self):
        self.invoice._invoice_pay_demo_register_payment(140.0)
        self.assertEqual(self.invoice.payment_state, "partial")
        self._assert_pay_link_printed(self.invoice)

    def test_company_default_and_customer_override(self):
        contact_invoice = self._customer_invoice(90.0, partner=self.contact)
        cases = [
            # (company setting, customer choice, printed)
            (True, "default", True),
            (False, "default", False),
            (False, "always", True),
            (True, "never", False),
            (True, "always", True),
            (False, "never", False),
        ]
        for company_setting, customer_choice, printed in cases:
            with self.subTest(company=company_setting, customer=customer_choice):
                self.company.invoice_pay_show_on_invoice = company_setting
                self.customer.invoice_pay_show_on_invoice = customer_choice
                self.assertEqual(self.contact.invoice_pay_show_on_invoice, customer_choice,
                                 "contacts share their company's choice")
                for invoice in (self.invoice, contact_invoice):
                    if printed:
                        self._assert_pay_link_printed(invoice, invoice.partner_id.name)
                    else:
                        self._assert_no_pay_link_printed(invoice, invoice.partner_id.name)

    def test_never_on_paid_cancelled_draft_bills_or_credit_notes(self):
        paid = self._customer_invoice(80.0)
        paid._invoice_pay_demo_register_payment(80.0)
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        cancelled = self._customer_invoice(70.0)
        cancelled.button_draft()
        cancelled.button_cancel()
        draft = self._customer_invoice(60.0, post=False)
        credit_note = self._customer_invoice(50.0, move_type="out_refund")
        vendor_bill = self._customer_invoice(40.0, move_type="in_invoice")
        self.customer.invoice_pay_show_on_invoice = "always"
        for invoice, label in [(paid, "paid"), (cancelled, "cancelled"), (draft, "draft"),
                               (credit_note, "credit note"), (vendor_bill, "vendor bill")]:
            with self.subTest(label):
                self._assert_no_pay_link_printed(invoice, label)

    def test_replaces_odoo_payment_link_qr(self):
        self.company.link_qr_code = True
        document = self._render(self.invoice)
        self.assertEqual(self._printed_pay_link(document), ([self.pay_url], [self.pay_url]))
        self.assertFalse(document.xpath("//div[@id='payment_link_qrcode']"), "one call to action only")
        # Where the pay link is not printed, Odoo's own QR code stays.
        self.customer.invoice_pay_show_on_invoice = "never"
        document = self._render(self.invoice)
        self.assertEqual(self._printed_pay_link(document), ([], []))
        self.assertTrue(document.xpath("//div[@id='payment_link_qrcode']"))

    def test_printing_never_creates_a_link(self):
        link = self._link()
        link.enabled = False
        self._assert_no_pay_link_printed(self.invoice, "a disabled link is not printed")
        link.unlink()
        self._assert_no_pay_link_printed(self.invoice, "no link, nothing printed")
        self.assertFalse(self._link(), "printing created no link")
        self.assertFalse(self._events())

    def test_printing_is_read_only(self):
        """A billing clerk prints the invoice in a read-only transaction, as /report routes run."""
        # Odoo computes the lines' parent sections by writing when it meets the lines
        # one by one (account.move.line._compute_parent_id, not this addon): compute
        # them beforehand, else Odoo's own write makes /report retry read/write.
        self.invoice.line_ids.mapped("parent_id")
        self.env.flush_all()
        with self._read_only_transaction():
            document = self._render(self.invoice, user=self.invoicing_user)
        self.assertEqual(self._printed_pay_link(document), ([self.pay_url], [self.pay_url]))

    def test_sent_invoice_keeps_its_pdf_and_the_page_shows_the_balance(self):
        self._send_wizard(self.invoice).action_send_and_print()
        stored_pdf = self.invoice.invoice_pdf_report_id
        self.assertTrue(stored_pdf, "sending stores the printed invoice")
        self.assertIn(self.pay_url, stored_pdf.raw.decode())
        self.invoice._invoice_pay_demo_register_payment(640.0)
        self.assertEqual(self.invoice.invoice_pdf_report_id, stored_pdf, "the sent document is kept")
        page = self.url_open(self.pay_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_invoice_pay_nothing_due", page.text, "the link shows the current balance")

    def test_real_pdf_has_button_and_scannable_qr(self):
        """One real wkhtmltopdf rendering: the PDF links to the pay page and its QR code scans.

        Debian's wkhtmltopdf draws the invoice's web font as shapes, so the page is
        read as an image (the QR code) and through its link annotations, not as text.
        """
        if not shutil.which("pdftoppm"):
            self.skipTest("poppler-utils (pdftoppm) is needed to read the PDF")
        pdf, report_type = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            INVOICE_REPORT, self.invoice.ids
        )
        self.assertEqual(report_type, "pdf")
        self.assertIn(f"/URI ({self.pay_url})".encode(), pdf, "the button and the code link to the pay page")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "invoice.pdf")
            path.write_bytes(pdf)
            subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", path, Path(folder, "page")],
                           check=True)
            page_image = next(Path(folder).glob("page*.png")).read_bytes()
        self.assertEqual(self._decode_qr_codes(page_image), [self.pay_url])

    # ------------------------------------------------------------
    # Invoice emails
    # ------------------------------------------------------------

    def test_invoice_email_has_the_button_and_qr(self):
        wizard = self._send_wizard(self.invoice)
        self.assertIn(f'href="{self.pay_url}"', str(wizard.body))
        self.assertEqual(self._email_qr_texts(wizard.body), [self.pay_url])
        wizard.action_send_and_print()
        message = self.invoice.message_ids.filtered(lambda m: self.pay_url in str(m.body))
        self.assertEqual(len(message), 1, "the sent email carries the pay button")
        # The QR image became a hosted attachment that still decodes to the link.
        qr_images = message.attachment_ids.filtered(lambda a: a.mimetype == "image/png")
        self.assertEqual([text for image in qr_images for text in self._decode_qr_codes(image.raw)], [self.pay_url])

    def test_invoice_email_follows_the_settings(self):
        cases = [(True, "default", True), (False, "default", False), (False, "always", True), (True, "never", False)]
        for company_setting, customer_choice, shown in cases:
            with self.subTest(company=company_setting, customer=customer_choice):
                self.company.invoice_pay_show_on_invoice = company_setting
                self.customer.invoice_pay_show_on_invoice = customer_choice
                body = str(self._send_wizard(self.invoice).body)
                self.assertEqual(self.pay_url in body, shown)
                self.assertEqual(bool(self._email_qr_texts(body)), shown)

    def test_invoice_email_not_for_paid_invoices_nor_twice(self):
        paid = self._customer_invoice(30.0)
        paid._invoice_pay_demo_register_payment(30.0)
        self.assertNotIn(self.pay_url, str(self._send_wizard(paid).body))
        # A template that already has the link gets no second button.
        body = f'<p><a href="{self.pay_url}">Pay</a></p>'
        self.assertEqual(self.invoice._invoice_pay_add_mail_button(body), body)

    def test_invoice_email_button_in_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        view = self.env.ref("invoice_public_pay.invoice_pay_mail_pay_button")
        view.update_field_translations("arch_db", {"fr_FR": {"Pay online": "Payer en ligne"}})
        self.customer.lang = "fr_FR"
        self.assertIn("Payer en ligne", str(self.invoice._invoice_pay_mail_button()))
        self.customer.lang = "en_US"
        self.assertIn("Pay online", str(self.invoice._invoice_pay_mail_button()))

    # ------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------

    def test_settings_and_partner_form(self):
        settings = self.env["res.config.settings"].create({"invoice_pay_show_on_invoice": False})
        settings.execute()
        self.assertFalse(self.company.invoice_pay_show_on_invoice)
        self.assertFalse(self.env["res.config.settings"].create({}).invoice_pay_show_on_invoice)
