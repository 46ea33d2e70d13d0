from lxml import html

from odoo.tests import HttpCase, tagged

from .common import InvoicePayCommon

INVOICE_REPORT = "account.account_invoices"


@tagged("post_install", "-at_install")
class TestOptIn(InvoicePayCommon, HttpCase):
    """Installing the addon changes no printout until an administrator switches the pay link on."""

    def _render(self, invoice):
        content, _report_type = self.env["ir.actions.report"]._render_qweb_html(INVOICE_REPORT, invoice.ids)
        return html.fromstring(content)

    def test_the_pay_link_is_off_until_switched_on(self):
        self.assertFalse(self.env.company.invoice_pay_show_on_invoice, "companies that existed at install")
        new_company = self.env["res.company"].create({"name": "Harbor Light West"})
        self.assertFalse(new_company.invoice_pay_show_on_invoice, "companies created afterwards")
        invoice = self._customer_invoice(80.0)
        self.assertFalse(invoice._invoice_pay_printed_url())
        self.assertFalse(self._render(invoice).xpath("//a[contains(@class, 'o_invoice_pay_button')]"))

    def test_odoos_own_pay_qr_stays_while_the_pay_link_is_off(self):
        self.env.company.link_qr_code = True
        invoice = self._customer_invoice(80.0)
        self.assertTrue(invoice.display_link_qr_code, "Odoo's own 'pay online' QR code is printed as before")
        self.env.company.invoice_pay_show_on_invoice = True
        invoice.invalidate_recordset(["display_link_qr_code"])
        self.assertFalse(invoice.display_link_qr_code, "replaced once the administrator chose the pay link")
        self.assertTrue(self._render(invoice).xpath("//a[contains(@class, 'o_invoice_pay_button')]"))

    def test_settings_say_what_the_pay_link_replaces(self):
        view = self.env.ref("invoice_public_pay.res_config_settings_view_form_invoice_pay")
        self.assertIn("replaces", view.arch_db)
