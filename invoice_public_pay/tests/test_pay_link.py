from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.invoice_public_pay.hooks import post_init_hook

from .common import InvoicePayCommon


@tagged("post_install", "-at_install")
class TestPayLink(InvoicePayCommon):

    def test_link_created_when_customer_invoice_is_posted(self):
        self.assertFalse(self._link())
        self.assertFalse(self.customer.invoice_pay_url)
        invoice = self._customer_invoice(100.0, partner=self.contact, post=False)
        self.assertFalse(self._link(), "a draft invoice creates no link")
        invoice.action_post()
        link = self._link()
        self.assertEqual(link.partner_id, self.customer, "the link belongs to the commercial partner")
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.invoice_pay_url.endswith("/invoice-pay/" + link.token))
        # A second invoice keeps the same link.
        self._customer_invoice(50.0)
        self.assertEqual(self._link(), link)
        self.assertEqual(len(link.token), 43)

    def test_vendor_bill_creates_no_link(self):
        self._customer_invoice(80.0, partner=self.other_customer, move_type="in_invoice")
        self.assertFalse(self._link(self.other_customer))

    def test_token_is_long_random_and_unique(self):
        partners = self.env["res.partner"].create([{"name": f"Customer {i}"} for i in range(30)])
        links = self.env["invoice.pay.link"]._ensure_for_partners(partners)
        tokens = links.mapped("token")
        self.assertEqual(len(links), 30)
        self.assertEqual(len(set(tokens)), 30)
        for token in tokens:
            # 32 random bytes, url-safe base64: 43 characters, 256 bits.
            self.assertRegex(token, r"^[A-Za-z0-9_-]{43}$")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            links[1].sudo().write({"token": links[0].token})
            self.env.flush_all()

    def test_one_link_per_partner(self):
        url = self.customer._invoice_pay_ensure_url()
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["invoice.pay.link"].sudo().create({"partner_id": self.customer.id, "token": "x" * 43})
        self.assertEqual(self.customer._invoice_pay_ensure_url(), url)

    def test_contacts_share_their_company_link(self):
        company_url = self.customer._invoice_pay_ensure_url()
        self.assertEqual(self.contact._invoice_pay_ensure_url(), company_url)
        self.contact.invalidate_recordset()
        self.assertEqual(self.contact.invoice_pay_url, company_url)
        self.assertEqual(len(self.env["invoice.pay.link"].sudo().search(
            [("partner_id", "in", (self.customer | self.contact).ids)])), 1)

    def test_ensure_url_writes_no_activity(self):
        self.customer._invoice_pay_ensure_url()
        self.assertFalse(self._events())

    def test_url_uses_base_url(self):
        base_url = self.customer.get_base_url()
        url = self.customer._invoice_pay_ensure_url()
        self.assertTrue(url.startswith(base_url + "/invoice-pay/"))

    def test_copy_logs_one_event_and_returns_link(self):
        partner = self.contact.with_user(self.invoicing_user)
        url = partner.action_invoice_pay_copy_link()
        self.assertEqual(url, self.customer._invoice_pay_ensure_url())
        copied = self._events(event="copied")
        self.assertEqual(len(copied), 1)
        self.assertEqual(copied.partner_id, self.customer)
        self.assertEqual(copied.user_id, self.invoicing_user)
        self.assertEqual(copied.company_id, self.env.company)
        self.assertEqual(len(self._events()), 1, "copying writes nothing else")

    def test_regenerate_replaces_token_and_logs_revoked(self):
        old_url = self.customer._invoice_pay_ensure_url()
        old_token = self._token_of(old_url)
        self.customer.with_user(self.manager_user).action_invoice_pay_regenerate()
        new_url = self.customer._invoice_pay_ensure_url()
        self.assertNotEqual(new_url, old_url)
        Link = self.env["invoice.pay.link"]
        self.assertFalse(Link._find_by_token(old_token), "the old link stops working at once")
        self.assertEqual(Link._find_by_token(self._token_of(new_url)).partner_id, self.customer)
        self.assertEqual(len(self._events(event="revoked")), 1)
        self.assertEqual(len(self._events()), 1)

    def test_disable_and_enable_keep_the_token(self):
        url = self.customer._invoice_pay_ensure_url()
        token = self._token_of(url)
        manager_partner = self.customer.with_user(self.manager_user)
        manager_partner.action_invoice_pay_disable()
        self.assertFalse(self.env["invoice.pay.link"]._find_by_token(token))
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.invoice_pay_link_state, "disabled")
        # Disabling twice logs once.
        manager_partner.action_invoice_pay_disable()
        self.assertEqual(len(self._events(event="disabled")), 1)
        with self.assertRaises(UserError):
            self.customer.with_user(self.invoicing_user).action_invoice_pay_copy_link()
        manager_partner.action_invoice_pay_enable()
        self.assertEqual(self.customer._invoice_pay_ensure_url(), url, "enabling restores the same link")
        self.assertTrue(self.env["invoice.pay.link"]._find_by_token(token))
        self.assertEqual(len(self._events(event="enabled")), 1)
        self.assertFalse(self._events(event="copied"), "a refused copy is not logged")

    def test_find_by_token_rejects_garbage(self):
        Link = self.env["invoice.pay.link"]
        self.customer._invoice_pay_ensure_url()
        for garbage in (None, "", "x", "x" * 500, 42, ["a"]):
            self.assertFalse(Link._find_by_token(garbage))

    def test_post_init_hook_gives_links_to_customers_with_open_invoices(self):
        invoice = self._customer_invoice(120.0)
        paid_customer = self.env["res.partner"].create({"name": "Paid Up Ltd"})
        paid_invoice = self._customer_invoice(60.0, partner=paid_customer)
        self._register_payment(paid_invoice)
        # As if the addon was installed after these invoices were posted.
        self.env["invoice.pay.link"].sudo().search([]).unlink()
        post_init_hook(self.env)
        self.assertTrue(self._link(invoice.partner_id))
        self.assertFalse(self._link(paid_customer))

    def test_open_balances_per_currency_and_credit_notes_apart(self):
        self._customer_invoice(100.0)
        partly_paid = self._customer_invoice(300.0, partner=self.contact)
        self._register_payment(partly_paid, amount=120.0)
        self._customer_invoice(40.0, move_type="out_refund")
        other_currency = self.setup_other_currency("EUR")
        self._customer_invoice(90.0, currency=other_currency)
        balances = self.customer._invoice_pay_open_balances()
        by_currency = {balance["currency"].name: balance for balance in balances}
        company_currency = self.env.company.currency_id.name
        self.assertAlmostEqual(by_currency[company_currency]["amount"], 280.0)
        self.assertEqual(by_currency[company_currency]["count"], 2)
        self.assertAlmostEqual(by_currency["EUR"]["amount"], 90.0)
        credits = self.customer._invoice_pay_open_balances("out_refund")
        self.assertEqual([(c["currency"].name, c["amount"]) for c in credits], [(company_currency, 40.0)])
