import re

from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon

TRANSLATED_MODULES = ["invoice_public_pay", "payment", "portal", "web"]


def html_lang(page):
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", page)
    return match and match.group(1)


@tagged("post_install", "-at_install")
class TestPageLanguage(InvoicePayPaymentCommon, HttpCase):
    """The page speaks the customer's language; the visitor may choose another one, which sticks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("es_ES", "fr_FR"):
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(TRANSLATED_MODULES, ["es_ES", "fr_FR"], overwrite=True)
        cls.customer.lang = "es_ES"
        # English is the site's default language, whatever the database was created with.
        cls.env["res.lang"]._activate_lang("en_US")
        cls.env["ir.default"].set("res.partner", "lang", "en_US")
        cls.credit_note = cls._customer_invoice(65.0, move_type="out_refund")
        cls.group_key = f"{cls.env.company.id}-{cls.env.company.currency_id.id}"

    def setUp(self):
        super().setUp()
        # A first visit: no language chosen on this browser yet.
        self.opener.cookies.set("frontend_lang", None)

    def _get(self, path):
        return self.url_open(path, allow_redirects=False)

    def _visit(self, path):
        """GET ``path`` and follow redirects, as a browser does."""
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200, path)
        return response

    def test_customer_language_first(self):
        response = self._get(self.base_path)
        self.assertIn(response.status_code, (302, 303))
        self.assertEqual(response.headers["Location"].split("?")[0].removeprefix(self.base_url()),
                         f"/es{self.base_path}")
        self.assertEqual(response.cookies.get("frontend_lang"), "es_ES")
        page = self._visit(self.base_path).text
        self.assertEqual(html_lang(page), "es-ES")
        self.assertIn("Pagar facturas", page)
        self.assertNotIn("Pay Invoices", page)
        counts = [" ".join(span.split()) for span in re.findall(
            r'o_invoice_pay_balance_count">(.*?)</span>', page, flags=re.DOTALL)]
        self.assertEqual(counts, ["(3 facturas pendientes)", "(1 nota de crédito)"])

    def test_a_language_left_by_another_page_does_not_count(self):
        """The cookie of another customer's link (or of the shop) is not a choice made for this link."""
        self.opener.cookies.set("frontend_lang", "fr_FR")
        response = self._get(self.base_path)
        self.assertIn(response.status_code, (302, 303))
        self.assertEqual(response.headers["Location"].split("?")[0].removeprefix(self.base_url()),
                         f"/es{self.base_path}")
        self.assertEqual(html_lang(self._visit(self.base_path).text), "es-ES")
        # A language of the site that is not installed any more changes nothing either.
        self.opener.cookies.set("frontend_lang", "de_DE")
        self.assertEqual(html_lang(self._visit(self.base_path).text), "es-ES")

    def test_default_language_when_the_customer_language_is_not_installed(self):
        self.env.cr.execute("UPDATE res_partner SET lang = 'de_DE' WHERE id = %s", [self.customer.id])
        self.customer.invalidate_recordset(["lang"])
        response = self._get(self.base_path)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(html_lang(response.text), "en-US")
        self.assertIn("Pay Invoices", response.text)
        self.assertIn("(3 open invoices)", " ".join(response.text.split()))

    def test_chosen_language_sticks(self):
        page = self._visit(f"/fr{self.base_path}/invoices").text
        self.assertEqual(html_lang(page), "fr-FR")
        self.assertIn("Payer les factures", page)
        self.assertEqual(self.opener.cookies.get("frontend_lang"), "fr_FR")
        # The link of the email again, later: the visitor's choice wins over the customer's language.
        response = self._get(self.base_path)
        self.assertEqual(response.headers["Location"].removeprefix(self.base_url()), f"/fr{self.base_path}")
        # Back to English, the default language: plain URLs, and English from then on.
        self._visit(f"/en{self.base_path}")
        self.assertEqual(self.opener.cookies.get("frontend_lang"), "en_US")
        response = self._get(self.base_path)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Pay Invoices", response.text)

    def test_switcher_keeps_the_visitor_on_the_same_page(self):
        page = self._visit(f"/es{self.base_path}/invoices?tx=0").text
        targets = dict(re.findall(r'href="([^"]+)" data-url_code="([a-z_A-Z]+)"', page.replace(
            'role="menuitem" ', "")))
        self.assertEqual(
            sorted(targets),
            sorted(f"/{code}{self.base_path}/invoices?tx=0" for code in ("en", "es", "fr")),
            "the same page in each installed language, never another site",
        )
        self.assertEqual(self.url_open(f"/fr{self.base_path}/invoices?tx=0").status_code, 200)

    def test_language_prefixes_as_odoo_spells_them(self):
        invoice_pdf = f"{self.base_path}/invoice/{self.invoice_old.id}/pdf"
        response = self._get(f"/fr_FR{self.base_path}/invoices")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response.headers["Location"].removeprefix(self.base_url()), f"/fr{self.base_path}/invoices")
        for path in (f"/es{self.base_path}", f"/es_ES{self.base_path}/invoices", f"/fr{invoice_pdf}",
                     f"/es_ES{invoice_pdf}"):
            with self.subTest(path=path):
                response = self._visit(path)
                self.assertEqual(response.headers.get("Referrer-Policy"), "no-referrer")
        # The page's JSON routes too.
        result, error = self._rpc(f"/es{self.base_path}/spread", {"amount": "100", "group": self.group_key})
        self.assertFalse(error)
        self.assertEqual(result["allocations"], [{"invoice_id": self.invoice_old.id, "amount": "100.00"}])

    def test_json_answers_in_the_page_language(self):
        self._visit(f"/fr{self.base_path}/invoices")
        _result, error = self._rpc(f"{self.base_path}/spread", {"amount": "abc", "group": self.group_key})
        self.assertEqual(error, "Le montant n'est pas un nombre valide.")
        self._visit(f"/es{self.base_path}/invoices")
        _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": []})
        self.assertEqual(error, "Seleccione al menos una factura para pagar.")

    def test_fee_disclosure_names_the_method_in_the_customer_language(self):
        card = self.env.ref("payment.payment_method_card")
        self.demo_provider.payment_method_ids = [Command.link(card.id)]
        card.active = True
        self.env["invoice.pay.fee.rule"].create({
            "name": "Card fee", "payment_method_ids": [Command.set(card.ids)],
            "fee_kind": "flat", "fixed_amount": 2.5,
        })
        allocations = [self._alloc(self.invoice_old, "400.00")]
        self._visit(f"/fr{self.base_path}/invoices")
        quote, error = self._rpc(f"{self.base_path}/quote", {
            "allocations": allocations, "payment_method_id": card.id, "provider_id": self.demo_provider.id,
        })
        self.assertFalse(error)
        self.assertIn("Carte", quote["fee_disclosure"])
        self.assertIn("2,50", quote["fee_disclosure"])
        self.assertNotIn(" applies ", quote["fee_disclosure"])

    def test_print_buttons_and_result_read_in_the_page_language(self):
        transaction = self._pay([self._alloc(self.invoice_old, "400.00")])
        page = self._visit(f"/es{self.base_path}/invoices?tx={transaction.id}").text
        self.assertIn(f'aria-label="Imprimir {self.invoice_mid.name}"', page)
        self.assertIn("Importe a pagar", page)
        self.assertIn("Pago realizado", page)
        self.assertIn(transaction.reference, page)
        self.assertNotIn("We received", page)

    def test_emails_in_the_customer_language(self):
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_link")
        subject = template._render_field("subject", self.customer.ids, compute_lang=True)[self.customer.id]
        body = template._render_field("body_html", self.customer.ids, compute_lang=True)[self.customer.id]
        self.assertIn("pague sus facturas en línea", subject)
        text = " ".join(body.split())
        self.assertIn("Pagar facturas", text)
        self.assertIn("(3 facturas)", text)
        self.assertNotIn("invoices", text)


@tagged("post_install", "-at_install")
class TestSpanishPayPageTour(InvoicePayPaymentCommon, HttpCase):
    """A Spanish customer pays on the page in Spanish, typing an amount with a decimal comma."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.env["ir.module.module"]._load_module_terms(TRANSLATED_MODULES, ["es_ES"], overwrite=True)
        cls.customer.lang = "es_ES"
        cls._enable_card_surcharge()

    def test_pay_on_the_spanish_page(self):
        self.start_tour(f"{self.base_path}/invoices", "invoice_public_pay_pay_invoices_es")
        transaction = self.env["payment.transaction"].sudo().search(
            [("invoice_pay_link_id.partner_id", "=", self.customer.id)],
        )
        self.assertEqual(transaction.mapped("state"), ["done"])
        self.assertAlmostEqual(transaction.amount, 500.25)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 150.25)
