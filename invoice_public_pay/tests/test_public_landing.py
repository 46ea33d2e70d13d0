import re

from odoo.tests import HttpCase, tagged

from .common import InvoicePayCommon


@tagged("post_install", "-at_install")
class TestPublicLanding(InvoicePayCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._customer_invoice(420.0)
        cls.partly_paid = cls._customer_invoice(900.0, partner=cls.contact)
        cls._register_payment(cls.partly_paid, amount=300.0)
        cls.credit_note = cls._customer_invoice(65.0, move_type="out_refund")
        cls.url = cls.customer._invoice_pay_ensure_url()
        cls.token = cls._token_of(cls.url)
        cls.other_url = cls.other_customer._invoice_pay_ensure_url()

    def _get(self, token):
        return self.url_open(f"/invoice-pay/{token}", allow_redirects=False)

    def test_landing_shows_company_customer_balance_and_pay_button(self):
        response = self._get(self.token)
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn(self.env.company.name, page)
        self.assertIn("Harbor Light Bistro", page)
        self.assertIn("1,020.00", page, "420 open + 600 left on the partly paid invoice")
        self.assertIn(f'href="/invoice-pay/{self.token}/invoices"', page)
        self.assertIn("Pay Invoices", page)
        # The credit note is listed apart, not deducted.
        self.assertIn("Credits in your favour", page)
        self.assertIn("65.00", page)
        self.assertNotIn("955.00", page)
        counts = [" ".join(span.split()) for span in re.findall(
            r'o_invoice_pay_balance_count">(.*?)</span>', page, flags=re.DOTALL)]
        self.assertEqual(counts, ["(2 open invoices)", "(1 credit note)"], "plurals as the language says them")
        self.assertEqual(response.headers.get("Referrer-Policy"), "no-referrer")
        self.assertNotIn(self._token_of(self.other_url), page, "never another customer's link")

    def test_customer_with_nothing_open_sees_a_friendly_page(self):
        response = self._get(self._token_of(self.other_url))
        self.assertEqual(response.status_code, 200)
        self.assertIn("You have no open invoice", response.text)
        self.assertNotIn("Pay Invoices</a>", response.text)
        self.assertNotIn("Harbor Light Bistro", response.text)

    def test_unknown_disabled_and_replaced_tokens_get_the_same_404(self):
        unknown = self._get("A" * 43)
        self.assertEqual(unknown.status_code, 404)
        self.assertIn("This payment link is not valid", unknown.text)
        self.assertEqual(unknown.headers.get("Referrer-Policy"), "no-referrer")

        self.customer.with_user(self.manager_user).action_invoice_pay_disable()
        disabled = self._get(self.token)
        self.customer.with_user(self.manager_user).action_invoice_pay_enable()
        self.assertEqual(self._get(self.token).status_code, 200)
        self.customer.with_user(self.manager_user).action_invoice_pay_regenerate()
        replaced = self._get(self.token)
        for response in (disabled, replaced):
            self.assertEqual(response.status_code, 404)
            self.assertIn("This payment link is not valid", response.text)
            self.assertNotIn("Harbor Light Bistro", response.text)
        new_token = self._token_of(self.customer._invoice_pay_ensure_url())
        self.assertEqual(self._get(new_token).status_code, 200)

    def test_malformed_tokens_get_404(self):
        for token in ("x", "%00", "a" * 300, "..%2F..%2Fweb"):
            with self.subTest(token=token):
                self.assertEqual(self._get(token).status_code, 404)

    def test_only_get_is_served(self):
        response = self.url_open(f"/invoice-pay/{self.token}", data={"x": "1"}, allow_redirects=False)
        self.assertIn(response.status_code, (403, 405))

    def test_head_and_options_are_not_visits(self):
        """Link scanners and prefetchers ask HEAD or OPTIONS: not an "opened" in the history."""
        for method in ("HEAD", "OPTIONS"):
            with self.subTest(method=method):
                response = self.opener.request(method, self.base_url() + f"/invoice-pay/{self.token}", timeout=30)
                self.assertLess(response.status_code, 400)
        self.assertFalse(self._events(event="opened"))
        self.assertEqual(self._get(self.token).status_code, 200)
        self.assertEqual(len(self._events(event="opened")), 1)

    def test_token_is_masked_in_the_server_log(self):
        records = self._capture_request_log(
            lambda: (self._get(self.token), self._get("B" * 43)), expected=2,
        )
        output = "\n".join(record.getMessage() for record in records)
        self.assertIn("/invoice-pay/***", output)
        self.assertNotIn(self.token, output)
        self.assertNotIn("B" * 43, output)

    def test_opening_the_landing_changes_no_invoice(self):
        before = (self.invoice.amount_residual, self.partly_paid.amount_residual)
        self._get(self.token)
        self.assertEqual((self.invoice.amount_residual, self.partly_paid.amount_residual), before)


@tagged("post_install", "-at_install")
class TestLinkGuessing(InvoicePayCommon, HttpCase):
    """Guessing tokens is limited per client address; real links keep working for others."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._customer_invoice(100.0)
        cls.token = cls._token_of(cls.customer._invoice_pay_ensure_url())
        cls.env["ir.config_parameter"].sudo().set_param("invoice_public_pay.guess_limit", 5)

    def test_guessing_gets_429_after_the_threshold(self):
        for attempt in range(5):
            self.assertEqual(self.url_open(f"/invoice-pay/{attempt:043d}").status_code, 404)
        self.assertEqual(self.url_open(f"/invoice-pay/{'x' * 43}").status_code, 429)
        # The blocked address keeps getting 429 for unknown tokens, through any route; a real
        # token is still served (others share the address: TestGuessingFromSharedAddress).
        response = self.opener.post(
            f"{self.base_url()}/invoice-pay/{'x' * 43}/quote",
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"allocations": []}},
        )
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many invalid payment links", response.json()["error"]["data"]["message"])
        self.assertEqual(self.url_open(f"/invoice-pay/{self.token}").status_code, 200)
        # Counters live in the database: another client address is not affected.
        Counter = self.env["invoice.pay.guess.counter"].sudo()
        self.assertTrue(Counter._is_blocked("127.0.0.1"))
        self.assertFalse(Counter._is_blocked("192.0.2.10"))

    def test_valid_links_do_not_count(self):
        for _attempt in range(8):
            self.assertEqual(self.url_open(f"/invoice-pay/{self.token}").status_code, 200)
        self.assertFalse(self.env["invoice.pay.guess.counter"].sudo()._is_blocked("127.0.0.1"))
