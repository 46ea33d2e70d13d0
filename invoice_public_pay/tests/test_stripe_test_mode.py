"""The Stripe scenarios against Stripe's own test mode (opt-in, never part of the default run).

Run with ``STRIPE_TEST_SECRET_KEY=sk_test_... scripts/stripe-test-mode.sh``: it selects
the tag ``invoice_pay_stripe_test_mode``, which the default ``standard`` selection does
not include. Card entries are made with Stripe's test helper for ConfirmationTokens and
its test PaymentMethods (``pm_card_visa``: credit; ``pm_card_visa_debit``: debit;
``pm_card_authenticationRequired``: 3-D Secure). Webhooks cannot reach this machine, so
the payment is confirmed by our server's own request and read back through
``payment_stripe``'s return route.
"""

import os

from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install", "-standard", "invoice_pay_stripe_test_mode")
class TestStripeTestMode(InvoicePayPaymentCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        secret_key = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
        assert secret_key.startswith("sk_test_"), "STRIPE_TEST_SECRET_KEY (a test mode secret key) is required"
        cls.card = cls.env.ref("payment.payment_method_card")
        cls.stripe_provider = cls.env["payment.provider"].sudo().search(
            [("code", "=", "stripe"), ("company_id", "=", cls.env.company.id)], limit=1,
        )
        cls.stripe_provider.write({
            "state": "test", "is_published": True, "stripe_secret_key": secret_key,
            "stripe_publishable_key": os.environ.get("STRIPE_TEST_PUBLISHABLE_KEY", "pk_test_unused"),
            "payment_method_ids": [Command.set(cls.card.ids)],
        })
        cls.card.active = True
        cls.env["invoice.pay.fee.rule"].create({
            "name": "Card surcharge", "provider_ids": [Command.set(cls.stripe_provider.ids)],
            "payment_method_ids": [Command.set(cls.card.ids)], "fee_kind": "surcharge", "percentage": 3.0,
        })

    def _card_entry(self, test_payment_method):
        client = self.stripe_provider._invoice_pay_stripe_client()
        return client.v1.test_helpers.confirmation_tokens.create(params={"payment_method": test_payment_method}).id

    def _pay(self, allocations, confirmation_token):
        params = {"allocations": allocations, "provider_id": self.stripe_provider.id,
                  "payment_method_id": self.card.id, "confirmation_token": confirmation_token}
        quote, error = self._rpc(f"{self.base_path}/quote", params)
        self.assertFalse(error, error)
        result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(
            allocations, provider_id=self.stripe_provider.id, payment_method_id=self.card.id,
            confirmation_token=confirmation_token, fee_signature=quote["fee_signature"],
        ))
        self.assertFalse(error, error)
        confirmed, error = self._rpc(f"{self.base_path}/stripe-confirm", {
            "reference": result["reference"], "access_token": result["invoice_pay_access_token"],
        })
        self.assertFalse(error, error)
        return quote, confirmed, self.env["payment.transaction"].sudo().search([("reference", "=", result["reference"])])

    def test_credit_card_surcharged_and_booked(self):
        allocations = [self._alloc(self.invoice_old, 100.0)]
        quote, result, transaction = self._pay(allocations, self._card_entry("pm_card_visa"))
        self.assertEqual(quote["fee"], 3.0)
        self.assertEqual(result["status"], "succeeded")
        self.assertEqual(transaction.state, "done")
        transaction._post_process()
        self.assertEqual(self.invoice_old.amount_residual, 300.0)

    def test_debit_card_pays_no_surcharge(self):
        quote, _result, transaction = self._pay([self._alloc(self.invoice_old, 100.0)],
                                                self._card_entry("pm_card_visa_debit"))
        self.assertEqual(quote["fee"], 0.0)
        self.assertEqual(transaction.state, "done")

    def test_authentication_required(self):
        _quote, result, transaction = self._pay([self._alloc(self.invoice_old, 100.0)],
                                                self._card_entry("pm_card_authenticationRequired"))
        self.assertEqual(result["status"], "requires_action")
        self.assertEqual(transaction.state, "draft")

    def test_reused_card_entry_is_refused(self):
        token = self._card_entry("pm_card_visa_debit")
        self._pay([self._alloc(self.invoice_old, 10.0)], token)
        _result, error = self._rpc(f"{self.base_path}/quote", {
            "allocations": [self._alloc(self.invoice_old, 10.0)], "provider_id": self.stripe_provider.id,
            "payment_method_id": self.card.id, "confirmation_token": token,
        })
        self.assertEqual(error, "Your card details could not be read any more. Please enter your card again.")
