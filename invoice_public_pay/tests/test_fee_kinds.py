from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from ..pay_core.fees import CardDetails
from .common import CREDIT_CARD, DEBIT_CARD, FRENCH_CREDIT_CARD, PREPAID_CARD, InvoicePayPaymentCommon
from .test_settlement import _load_migration


@tagged("post_install", "-at_install")
class TestFeeKinds(InvoicePayPaymentCommon, HttpCase):
    """Surcharges on credit cards only, flat convenience fees, service fees on other methods."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.us")
        cls.surcharge = cls._enable_card_surcharge(name="Card fee")

    def _quote(self, amount, card=None, method=None, invoice=None):
        params = {
            "allocations": [self._alloc(invoice or self.invoice_old, amount)],
            "payment_method_id": (method or self.card).id,
            "provider_id": self.demo_provider.id,
        }
        if card:
            params["card_reference"] = card
        result, error = self._rpc(f"{self.base_path}/quote", params)
        self.assertFalse(error, error)
        return result

    def test_only_credit_cards_pay_the_surcharge(self):
        self.assertEqual(self._quote(100, CREDIT_CARD)["fee"], 3.0)
        for card in (DEBIT_CARD, PREPAID_CARD, "4111 1111 1111 1111", None):
            with self.subTest(card=card):
                self.assertEqual(self._quote(100, card)["fee"], 0.0)
        quote = self._quote(100)
        self.assertIn("surcharge applies to credit cards", quote["fee_disclosure"])
        self.assertIn("no surcharge on debit or prepaid cards", quote["fee_disclosure"])

    def test_wallet_payments_pay_no_surcharge(self):
        link = self._link()
        wallet = CardDetails("credit", "US", "visa", wallet=True)
        checkout = link._invoice_pay_prepare_checkout(
            [self._alloc(self.invoice_old, 100)], payment_method=self.card, provider=self.demo_provider, card=wallet,
        )
        self.assertEqual(checkout.fee, 0)

    def test_no_surcharge_on_eea_cards_unless_allowed(self):
        self.assertEqual(self._quote(100, FRENCH_CREDIT_CARD)["fee"], 0.0)
        self.company.invoice_pay_surcharge_eea_uk_cards = False
        self.assertEqual(self._quote(100, FRENCH_CREDIT_CARD)["fee"], 3.0)

    def test_no_surcharge_where_a_state_bans_it(self):
        connecticut = self.env.ref("base.state_us_7")
        self.customer.state_id = connecticut
        self.company.invoice_pay_surcharge_banned_state_ids = connecticut
        self.assertEqual(self._quote(100, CREDIT_CARD)["fee"], 0.0)
        self.customer.state_id = False
        self.assertEqual(self._quote(100, CREDIT_CARD)["fee"], 3.0)
        self.company.state_id = connecticut
        self.assertEqual(self._quote(100, CREDIT_CARD)["fee"], 0.0, "the company's own state counts too")

    def test_no_surcharge_for_a_company_in_the_eea(self):
        with self.assertRaisesRegex(ValidationError, "EEA or the UK"):
            self.company.country_id = self.env.ref("base.fr")

    def test_cap_includes_the_fixed_part_and_the_minimum(self):
        self.surcharge.write({"percentage": 2.0, "fixed_amount": 0.30, "min_fee": 1.0})
        # 2 % of 10.00 + 0.30 = 0.50, raised to 1.00, then capped at 3 % of 10.00.
        self.assertEqual(self._quote(10, CREDIT_CARD)["fee"], 0.3)
        self.assertEqual(self._quote(100, CREDIT_CARD)["fee"], 2.3)

    def test_rule_over_the_cap_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "above the company's cap"):
            self.surcharge.percentage = 3.5
        self.company.invoice_pay_surcharge_cap = 4.0
        self.surcharge.percentage = 3.5
        with self.assertRaisesRegex(ValidationError, "above the company's cap"):
            self.company.invoice_pay_surcharge_cap = 3.0

    def test_kinds_only_on_the_methods_they_are_for(self):
        with self.assertRaisesRegex(ValidationError, "card payment methods only"):
            self.surcharge.payment_method_ids = [Command.link(self.demo_method.id)]
        with self.assertRaisesRegex(ValidationError, "methods other than cards"):
            self.env["invoice.pay.fee.rule"].create({
                "name": "Bank fee", "fee_kind": "service", "payment_method_ids": [Command.set(self.card.ids)],
                "percentage": 1.0,
            })

    def test_flat_fee_is_the_same_on_any_method_and_card(self):
        self.surcharge.write({"fee_kind": "flat", "fixed_amount": 2.5, "min_fee": 5.0, "max_fee": 1.0})
        self.env["invoice.pay.fee.rule"].create({
            "name": "Demo fee", "fee_kind": "flat", "payment_method_ids": [Command.set(self.demo_method.ids)],
            "fixed_amount": 2.5,
        })
        for card in (CREDIT_CARD, DEBIT_CARD, None):
            with self.subTest(card=card):
                self.assertEqual(self._quote(100, card)["fee"], 2.5)
        self.assertEqual(self._quote(400, method=self.demo_method)["fee"], 2.5)
        self.assertIn("2.50 convenience fee applies to Card payments", self._quote(100)["fee_disclosure"])

    def test_one_rule_per_payment(self):
        self.env["invoice.pay.fee.rule"].create({
            "name": "Demo card flat fee", "fee_kind": "flat", "payment_method_ids": [Command.set(self.card.ids)],
            "provider_ids": [Command.set(self.demo_provider.ids)], "fixed_amount": 1.0,
        })
        quote = self._quote(100, CREDIT_CARD)
        self.assertEqual(quote["fee"], 1.0, "the provider's own rule, not both")

    def test_the_card_is_kept_on_the_transaction_and_the_receipt_names_the_surcharge(self):
        allocations = [self._alloc(self.invoice_old, 100)]
        quote = self._quote(100, CREDIT_CARD)
        transaction = self._pay(
            allocations, payment_method_id=self.card.id, fee_signature=quote["fee_signature"],
            card_reference=CREDIT_CARD,
        )
        self.assertEqual(transaction.amount, 103.0)
        self.assertEqual(transaction.invoice_pay_card_funding, "credit")
        self.assertEqual(transaction.invoice_pay_card_country, "US")
        self.assertIn("Credit card surcharge", self.url_open(f"{self.base_path}/receipt/{transaction.id}").text)
        debit = self._pay(
            [self._alloc(self.invoice_mid, 50)], payment_method_id=self.card.id, card_reference=DEBIT_CARD,
        )
        self.assertEqual((debit.amount, debit.invoice_pay_card_funding, debit.invoice_pay_fee), (50.0, "debit", 0.0))

    def test_migration_gives_old_rules_their_kind(self):
        migration = _load_migration()
        fixed_only = self.env["invoice.pay.fee.rule"].create({
            "name": "Demo fixed", "fee_kind": "flat", "payment_method_ids": [Command.set(self.demo_method.ids)],
            "fixed_amount": 1.0,
        })
        service = self.env["invoice.pay.fee.rule"].create({
            "name": "Demo percent", "fee_kind": "flat", "payment_method_ids": [Command.set(self.demo_method.ids)],
            "provider_ids": [Command.set(self.demo_provider.ids)], "percentage": 2.0,
        })
        # 19.0.1.0.0 had no kind: the column is filled with the default when the field is added.
        self.env.cr.execute("UPDATE invoice_pay_fee_rule SET fee_kind = 'flat'")
        migration._set_fee_kinds(self.env)
        self.assertEqual(
            (self.surcharge.fee_kind, fixed_only.fee_kind, service.fee_kind), ("surcharge", "flat", "service"),
        )

    # ------------------------------------------------------------
    # Edge cases found in review
    # ------------------------------------------------------------

    def test_no_surcharge_when_the_invoice_address_is_in_a_banned_state(self):
        connecticut, texas = self.env.ref("base.state_us_7"), self.env.ref("base.state_us_44")
        self.company.invoice_pay_surcharge_banned_state_ids = connecticut
        self.customer.state_id = texas
        self.contact.write({"type": "invoice", "state_id": connecticut.id, "country_id": self.env.ref("base.us").id})
        self.assertEqual(self.invoice_mid.partner_id, self.contact)
        quote = self._quote(100, CREDIT_CARD, invoice=self.invoice_mid)
        self.assertEqual(quote["fee"], 0.0)
        self.assertFalse(quote["fee_disclosure"], "a customer who is never surcharged is not told otherwise")

    def test_card_schemes_and_card_wallets_are_cards(self):
        Method = self.env["payment.method"].with_context(active_test=False)
        for xmlid in ("payment.payment_method_bancontact", "payment.payment_method_mada",
                      "payment.payment_method_samsung_pay", "payment.payment_method_napas_card"):
            method = self.env.ref(xmlid)
            with self.subTest(method=method.name):
                self.assertTrue(Method.browse(method.id)._invoice_pay_is_card())
                with self.assertRaisesRegex(ValidationError, "methods other than cards"):
                    self.env["invoice.pay.fee.rule"].create({
                        "name": "Wallet fee", "fee_kind": "service", "percentage": 4.0,
                        "payment_method_ids": [Command.set(method.ids)],
                    })

    def test_disclosure_in_the_payment_currency(self):
        euro = self.setup_other_currency("EUR", rates=[("1900-01-01", 2.0)])
        self.demo_provider.available_currency_ids = False
        invoice = self._customer_invoice(100.0, currency=euro)
        self.surcharge.write({"fee_kind": "flat", "percentage": 0.0, "fixed_amount": 2.5})
        quote = self._quote(100, CREDIT_CARD, invoice=invoice)
        self.assertEqual(quote["fee"], 5.0)
        self.assertIn(euro.format(5.0), quote["fee_disclosure"])

    def test_an_archived_rule_over_the_cap_cannot_come_back(self):
        self.company.invoice_pay_surcharge_cap = 4.0
        self.surcharge.percentage = 3.5
        self.surcharge.active = False
        self.company.invoice_pay_surcharge_cap = 3.0
        with self.assertRaisesRegex(ValidationError, "above the company's cap"):
            self.surcharge.active = True
