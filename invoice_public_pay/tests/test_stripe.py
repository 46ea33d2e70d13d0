"""Stripe on the pay page, through Odoo's ``payment_stripe`` and the official SDK, against a fake Stripe.

The fake (``fake_stripe.FakeStripe``) runs on 127.0.0.1 and answers with bodies shaped
like Stripe's documented objects; our SDK client and ``payment_stripe``'s requests are
pointed at it. These tests prove the requests we send and what the books show after
Stripe's documented answers and signed webhooks; Stripe's own acceptance of the
requests is checked only by the opt-in test-mode run (``scripts/stripe-test-mode.sh``).
"""

import json
import time
from unittest.mock import patch

import stripe

from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.payment_stripe.models.payment_provider import PaymentProvider as StripeProvider

from ..controllers.main import CARD_READS_LIMIT
from ..models import payment_provider as provider_module
from .common import InvoicePayPaymentCommon
from .fake_stripe import FakeStripe

WEBHOOK_SECRET = "whsec_invoice_pay_tests"


@tagged("post_install", "-at_install")
class StripePayPageCommon(InvoicePayPaymentCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeStripe().start()
        cls.addClassCleanup(cls.fake.stop)
        cls.startClassPatcher(patch.object(provider_module, "STRIPE_API_BASE", cls.fake.url))
        original_build_url = StripeProvider._build_request_url
        fake_url = cls.fake.url

        def build_request_url(provider, endpoint, *, is_proxy_request=False, version=1, **kwargs):
            if provider.code != "stripe" or is_proxy_request:
                return original_build_url(provider, endpoint, is_proxy_request=is_proxy_request, version=version,
                                          **kwargs)
            return f"{fake_url}/v1/{endpoint}"

        cls.startClassPatcher(patch.object(StripeProvider, "_build_request_url", build_request_url))
        cls.card = cls.env.ref("payment.payment_method_card")
        cls.stripe_provider = cls.env["payment.provider"].sudo().search(
            [("code", "=", "stripe"), ("company_id", "=", cls.env.company.id)], limit=1,
        )
        cls.stripe_provider.write({
            "state": "test",
            "is_published": True,
            "stripe_secret_key": "sk_test_invoice_pay",
            "stripe_publishable_key": "pk_test_invoice_pay",
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "payment_method_ids": [Command.set(cls.card.ids)],
        })
        cls.card.active = True
        cls.surcharge_rule = cls.env["invoice.pay.fee.rule"].create({
            "name": "Card surcharge",
            "provider_ids": [Command.set(cls.stripe_provider.ids)],
            "payment_method_ids": [Command.set(cls.card.ids)],
            "fee_kind": "surcharge",
            "percentage": 3.0,
        })

    def setUp(self):
        super().setUp()
        # Transaction references (and so idempotency keys) repeat from one test to the next.
        self.fake.reset()

    # ------------------------------------------------------------------
    # Helpers: the page's calls
    # ------------------------------------------------------------------

    def _quote(self, allocations, confirmation_token=None, **params):
        return self._rpc(f"{self.base_path}/quote", {
            "allocations": allocations, "provider_id": self.stripe_provider.id,
            "payment_method_id": self.card.id, "confirmation_token": confirmation_token, **params,
        })

    def _stripe_transaction(self, allocations, confirmation_token, fee_signature, **overrides):
        params = self._transaction_params(
            allocations, provider_id=self.stripe_provider.id, payment_method_id=self.card.id,
            confirmation_token=confirmation_token, fee_signature=fee_signature, **overrides,
        )
        return self._rpc(f"{self.base_path}/transaction", params)

    def _confirm(self, processing_values):
        """The page's second step: have the transaction charged (what ``/transaction`` answered)."""
        return self._rpc(f"{self.base_path}/stripe-confirm", {
            "reference": processing_values["reference"],
            "access_token": processing_values["invoice_pay_access_token"],
        })

    def _priced_payment(self, allocations, confirmation_token):
        """Quote with the card entry, create the transaction, then have it charged, as the page does.

        :return: the quote, and the answer of ``/stripe-confirm`` with the transaction's reference
        """
        quote, error = self._quote(allocations, confirmation_token)
        self.assertFalse(error, error)
        intents_before = len(self.fake.payment_intents)
        processing_values, error = self._stripe_transaction(allocations, confirmation_token, quote["fee_signature"])
        self.assertFalse(error, error)
        self.assertEqual(processing_values["state"], "draft")
        self.assertEqual(len(self.fake.payment_intents), intents_before, "nothing is charged before the commit")
        result, error = self._confirm(processing_values)
        self.assertFalse(error, error)
        return quote, {**result, "reference": processing_values["reference"]}

    def _transaction(self, reference):
        return self.env["payment.transaction"].sudo().search([("reference", "=", reference)])

    def _send_webhook(self, event_type, intent_id):
        """Post Stripe's event for the PaymentIntent to Odoo, signed as Stripe signs it."""
        event = {
            "id": f"evt_{intent_id}", "object": "event", "type": event_type,
            "data": {"object": self.fake.payment_intents[intent_id]},
        }
        payload = json.dumps(event)
        timestamp = int(time.time())
        signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload}", WEBHOOK_SECRET)
        header = f"t={timestamp},v1={signature}"
        # The header is the one Stripe's own SDK accepts.
        self.assertTrue(stripe.WebhookSignature.verify_header(payload, header, WEBHOOK_SECRET))
        return self.opener.post(
            self.base_url() + "/payment/stripe/webhook", data=payload, timeout=30,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )

    def _book(self, transaction):
        """Post-process the transaction as Odoo's cron does (the books, the link's history)."""
        transaction.invalidate_recordset()
        if not transaction.is_post_processed:
            transaction._post_process()
        return transaction

    def _assert_booked(self, transaction, expected_by_invoice, fee):
        """One payment of the total: each invoice's receivable line as chosen, the fee as income."""
        payment = transaction.payment_id
        self.assertEqual(len(payment), 1, "the payment is booked once")
        self.assertEqual(payment.amount, transaction.amount)
        lines = payment.move_id.line_ids
        for invoice, amount in expected_by_invoice.items():
            reconciled = lines.filtered(
                lambda line, invoice=invoice: line.account_id.account_type == "asset_receivable"
                and invoice in line.matched_debit_ids.debit_move_id.move_id
            )
            self.assertEqual(sum(reconciled.mapped("credit")), amount, invoice.name)
        income = lines.filtered(lambda line: line.account_id.internal_group == "income")
        self.assertEqual(sum(income.mapped("credit")), fee)


class TestStripePayPage(StripePayPageCommon):

    def test_credit_card_is_surcharged_and_booked_per_invoice(self):
        token = self.fake.add_confirmation_token(funding="credit")
        allocations = [self._alloc(self.invoice_old, 400.0), self._alloc(self.invoice_mid, 100.0)]
        quote, result = self._priced_payment(allocations, token)

        self.assertEqual(quote["fee"], 15.0, "3 % of 500.00")
        self.assertEqual(quote["amount_total"], 515.0)
        self.assertEqual(quote["stripe_minor_amount"], 51500)
        reads = self.fake.calls("GET", rf"/v1/confirmation_tokens/{token}")
        self.assertEqual(len(reads), 2, "the card is read at the quote and again before charging")
        self.assertEqual(reads[0]["headers"]["stripe-version"], provider_module.STRIPE_API_VERSION)

        [create] = self.fake.calls("POST", "/v1/payment_intents")
        self.assertEqual(create["params"]["amount"], "51500")
        self.assertEqual(create["params"]["currency"], self.invoice_old.currency_id.name.lower())
        self.assertEqual(create["params"]["confirmation_token"], token)
        self.assertEqual(create["params"]["confirm"], "true")
        self.assertIn("/payment/stripe/return?reference=", create["params"]["return_url"])
        self.assertEqual(create["headers"]["stripe-version"], provider_module.STRIPE_API_VERSION)
        self.assertTrue(create["headers"].get("idempotency-key"))

        transaction = self._transaction(result["reference"])
        self.assertEqual(result["status"], "succeeded")
        self.assertEqual(transaction.state, "done")
        self.assertEqual(transaction.invoice_pay_stripe_confirmation_token, token)
        self.assertEqual(transaction.invoice_pay_card_funding, "credit")
        self.assertEqual(transaction.amount, 515.0)

        # Stripe's webhook for the same PaymentIntent arrives: nothing is counted twice.
        response = self._send_webhook("payment_intent.succeeded", transaction.provider_reference)
        self.assertEqual(response.status_code, 200)
        self._book(transaction)
        self._assert_booked(transaction, {self.invoice_old: 400.0, self.invoice_mid: 100.0}, fee=15.0)
        self.assertEqual(self.invoice_old.amount_residual, 0.0)
        self.assertEqual(self.invoice_mid.amount_residual, 150.5)
        self.assertEqual(len(transaction.payment_id), 1)

    def test_debit_card_pays_no_surcharge_and_the_webhook_confirms(self):
        token = self.fake.add_confirmation_token(funding="debit", outcome="requires_action")
        allocations = [self._alloc(self.invoice_new, 1000.0)]
        quote, result = self._priced_payment(allocations, token)
        self.assertEqual(quote["fee"], 0.0)
        self.assertEqual(result["status"], "requires_action")
        self.assertTrue(result["client_secret"])
        transaction = self._transaction(result["reference"])
        self.assertEqual(transaction.state, "draft", "3-D Secure is still to be done in the browser")
        self.assertEqual(self.fake.calls("POST", "/v1/payment_intents")[0]["params"]["amount"], "100000")

        # The customer passes the challenge; Stripe tells Odoo through its signed webhook.
        self.fake.finish_next_action(transaction.provider_reference)
        response = self._send_webhook("payment_intent.succeeded", transaction.provider_reference)
        self.assertEqual(response.status_code, 200)
        self._book(transaction)
        self.assertEqual(transaction.state, "done")
        self._assert_booked(transaction, {self.invoice_new: 1000.0}, fee=0.0)
        self.assertEqual(self.invoice_new.amount_residual, 0.0)

    def test_requires_action_then_return_route(self):
        token = self.fake.add_confirmation_token(funding="credit", outcome="requires_action")
        _quote, result = self._priced_payment([self._alloc(self.invoice_old, 100.0)], token)
        transaction = self._transaction(result["reference"])
        self.fake.finish_next_action(transaction.provider_reference)
        # Stripe.js sends the customer to the return URL after the challenge.
        response = self.url_open(
            f"/payment/stripe/return?reference={transaction.reference}&payment_intent={transaction.provider_reference}",
            allow_redirects=False,
        )
        self.assertIn(response.status_code, (302, 303))
        self._book(transaction)
        self.assertEqual(transaction.state, "done")
        self._assert_booked(transaction, {self.invoice_old: 100.0}, fee=3.0)

    def test_failed_challenge_books_nothing(self):
        token = self.fake.add_confirmation_token(funding="credit", outcome="requires_action")
        _quote, result = self._priced_payment([self._alloc(self.invoice_old, 100.0)], token)
        transaction = self._transaction(result["reference"])
        self.fake.finish_next_action(transaction.provider_reference, status="requires_payment_method")
        self._send_webhook("payment_intent.payment_failed", transaction.provider_reference)
        transaction.invalidate_recordset()
        self.assertEqual(transaction.state, "error")
        self.assertFalse(transaction.payment_id)
        self.assertEqual(self.invoice_old.amount_residual, 400.0)

    def test_declined_card_is_told_and_books_nothing(self):
        token = self.fake.add_confirmation_token(funding="credit", outcome="declined")
        _quote, result = self._priced_payment([self._alloc(self.invoice_old, 100.0)], token)
        self.assertEqual(result["status"], "error")
        self.assertEqual(result["error"], "Your card was declined.")
        transaction = self._book(self._transaction(result["reference"]))
        self.assertEqual(transaction.state, "error")
        self.assertFalse(transaction.payment_id)
        self.assertEqual(self._events(event="payment_failed").transaction_id, transaction)

    def test_wallet_and_eea_cards_pay_no_surcharge(self):
        allocations = [self._alloc(self.invoice_old, 100.0)]
        wallet = self.fake.add_confirmation_token(funding="credit", wallet="apple_pay")
        eea = self.fake.add_confirmation_token(funding="credit", country="FR")
        prepaid = self.fake.add_confirmation_token(funding="prepaid")
        for token in (wallet, eea, prepaid):
            quote, error = self._quote(allocations, token)
            self.assertFalse(error, error)
            self.assertEqual(quote["fee"], 0.0, token)
        quote, _error = self._quote(allocations, None)
        self.assertEqual(quote["fee"], 0.0, "no card read yet: the page shows the rule, not a fee")

    def test_manual_capture_books_at_capture(self):
        self.stripe_provider.capture_manually = True
        token = self.fake.add_confirmation_token(funding="credit")
        _quote, result = self._priced_payment([self._alloc(self.invoice_old, 200.0)], token)
        [create] = self.fake.calls("POST", "/v1/payment_intents")
        self.assertEqual(create["params"]["capture_method"], "manual")
        transaction = self._transaction(result["reference"])
        self.assertEqual(transaction.state, "authorized")
        self._book(transaction)
        self.assertFalse(transaction.payment_id, "nothing is booked at authorization")
        transaction.action_capture()
        self.assertTrue(self.fake.calls("POST", rf"/v1/payment_intents/{transaction.provider_reference}/capture"))
        # Odoo captures through a child transaction, booked like a payment of the page.
        capture = self._book(transaction.child_transaction_ids)
        self.assertEqual(capture.state, "done")
        self._assert_booked(capture, {self.invoice_old: 200.0}, fee=6.0)
        self.assertEqual(self.invoice_old.amount_residual, 200.0)


    def test_lost_answer_is_charged_once_on_retry(self):
        token = self.fake.add_confirmation_token(funding="credit")
        allocations = [self._alloc(self.invoice_old, 100.0)]
        quote, _error = self._quote(allocations, token)
        processing_values, _error = self._stripe_transaction(allocations, token, quote["fee_signature"])
        # Stripe charges, but its answer is lost (the SDK's own retries included).
        self.fake.lose_answers(1 + provider_module.STRIPE_MAX_NETWORK_RETRIES)
        result, error = self._confirm(processing_values)
        self.assertFalse(error, error)
        self.assertEqual(result["status"], "retry")
        transaction = self._transaction(processing_values["reference"])
        self.assertEqual(transaction.state, "draft", "neither failed nor paid until Stripe answers")
        self.assertTrue(transaction.invoice_pay_stripe_attempted)
        # The page confirms the same payment again: Stripe's payment is looked up, not made again.
        result, _error = self._confirm(processing_values)
        self.assertEqual(result["status"], "succeeded")
        self.assertEqual(len(self.fake.payment_intents), 1, "charged once")
        self.assertEqual(len(self.fake.calls("GET", "/v1/payment_intents/search")), 1)
        self._book(transaction)
        self._assert_booked(transaction, {self.invoice_old: 100.0}, fee=3.0)
        # Confirming once more sends nothing.
        result, _error = self._confirm(processing_values)
        self.assertEqual(result["status"], "done")
        attempts = 1 + provider_module.STRIPE_MAX_NETWORK_RETRIES
        self.assertEqual(len(self.fake.calls("POST", "/v1/payment_intents")), attempts)

    def test_lost_answer_then_webhook_books_it(self):
        token = self.fake.add_confirmation_token(funding="debit")
        allocations = [self._alloc(self.invoice_new, 250.0)]
        quote, _error = self._quote(allocations, token)
        processing_values, _error = self._stripe_transaction(allocations, token, quote["fee_signature"])
        self.fake.lose_answers(1 + provider_module.STRIPE_MAX_NETWORK_RETRIES)
        result, _error = self._confirm(processing_values)
        self.assertEqual(result["status"], "retry")
        [intent_id] = self.fake.payment_intents
        # The transaction was committed before Stripe was asked: its webhook finds it.
        self.assertEqual(self._send_webhook("payment_intent.succeeded", intent_id).status_code, 200)
        transaction = self._book(self._transaction(processing_values["reference"]))
        self.assertEqual(transaction.state, "done")
        self._assert_booked(transaction, {self.invoice_new: 250.0}, fee=0.0)

    def test_saving_the_card_while_paying(self):
        self.stripe_provider.allow_tokenization = True
        self.authenticate("ipp_portal", "ipp_portal")
        token = self.fake.add_confirmation_token(funding="debit")
        allocations = [self._alloc(self.invoice_old, 100.0)]
        quote, _error = self._quote(allocations, token)
        processing_values, error = self._stripe_transaction(
            allocations, token, quote["fee_signature"], tokenization_requested=True,
        )
        self.assertFalse(error, error)
        result, error = self._confirm(processing_values)
        self.assertFalse(error, error)
        self.assertEqual(result["status"], "succeeded")
        [create] = self.fake.calls("POST", "/v1/payment_intents")
        self.assertEqual(create["params"]["setup_future_usage"], "off_session")
        self.assertTrue(create["params"]["customer"].startswith("cus_"))
        transaction = self._book(self._transaction(processing_values["reference"]))
        self.assertEqual(transaction.state, "done")
        self.assertEqual(transaction.token_id.stripe_payment_method, self.fake.payment_intents[
            transaction.provider_reference]["payment_method"])
        self.assertEqual(transaction.token_id.partner_id, self.contact)
        self._assert_booked(transaction, {self.invoice_old: 100.0}, fee=0.0)

    def test_return_route_ignores_another_payments_intent(self):
        paid = self.fake.add_confirmation_token(funding="credit")
        _quote, first = self._priced_payment([self._alloc(self.invoice_old, 100.0)], paid)
        first_intent = self._transaction(first["reference"]).provider_reference
        waiting = self.fake.add_confirmation_token(funding="credit", outcome="requires_action")
        # Another amount: the intent must not fail this payment either (Odoo checks amounts first).
        _quote, second = self._priced_payment([self._alloc(self.invoice_mid, 150.0)], waiting)
        second_tx = self._transaction(second["reference"])
        # A visitor points Stripe's return route of the second payment at the first one's intent.
        self.url_open(f"/payment/stripe/return?reference={second_tx.reference}&payment_intent={first_intent}",
                      allow_redirects=False)
        self._book(second_tx)
        self.assertEqual(second_tx.state, "draft")
        self.assertFalse(second_tx.payment_id)
        self.assertEqual(self.invoice_mid.amount_residual, 250.5)

    def test_link_fills_in_a_card_that_is_priced_as_such(self):
        allocations = [self._alloc(self.invoice_old, 100.0)]
        link_credit = self.fake.add_confirmation_token(funding="credit", wallet="link")
        quote, error = self._quote(allocations, link_credit)
        self.assertFalse(error, error)
        self.assertEqual(quote["fee"], 3.0, "Link shows no amount before the card is known: a credit card pays")

    def test_card_entry_of_another_method_is_refused(self):
        ideal = self.fake.add_confirmation_token(payment_method_type="ideal")
        _quote, error = self._quote([self._alloc(self.invoice_old, 100.0)], ideal)
        self.assertEqual(error, "Your card details could not be read any more. Please enter your card again.")

    def test_confirm_route_only_charges_this_browsers_recent_stripe_payments(self):
        demo_tx = self._start_payment([self._alloc(self.invoice_old, 10.0)])
        token = self.fake.add_confirmation_token(funding="debit")
        allocations = [self._alloc(self.invoice_old, 100.0)]
        quote, _error = self._quote(allocations, token)
        processing_values, _error = self._stripe_transaction(allocations, token, quote["fee_signature"])
        not_found = "This payment could not be found. Please reload the page."
        for reference, access_token in (
            (demo_tx.reference, processing_values["invoice_pay_access_token"]),
            ("INV/2026/99999", processing_values["invoice_pay_access_token"]),
            (None, None), (["x"], None),
            # Another visitor of the link, who does not hold the creating browser's token.
            (processing_values["reference"], None),
            (processing_values["reference"], "0" * 64),
        ):
            _result, error = self._rpc(f"{self.base_path}/stripe-confirm",
                                       {"reference": reference, "access_token": access_token})
            self.assertEqual(error, not_found, reference)
        # A payment left more than an hour before it was charged is started again.
        transaction = self._transaction(processing_values["reference"])
        self.env.cr.execute("UPDATE payment_transaction SET create_date = now() - interval '2 hours' WHERE id = %s",
                            [transaction.id])
        transaction.invalidate_recordset()
        _result, error = self._confirm(processing_values)
        self.assertEqual(error, "This payment was not completed in time. Please start again.")
        self.assertFalse(self.fake.calls("POST", "/v1/payment_intents"))


class TestStripeCardEntryGuards(StripePayPageCommon):
    """A card entry other than the one priced, used, expired or unknown: refused, nothing charged."""

    def _assert_nothing_charged(self, transactions_before):
        self.assertFalse(self.fake.calls("POST", "/v1/payment_intents"), "no PaymentIntent was created")
        self.assertEqual(self.env["payment.transaction"].sudo().search_count([]), transactions_before)

    def test_changed_card_entry_is_refused_with_the_new_figures(self):
        allocations = [self._alloc(self.invoice_old, 100.0)]
        credit = self.fake.add_confirmation_token(funding="credit")
        debit = self.fake.add_confirmation_token(funding="debit")
        other_credit = self.fake.add_confirmation_token(funding="credit")
        before = self.env["payment.transaction"].sudo().search_count([])
        debit_quote, _error = self._quote(allocations, debit)
        # Priced with a debit card, then paid with a credit card: the fee would be 3.00.
        _result, error = self._stripe_transaction(allocations, credit, debit_quote["fee_signature"])
        self.assertEqual(error, "The fee changed, please review: the fee is now $\xa03.00 and the total $\xa0103.00.")
        # Another card with the very same fee is refused too: only the card priced pays.
        credit_quote, _error = self._quote(allocations, credit)
        _result, error = self._stripe_transaction(allocations, other_credit, credit_quote["fee_signature"])
        self.assertTrue(error)
        self._assert_nothing_charged(before)

    def test_used_expired_and_unknown_card_entries_are_refused(self):
        allocations = [self._alloc(self.invoice_old, 100.0)]
        token = self.fake.add_confirmation_token(funding="credit")
        _quote, result = self._priced_payment(allocations, token)
        self.assertEqual(self._transaction(result["reference"]).state, "done")
        self.fake.requests.clear()
        before = self.env["payment.transaction"].sudo().search_count([])
        expired = self.fake.add_confirmation_token(funding="credit", expired=True)
        message = "Your card details could not be read any more. Please enter your card again."
        for bad in (token, expired, "ctoken_unknown000", "pm_not_a_token", "ctoken_../../v1/refunds", 42, ["x"]):
            _result, error = self._quote(allocations, bad)
            self.assertEqual(error, message, bad)
            _result, error = self._stripe_transaction(allocations, bad, "signature")
            self.assertEqual(error, message, bad)
        self._assert_nothing_charged(before)
        # Garbage is never sent to Stripe.
        self.assertFalse([r for r in self.fake.requests if "refunds" in r["path"] or "pm_not" in r["path"]])

    def test_stripe_is_only_confirmed_with_a_priced_card_entry(self):
        allocations = [self._alloc(self.invoice_old, 100.0)]
        before = self.env["payment.transaction"].sudo().search_count([])
        for flow in ("direct", "redirect"):
            _result, error = self._stripe_transaction(allocations, None, None, flow=flow)
            self.assertEqual(error, "Please enter your card details and press Continue.")
        token = self.fake.add_confirmation_token(funding="debit")
        quote, _error = self._quote(allocations, token)
        _result, error = self._stripe_transaction(allocations, token, quote["fee_signature"], flow="redirect")
        self.assertEqual(error, "Please enter your card details and press Continue.")
        self._assert_nothing_charged(before)

    def test_card_reads_of_one_link_are_limited(self):
        """A visitor with a valid link cannot make the server call Stripe without end."""
        allocations = [self._alloc(self.invoice_old, 100.0)]
        token = self.fake.add_confirmation_token(funding="debit")
        for _attempt in range(CARD_READS_LIMIT):
            _result, error = self._quote(allocations, token)
            self.assertFalse(error, error)
        reads = len(self.fake.calls("GET", rf"/v1/confirmation_tokens/{token}"))
        response = self.opener.post(self.base_url() + f"{self.base_path}/quote", json={
            "jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"allocations": allocations, "provider_id": self.stripe_provider.id,
                       "payment_method_id": self.card.id, "confirmation_token": token},
        }, timeout=30)
        self.assertEqual(response.status_code, 429)
        self.assertIn("checked too many times", response.json()["error"]["data"]["message"])
        self.assertEqual(len(self.fake.calls("GET", rf"/v1/confirmation_tokens/{token}")), reads)
        # Quotes without a card entry still answer.
        _result, error = self._quote(allocations, None)
        self.assertFalse(error, error)

    def test_stripe_unreachable_gives_a_clear_message(self):
        allocations = [self._alloc(self.invoice_old, 100.0)]
        self.fake.stop()
        try:
            _result, error = self._quote(allocations, "ctoken_fake00000001")
        finally:
            self.fake.start()
            self.startClassPatcher(patch.object(provider_module, "STRIPE_API_BASE", self.fake.url))
        self.assertEqual(error, "The card could not be checked right now. Please try again in a moment.")


class TestStripeSavedCardAndCurrencies(StripePayPageCommon):

    def test_saved_card_is_priced_from_its_payment_method(self):
        method_id = self.fake.add_payment_method(funding="credit")
        self.stripe_provider.allow_tokenization = True
        saved = self.env["payment.token"].sudo().create({
            "provider_id": self.stripe_provider.id,
            "payment_method_id": self.card.id,
            "partner_id": self.contact.id,
            "payment_details": "4242",
            "provider_ref": "cus_fake_saved",
            "stripe_payment_method": method_id,
        })
        self.authenticate("ipp_portal", "ipp_portal")
        allocations = [self._alloc(self.invoice_old, 100.0)]
        quote, error = self._rpc(f"{self.base_path}/quote", {"allocations": allocations, "token_id": saved.id})
        self.assertFalse(error, error)
        self.assertEqual(quote["fee"], 3.0)
        self.assertTrue(self.fake.calls("GET", rf"/v1/payment_methods/{method_id}"))
        result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(
            allocations, flow="token", token_id=saved.id, provider_id=self.stripe_provider.id,
            payment_method_id=self.card.id, fee_signature=quote["fee_signature"],
        ))
        self.assertFalse(error, error)
        [create] = self.fake.calls("POST", "/v1/payment_intents")
        self.assertEqual(create["params"]["amount"], "10300")
        self.assertEqual(create["params"]["payment_method"], method_id)
        transaction = self._book(self._transaction(result["reference"]))
        self.assertEqual(transaction.state, "done")
        self._assert_booked(transaction, {self.invoice_old: 100.0}, fee=3.0)

    def test_isk_minor_units_come_from_the_server(self):
        isk = self.env.ref("base.ISK")
        isk.active = True
        self.env["res.currency.rate"].create({"currency_id": isk.id, "rate": 140.0, "name": "2000-01-01"})
        self.assertEqual(isk.decimal_places, 0)
        invoice = self._customer_invoice(15000.0, currency=isk)
        allocations = [self._alloc(invoice, 15000.0)]
        token = self.fake.add_confirmation_token(funding="debit")
        quote, result = self._priced_payment(allocations, token)
        # Stripe counts ISK in hundredths (two decimals) although the króna has none.
        self.assertEqual(quote["stripe_minor_amount"], 1500000)
        [create] = self.fake.calls("POST", "/v1/payment_intents")
        self.assertEqual(create["params"]["amount"], "1500000")
        self.assertEqual(create["params"]["currency"], "isk")
        transaction = self._book(self._transaction(result["reference"]))
        self.assertEqual(transaction.state, "done")
        self.assertEqual(invoice.amount_residual, 0.0)


class TestStripePayPageTour(StripePayPageCommon):
    """The page's own script with Stripe: Continue reads the card, the fee appears, Pay charges it."""

    def test_pay_with_a_credit_card_through_stripe(self):
        self.fake.add_confirmation_token(funding="credit", token_id="ctoken_tour_credit")
        self.start_tour(f"{self.base_path}/invoices", "invoice_public_pay_stripe")
        transaction = self.env["payment.transaction"].sudo().search(
            [("invoice_pay_link_id.partner_id", "=", self.customer.id)],
        )
        self.assertEqual(
            (transaction.state, transaction.invoice_pay_stripe_confirmation_token, transaction.amount),
            ("done", "ctoken_tour_credit", 412.0),
        )
        [create] = self.fake.calls("POST", "/v1/payment_intents")
        self.assertEqual(create["params"]["amount"], "41200")
        self._book(transaction)
        self._assert_booked(transaction, {self.invoice_old: 400.0}, fee=12.0)
