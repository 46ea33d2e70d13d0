from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import InvoicePayPaymentCommon

SCRIPT = "<script>alert('pwned')</script>"


@tagged("post_install", "-at_install")
class TestPayPageAbuse(InvoicePayPaymentCommon, HttpCase):
    """Hostile input gets a clear answer, never a server error, and writes nothing."""

    def _records_count(self):
        return tuple(
            self.env[model].sudo().search_count([])
            for model in ("payment.transaction", "invoice.pay.allocation", "account.payment", "invoice.pay.link")
        )

    def _post_json(self, route, body, content_type="application/json"):
        return self.opener.post(
            self.base_url() + route, data=body, headers={"Content-Type": content_type}, timeout=30
        )

    def test_markup_in_names_is_escaped_everywhere(self):
        self.customer.name = f"Bistro {SCRIPT}"
        self.env.company.name = f"Seller {SCRIPT}"
        self.invoice_old.sudo().ref = SCRIPT
        self.invoice_old.sudo().name = f"INV/{SCRIPT}"
        pages = {
            "landing": self.url_open(self.base_path).text,
            "list": self.url_open(f"{self.base_path}/invoices").text,
            "invoice": self.url_open(f"{self.base_path}/invoice/{self.invoice_old.id}/pdf").text,
        }
        result, error = self._rpc(f"{self.base_path}/payment-form", {"allocations": [self._alloc(self.invoice_old, 10)]})
        self.assertIsNone(error)
        pages["payment form"] = result["html"]
        transaction = self._pay([self._alloc(self.invoice_old, 400)])
        pages["receipt"] = self.url_open(f"{self.base_path}/receipt/{transaction.id}").text
        mail = self.env["mail.mail"].sudo().search([("model", "=", "payment.transaction"), ("res_id", "=", transaction.id)])
        pages["confirmation email"] = mail.body_html
        composer = self.env["mail.compose.message"].with_context(
            **self.customer.action_invoice_pay_send()["context"]
        ).create({})
        pages["pay link email"] = str(composer.body)
        for name, page in pages.items():
            with self.subTest(page=name):
                self.assertNotIn(SCRIPT, page)
                self.assertIn("&lt;script&gt;", page)

    def test_wrong_http_methods(self):
        before = self._records_count()
        for path in (self.base_path, f"{self.base_path}/invoices", f"{self.base_path}/invoice/{self.invoice_old.id}/pdf"):
            with self.subTest(path=path):
                response = self.url_open(path, data={"csrf_token": "nope"})
                self.assertIn(response.status_code, (400, 403, 405))
        for route in ("quote", "transaction", "payment-form", "spread", "apply-credits", "question"):
            with self.subTest(route=route):
                self.assertEqual(self.url_open(f"{self.base_path}/{route}").status_code, 405)
        self.assertEqual(self._records_count(), before)

    def test_malformed_bodies(self):
        before = self._records_count()
        for body in (b"{not json", b"[1, 2, 3]", b"\xff\xfe\x00garbage", b""):
            with self.subTest(body=body):
                response = self._post_json(f"{self.base_path}/quote", body)
                self.assertLess(response.status_code, 500)
        # Odoo's own JSON-RPC layer logs params that are not an object as an error, then
        # answers a JSON error: the request never reaches the addon.
        with mute_logger("odoo.http"):
            response = self._post_json(f"{self.base_path}/quote", b'{"params": "x"}')
        self.assertLess(response.status_code, 500)
        self.assertIn("error", response.json())
        response = self._post_json(f"{self.base_path}/quote", b"allocations=1", "application/x-www-form-urlencoded")
        self.assertLess(response.status_code, 500)
        self.assertEqual(self._records_count(), before)

    def test_very_long_parameters(self):
        before = self._records_count()
        self.assertEqual(self.url_open(f"/invoice-pay/{'A' * 5000}").status_code, 404)
        huge = [{"invoice_id": index, "amount": "1"} for index in range(1, 5002)]
        _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": huge})
        self.assertIn("One payment covers at most 5,000 invoices. Please pay in parts.", error)
        _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": [self._alloc(self.invoice_old, "9" * 5000)]})
        self.assertIn("not a valid number", error)
        _result, error = self._rpc(f"{self.base_path}/spread", {"amount": "1" * 5000, "group": "x" * 5000})
        self.assertTrue(error)
        _result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(
            [self._alloc(self.invoice_old, 10)], provider_id="1" * 500, payment_method_id={"a": 1},
        ))
        self.assertIn("not available", error)
        self.assertEqual(self._records_count(), before)

    def test_replayed_and_out_of_order_requests(self):
        allocations = [self._alloc(self.invoice_old, 400)]
        transaction = self._start_payment(allocations)
        # Before the payment completes: no receipt, the page says it is pending, nothing is paid.
        self.assertEqual(self.url_open(f"{self.base_path}/receipt/{transaction.id}").status_code, 404)
        self.assertIn("Payment pending", self.url_open(transaction.landing_route).text)
        self._rpc("/payment/status/poll", {})
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)
        # Completing, then replaying the completion and the post-processing changes nothing more.
        self._finish_payment(transaction)
        payment = transaction.payment_id
        self._rpc("/payment/demo/simulate_payment", {
            "reference": transaction.reference, "payment_details": "4242", "simulated_state": "done",
        })
        self._rpc("/payment/status/poll", {})
        transaction.invalidate_recordset()
        self.assertEqual(transaction.payment_id, payment)
        self.assertEqual(len(self._events(event="payment_made")), 1)
        # Replaying the transaction request for a paid invoice is refused.
        _result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(allocations))
        self.assertIn("already paid", error)

    def test_another_customers_ids_through_this_link(self):
        other_invoice = self._customer_invoice(80.0, partner=self.other_customer)
        other_url = self.other_customer._invoice_pay_ensure_url()
        other_path = f"/invoice-pay/{self._token_of(other_url)}"
        transaction = self._pay([self._alloc(self.invoice_old, 400)])
        self.assertEqual(self.url_open(f"{other_path}/receipt/{transaction.id}").status_code, 404)
        self.assertEqual(self.url_open(f"{self.base_path}/invoice/{other_invoice.id}/pdf").status_code, 404)
        _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": [self._alloc(other_invoice, 10)]})
        self.assertIn("cannot be found", error)
        page = self.url_open(f"{other_path}/invoices?tx={transaction.id}").text
        self.assertNotIn(transaction.reference, page)

    def test_abandoned_drafts_are_cancelled_without_touching_invoices(self):
        transaction = self._start_payment([self._alloc(self.invoice_old, 400)])
        self.env.cr.execute(
            "UPDATE payment_transaction SET create_date = now() - interval '3 days' WHERE id = %s", [transaction.id]
        )
        transaction.invalidate_recordset()
        self.env["payment.transaction"]._gc_invoice_pay_abandoned_transactions()
        self.assertEqual(transaction.state, "cancel")
        self.assertTrue(transaction.invoice_pay_abandoned)
        transaction._post_process()
        self.assertFalse(self._events(event="payment_failed"), "an abandoned page is not a failed payment")
        self.assertAlmostEqual(self.invoice_old.amount_residual, 400.0)
