import base64
import shutil
import subprocess
import tempfile
from pathlib import Path

from lxml import html

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import format_amount

from .common import InvoicePayPaymentCommon

FULL_PAGE = "invoice_public_pay.action_report_invoice_pay_receipt"
THERMAL = "invoice_public_pay.action_report_invoice_pay_receipt_thermal"
LAYOUT_CLASSES = {FULL_PAGE: "o_invoice_pay_receipt_full", THERMAL: "o_invoice_pay_receipt_thermal"}
FEE = 12.5


@tagged("post_install", "-at_install")
class TestReceipts(InvoicePayPaymentCommon, HttpCase):
    """Receipt layouts of a payment over several invoices with a fee."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.full_page = cls.env.ref(FULL_PAGE)
        cls.thermal = cls.env.ref(THERMAL)

    def _paid_with_fee(self):
        """400.00 + 100.00 + 200.00 on three invoices, and a fee: 712.50 in all."""
        self.env["invoice.pay.fee.rule"].create({
            "name": "Convenience fee",
            "payment_method_ids": [Command.set(self.demo_method.ids)],
            "fixed_amount": FEE,
        })
        allocations = [
            self._alloc(self.invoice_old, "400.00"),
            self._alloc(self.invoice_mid, "100.00"),
            self._alloc(self.invoice_new, "200.00"),
        ]
        quote, _error = self._rpc(f"{self.base_path}/quote", {
            "allocations": allocations, "payment_method_id": self.demo_method.id, "provider_id": self.demo_provider.id,
        })
        transaction = self._pay(allocations, fee_signature=quote["fee_signature"])
        self.assertEqual(transaction.state, "done")
        self.assertEqual(transaction.amount, 712.5)
        return transaction

    def _render(self, report, transaction):
        content, _report_type = self.env["ir.actions.report"]._render_qweb_html(report, transaction.ids)
        return html.fromstring(content)

    def _money(self, amount, lang="en_US"):
        """``amount`` as the receipt prints it, with its spaces made plain like the texts compared."""
        return " ".join(format_amount(self.env(context={"lang": lang}), amount, self.company.currency_id).split())

    def _assert_receipt(self, report, transaction, lang="en_US"):
        document = self._render(report, transaction)
        text = " ".join(document.text_content().split())
        self.assertTrue(document.xpath(f"//div[contains(@class, '{LAYOUT_CLASSES[report]}')]"))
        lines = [
            " ".join(row.text_content().split())
            for row in document.xpath("//tr[contains(@class, 'o_invoice_pay_receipt_line')]")
        ]
        self.assertEqual(len(lines), 3)
        for line, (invoice, applied) in zip(lines, [(self.invoice_old, 400.0), (self.invoice_mid, 100.0),
                                                    (self.invoice_new, 200.0)]):
            self.assertIn(invoice.name, line)
            self.assertIn(self._money(applied, lang), line)
        # Remaining balance of each invoice after the payment.
        for remaining in (0.0, 150.5, 800.0):
            self.assertIn(self._money(remaining, lang), text)
        fee_row = " ".join(document.xpath("//tr[contains(@class, 'o_invoice_pay_receipt_fee')]")[0].text_content().split())
        self.assertIn("Convenience fee", fee_row)
        self.assertIn(self._money(FEE, lang), fee_row)
        total = document.xpath("//*[contains(@class, 'o_invoice_pay_receipt_total')]")[0].text_content()
        self.assertEqual(" ".join(total.split()), self._money(712.5, lang))
        title = {"fr_FR": "Reçu de paiement"}.get(lang, "Payment Receipt")
        for expected in (self.company.name, self.customer.name, transaction.reference,
                         transaction.payment_method_id.name, title):
            self.assertIn(expected, text)
        words = document.xpath("//*[contains(@class, 'o_invoice_pay_receipt_words_text')]")[0].text_content()
        return words.strip()

    # ------------------------------------------------------------
    # Layouts
    # ------------------------------------------------------------

    def test_both_layouts_in_english(self):
        transaction = self._paid_with_fee()
        currency = self.company.currency_id
        expected_words = (
            f"Seven Hundred And Twelve {currency.currency_unit_label} "
            f"and Fifty {currency.currency_subunit_label}"
        )
        for report in (FULL_PAGE, THERMAL):
            with self.subTest(report):
                self.assertEqual(self._assert_receipt(report, transaction), expected_words)

    def test_both_layouts_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["invoice_public_pay"], ["fr_FR"], overwrite=True)
        self.customer.lang = "fr_FR"
        transaction = self._paid_with_fee()
        for report in (FULL_PAGE, THERMAL):
            with self.subTest(report):
                words = self._assert_receipt(report, transaction, lang="fr_FR")
                self.assertTrue(words.startswith("Sept Cent Douze "), words)
                self.assertIn("Cinquante", words)

    def test_words_in_english_where_num2words_lacks_the_language(self):
        self.env["res.lang"]._activate_lang("et_EE")
        self.customer.lang = "et_EE"
        transaction = self._paid_with_fee()
        self.assertTrue(transaction._invoice_pay_amount_in_words().startswith("Seven Hundred And Twelve "))

    # ------------------------------------------------------------
    # Settings: the layout of the public page
    # ------------------------------------------------------------

    def test_setting_switches_the_public_receipt(self):
        transaction = self._paid_with_fee()
        route = f"{self.base_path}/receipt/{transaction.id}"
        self.assertEqual(self.company.invoice_pay_receipt_report_id, self.full_page, "full page by default")
        for report, expected in [(self.thermal, THERMAL), (self.full_page, FULL_PAGE), (False, FULL_PAGE)]:
            with self.subTest(report and report.name):
                self.company.invoice_pay_receipt_report_id = report
                response = self.url_open(route)
                self.assertEqual(response.status_code, 200)
                for layout, css_class in LAYOUT_CLASSES.items():
                    self.assertEqual(css_class in response.text, layout == expected, css_class)
                self.assertIn(transaction.reference, response.text)

    def test_settings_offer_receipt_reports_only(self):
        settings = self.env["res.config.settings"].create({"invoice_pay_receipt_report_id": self.thermal.id})
        settings.execute()
        self.assertEqual(self.company.invoice_pay_receipt_report_id, self.thermal)
        with self.assertRaises(ValidationError):
            self.company.invoice_pay_receipt_report_id = self.env.ref("account.account_invoices")

    def test_administrator_layout(self):
        view = self.env["ir.ui.view"].create({
            "name": "report_custom_receipt",
            "type": "qweb",
            "key": "invoice_public_pay.report_custom_receipt",
            "arch": """
                <t t-name="invoice_public_pay.report_custom_receipt">
                    <t t-call="web.html_container">
                        <div t-foreach="docs" t-as="tx" class="article my_shop_receipt">
                            <t t-out="tx.reference"/> <t t-out="tx._invoice_pay_amount_in_words()"/>
                        </div>
                    </t>
                </t>""",
        })
        custom = self.env["ir.actions.report"].create({
            "name": "My shop receipt",
            "model": "payment.transaction",
            "report_type": "qweb-pdf",
            "report_name": view.key,
        })
        self.company.invoice_pay_receipt_report_id = custom
        transaction = self._paid_with_fee()
        response = self.url_open(f"{self.base_path}/receipt/{transaction.id}")
        self.assertIn("my_shop_receipt", response.text)
        self.assertIn("Seven Hundred And Twelve", response.text)

    # ------------------------------------------------------------
    # Back office and confirmation email
    # ------------------------------------------------------------

    def test_back_office_prints_the_chosen_layout(self):
        transaction = self._paid_with_fee()
        self.company.invoice_pay_receipt_report_id = self.thermal
        action = transaction.action_invoice_pay_print_receipt()
        self.assertEqual(action["report_name"], self.thermal.report_name)
        # Both layouts are also in the transaction's Print menu.
        model = self.env["ir.model"]._get("payment.transaction")
        self.assertEqual((self.full_page | self.thermal).binding_model_id, model)

    def test_confirmation_email_attaches_the_chosen_layout(self):
        self.company.invoice_pay_receipt_report_id = self.thermal
        transaction = self._pay([self._alloc(self.invoice_old, "400.00"), self._alloc(self.invoice_mid, "50.00")])
        message = self.env["mail.message"].search([
            ("model", "=", "payment.transaction"), ("res_id", "=", transaction.id),
        ])
        self.assertEqual(len(message), 1, "one confirmation email")
        attachment = message.attachment_ids
        self.assertEqual(attachment.name, f"Receipt {transaction.reference}.pdf".replace("/", "-"))
        # Test mode renders reports as HTML.
        content = html.fromstring(base64.b64decode(attachment.datas))
        self.assertTrue(content.xpath("//div[contains(@class, 'o_invoice_pay_receipt_thermal')]"))
        total = content.xpath("//*[contains(@class, 'o_invoice_pay_receipt_total')]")[0].text_content()
        self.assertEqual(" ".join(total.split()), self._money(450.0))

    # ------------------------------------------------------------
    # One real PDF
    # ------------------------------------------------------------

    def test_real_pdf_of_each_layout(self):
        """wkhtmltopdf prints both layouts (one document per call) with the totals in them."""
        if not shutil.which("pdftotext"):
            self.skipTest("poppler-utils (pdftotext) is needed to read the PDF")
        transaction = self._paid_with_fee()
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        for report in (FULL_PAGE, THERMAL):
            with self.subTest(report):
                pdf, report_type = Report._render_qweb_pdf(report, transaction.ids)
                self.assertEqual(report_type, "pdf")
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder, "receipt.pdf")
                    path.write_bytes(pdf)
                    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True,
                                          text=True, check=True).stdout
                self.assertIn("712.50", text)
                self.assertIn("Payment Receipt", text)
                self.assertIn(self.invoice_mid.name, text)
                self.assertIn("Seven Hundred And Twelve", " ".join(text.split()))
