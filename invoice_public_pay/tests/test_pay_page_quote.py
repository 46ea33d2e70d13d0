from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestPayPageQuote(InvoicePayPaymentCommon, HttpCase):
    """The quote and transaction routes recompute everything and refuse bad input."""

    def _records_count(self):
        return (
            self.env["payment.transaction"].sudo().search_count([]),
            self.env["invoice.pay.allocation"].sudo().search_count([]),
            self.env["account.payment"].sudo().search_count([]),
        )

    def _assert_refused(self, allocations, expected_message, route="quote", **params):
        before = self._records_count()
        if route == "quote":
            result, error = self._rpc(f"{self.base_path}/quote", {"allocations": allocations, **params})
        else:
            result, error = self._rpc(
                f"{self.base_path}/transaction", self._transaction_params(allocations, **params)
            )
        self.assertIsNone(result)
        self.assertIn(expected_message, error or "")
        self.assertEqual(self._records_count(), before, "a refused request writes nothing")

    def test_quote_prices_full_and_partial_amounts(self):
        result, error = self._rpc(f"{self.base_path}/quote", {"allocations": [
            self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "100.25"),
        ]})
        self.assertIsNone(error)
        self.assertEqual(result["amount_invoices"], 500.25)
        self.assertEqual(result["fee"], 0.0)
        self.assertEqual(result["amount_total"], 500.25)
        self.assertEqual(result["currency"]["name"], self.env.company.currency_id.name)
        self.assertEqual([line["invoice_id"] for line in result["lines"]],
                         [self.invoice_old.id, self.invoice_mid.id], "oldest due date first")

    def test_spread_pays_oldest_first(self):
        group = f"{self.env.company.id}-{self.env.company.currency_id.id}"
        result, error = self._rpc(f"{self.base_path}/spread", {"amount": "500", "group": group})
        self.assertIsNone(error)
        self.assertEqual(result["allocations"], [
            {"invoice_id": self.invoice_old.id, "amount": "400.00"},
            {"invoice_id": self.invoice_mid.id, "amount": "100.00"},
        ])
        _result, error = self._rpc(f"{self.base_path}/spread", {"amount": "99999", "group": group})
        self.assertIn("more than the total due", error)

    def test_bad_amounts_are_refused(self):
        cases = [
            (0, "must be more than zero"),
            ("0.00", "must be more than zero"),
            (-5, "must be more than zero"),
            ("400.01", "more than its amount due"),
            (1e9, "more than its amount due"),
            ("12.345", "more than 2 decimals"),
            (12.345, "more than 2 decimals"),
            ("abc", "not a valid number"),
            ("1e3", "not a valid number"),
            ("NaN", "not a valid number"),
            ("Infinity", "not a valid number"),
            (None, "not a valid number"),
            (True, "not a valid number"),
            ([1], "not a valid number"),
        ]
        for amount, message in cases:
            with self.subTest(amount=amount):
                self._assert_refused([self._alloc(self.invoice_old, amount)], message)

    def test_malformed_requests_are_refused(self):
        cases = [
            ([], "Select at least one invoice"),
            (None, "could not be read"),
            ({"invoice_id": self.invoice_old.id, "amount": 1}, "could not be read"),
            ([{"invoice_id": str(self.invoice_old.id), "amount": 1}], "could not be read"),
            ([{"invoice_id": self.invoice_old.id}], "could not be read"),
            ([{"invoice_id": self.invoice_old.id, "amount": 1, "price": 0}], "could not be read"),
            ([self._alloc(self.invoice_old, 1), self._alloc(self.invoice_old, 2)], "appears twice"),
            (["x" * 5000], "could not be read"),
        ]
        for allocations, message in cases:
            with self.subTest(allocations=str(allocations)[:60]):
                self._assert_refused(allocations, message)

    def test_invoices_that_cannot_be_paid_are_refused(self):
        other_invoice = self._customer_invoice(80.0, partner=self.other_customer)
        draft = self._customer_invoice(70.0, post=False)
        bill = self._customer_invoice(60.0, move_type="in_invoice")
        credit_note = self._customer_invoice(50.0, move_type="out_refund")
        paid = self._customer_invoice(40.0)
        self._register_payment(paid)
        blocked = self._customer_invoice(30.0)
        blocked.payment_state = "blocked"
        cases = [
            (other_invoice, "cannot be found"),
            (self.env["account.move"].browse(999999999), "cannot be found"),
            (draft, "not open for payment"),
            (bill, "not a customer invoice"),
            (credit_note, "not a customer invoice"),
            (paid, "already paid"),
            (blocked, "on hold"),
        ]
        for invoice, message in cases:
            with self.subTest(invoice=invoice.id):
                self._assert_refused([self._alloc(invoice, 10)], message)
                self._assert_refused([self._alloc(invoice, 10)], message, route="transaction")

    def test_mixed_currencies_and_companies_are_refused(self):
        euro = self.setup_other_currency("EUR")
        euro_invoice = self._customer_invoice(90.0, currency=euro)
        self._assert_refused(
            [self._alloc(self.invoice_old, 10), self._alloc(euro_invoice, 10)], "different currencies"
        )
        other_company = self.setup_other_company()["company"]
        other_company_invoice = self._customer_invoice(20.0, company=other_company)
        self._assert_refused(
            [self._alloc(self.invoice_old, 10), self._alloc(other_company_invoice, 10)], "different companies"
        )

    def test_unknown_disabled_and_replaced_links_are_refused(self):
        allocations = [self._alloc(self.invoice_old, 10)]
        for route in ("quote", "transaction", "payment-form", "spread", "apply-credits", "question"):
            with self.subTest(route=route):
                _result, error = self._rpc(f"/invoice-pay/{'Z' * 43}/{route}", {"allocations": allocations})
                self.assertIn("not valid any more", error)
        self.customer.with_user(self.manager_user).action_invoice_pay_disable()
        _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": allocations})
        self.assertIn("not valid any more", error)
        self.customer.with_user(self.manager_user).action_invoice_pay_enable()
        self.customer.with_user(self.manager_user).action_invoice_pay_regenerate()
        self._assert_refused(allocations, "not valid any more", route="transaction")

    def test_transaction_ignores_the_browser_amount(self):
        transaction = self._start_payment([self._alloc(self.invoice_old, "150")], amount=0.01)
        self.assertEqual(transaction.amount, 150.0)
        self.assertEqual(transaction.partner_id, self.customer)
        self.assertEqual(transaction.invoice_ids, self.invoice_old)
        self.assertEqual(transaction.invoice_pay_allocation_ids.mapped("amount"), [150.0])
        self.assertTrue(transaction.landing_route.startswith(f"{self.base_path}/invoices?tx="))
        self.assertEqual(transaction.state, "draft")

    def test_transaction_refuses_unavailable_providers_methods_and_options(self):
        allocations = [self._alloc(self.invoice_old, 10)]
        disabled_provider = self.env["payment.provider"].sudo().search(
            [("state", "=", "disabled"), ("company_id", "=", self.env.company.id)], limit=1
        )
        self._assert_refused(allocations, "not available", route="transaction", provider_id=disabled_provider.id)
        self._assert_refused(allocations, "not available", route="transaction", provider_id=None)
        unrelated_method = self.env["payment.method"].sudo().search(
            [("id", "not in", self.demo_provider.payment_method_ids.ids)], limit=1
        )
        self._assert_refused(allocations, "not available", route="transaction", payment_method_id=unrelated_method.id)
        self._assert_refused(allocations, "only takes payments", route="transaction", is_validation=True)
        self._assert_refused(allocations, "could not be read", route="transaction", flow="teleport")

    def test_unexpected_parameters_are_refused(self):
        before = self._records_count()
        result, error = self._rpc(
            f"{self.base_path}/transaction", self._transaction_params(
                [self._alloc(self.invoice_old, 10)], partner_id=self.other_customer.id,
            ),
        )
        self.assertIsNone(result)
        self.assertTrue(error)
        self.assertEqual(self._records_count(), before)

    def test_logged_out_visitor_never_gets_saved_cards(self):
        Token = self.env["payment.token"].sudo()
        token = Token.create({
            "provider_id": self.demo_provider.id,
            "payment_method_id": self.demo_method.id,
            "partner_id": self.customer.id,
            "payment_details": "4242",
            "provider_ref": "demo-token",
        })
        Token.create({
            "provider_id": self.demo_provider.id,
            "payment_method_id": self.demo_method.id,
            "partner_id": self.portal_user.partner_id.id,
            "payment_details": "5151",
            "provider_ref": "demo-token-portal",
        })
        allocations = [self._alloc(self.invoice_old, 10)]
        result, error = self._rpc(f"{self.base_path}/payment-form", {"allocations": allocations})
        self.assertIsNone(error)
        self.assertIn('id="o_payment_form"', result["html"])
        self.assertNotIn("4242", result["html"])
        self.assertNotIn("5151", result["html"])
        self.assertNotIn('name="o_payment_tokenize_checkbox"', result["html"])
        # Forcing the token through the transaction route does not work either.
        self._assert_refused(allocations, "only be used when you are logged in", route="transaction",
                             flow="token", token_id=token.id, payment_method_id=None)
        # A user of the customer, logged in, sees their own saved card and may save one.
        self.authenticate(self.portal_user.login, self.portal_user.login)
        result, error = self._rpc(f"{self.base_path}/payment-form", {"allocations": allocations})
        self.assertIsNone(error)
        self.assertIn("5151", result["html"])
        self.assertIn('name="o_payment_tokenize_checkbox"', result["html"])
