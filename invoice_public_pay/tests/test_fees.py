from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from .common import CREDIT_CARD, InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestConvenienceFees(InvoicePayPaymentCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card_rule = cls._enable_card_surcharge(min_fee=0.5)

    def _quote(self, allocations, method=None, provider=None, card=CREDIT_CARD):
        params = {"allocations": allocations, "card_reference": card}
        if method:
            params["payment_method_id"] = method.id
            params["provider_id"] = (provider or self.demo_provider).id
        result, error = self._rpc(f"{self.base_path}/quote", params)
        self.assertIsNone(error)
        return result

    def _pay_by_card(self, allocations, **overrides):
        quote = self._quote(allocations, self.card)
        return self._pay(
            allocations, payment_method_id=self.card.id, fee_signature=quote["fee_signature"],
            card_reference=CREDIT_CARD, **overrides,
        )

    def test_card_rule_adds_the_fee_and_other_methods_none(self):
        allocations = [self._alloc(self.invoice_old, 400)]
        quote = self._quote(allocations, self.card)
        self.assertEqual((quote["amount_invoices"], quote["fee"], quote["amount_total"]), (400.0, 12.0, 412.0))
        self.assertEqual(quote["fee_label"], "Credit card surcharge")
        self.assertIn("3 %", quote["fee_disclosure"])
        self.assertIn("credit cards", quote["fee_disclosure"])
        self.assertEqual(self._quote(allocations, self.demo_method)["fee"], 0.0, "the demo method has no rule")
        self.assertEqual(self._quote(allocations)["fee"], 0.0, "no method chosen yet")
        transaction = self._pay_by_card(allocations)
        self.assertEqual(transaction.amount, 412.0, "the provider charges exactly the total shown")
        self.assertEqual(transaction.invoice_pay_fee, 12.0)
        demo_transaction = self._pay([self._alloc(self.invoice_mid, 100)])
        self.assertEqual(demo_transaction.amount, 100.0)

    def test_minimum_and_maximum(self):
        self.card_rule.percentage = 1.0
        self.assertEqual(self._quote([self._alloc(self.invoice_old, 20)], self.card)["fee"], 0.5)
        self.assertEqual(
            self._quote([self._alloc(self.invoice_old, 10)], self.card)["fee"], 0.3, "never above 3 % of 10.00",
        )
        self.card_rule.write({"percentage": 3.0, "max_fee": 20.0})
        self.assertEqual(self._quote([self._alloc(self.invoice_new, 1000)], self.card)["fee"], 20.0)
        self.card_rule.write({"percentage": 0.0, "fixed_amount": 1.25, "min_fee": 0.0, "max_fee": 0.0})
        self.assertEqual(self._quote([self._alloc(self.invoice_new, 1000)], self.card)["fee"], 1.25)

    def test_provider_specific_rule_overrides_the_general_one(self):
        self.env["invoice.pay.fee.rule"].create({
            "name": "Demo card fee",
            "payment_method_ids": [Command.set(self.card.ids)],
            "provider_ids": [Command.set(self.demo_provider.ids)],
            "fee_kind": "surcharge",
            "percentage": 1.0,
        })
        self.assertEqual(self._quote([self._alloc(self.invoice_old, 400)], self.card)["fee"], 4.0)

    def test_card_brands_match_their_card_rule(self):
        visa = self.env["payment.method"].with_context(active_test=False).search(
            [("primary_payment_method_id", "=", self.card.id)], limit=1
        )
        self.assertTrue(visa, "Odoo ships card brands under Card")
        rule = self.env["invoice.pay.fee.rule"]._find_rule(self.env.company, self.demo_provider, visa)
        self.assertEqual(rule, self.card_rule)

    def test_overlapping_rules_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "both apply"):
            self.env["invoice.pay.fee.rule"].create({
                "name": "Second card fee", "payment_method_ids": [Command.set(self.card.ids)], "percentage": 2.0,
            })
        specific = {
            "name": "Demo card fee", "payment_method_ids": [Command.set(self.card.ids)],
            "provider_ids": [Command.set(self.demo_provider.ids)], "percentage": 1.0,
        }
        self.env["invoice.pay.fee.rule"].create(specific)
        with self.assertRaisesRegex(ValidationError, "both apply"):
            self.env["invoice.pay.fee.rule"].create({**specific, "name": "Another demo card fee"})
        # An archived rule does not count.
        self.env["invoice.pay.fee.rule"].create({
            "name": "Old card fee", "payment_method_ids": [Command.set(self.card.ids)], "active": False,
        })

    def test_fixed_part_is_converted_for_other_currencies(self):
        euro = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self.demo_provider.available_currency_ids = False
        euro_invoice = self._customer_invoice(100.0, currency=euro)
        self.card_rule.write({"percentage": 0.0, "fixed_amount": 1.5, "min_fee": 0.0})
        quote = self._quote([self._alloc(euro_invoice, 100)], self.card)
        self.assertEqual(quote["currency"]["name"], "EUR")
        self.assertEqual(quote["fee"], 3.0, "1.50 in company currency is 3.00 EUR at rate 2")

    def test_journal_entry_splits_receivable_and_fee_income(self):
        transaction = self._pay_by_card([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "100.00")])
        move = transaction.payment_id.move_id
        receivable = move.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        fee_lines = move.line_ids.filtered(lambda line: line.account_id == self.card_rule.account_id)
        self.assertAlmostEqual(sum(receivable.mapped("credit")), 500.0, msg="invoices get exactly their amounts")
        self.assertAlmostEqual(sum(fee_lines.mapped("credit")), 15.0, msg="3 % of 500 as income")
        self.assertEqual(self.card_rule.account_id.account_type, "income_other")
        self.assertEqual(self.card_rule.account_id.name, "Convenience fees")
        self.assertAlmostEqual(move.amount_total, 515.0)
        self.assertAlmostEqual(self.invoice_old.amount_residual, 0.0)
        self.assertAlmostEqual(self.invoice_mid.amount_residual, 150.5)
        self.assertEqual(transaction.invoice_pay_unapplied_amount, 0.0)

    def test_fee_with_tax(self):
        tax = self.env["account.tax"].create({"name": "Fee VAT 20%", "amount": 20.0, "type_tax_use": "sale"})
        tax.invoice_repartition_line_ids.filtered(lambda line: line.repartition_type == "tax").account_id = (
            self.company_data["default_account_tax_sale"]
        )
        self.card_rule.tax_ids = tax
        transaction = self._pay_by_card([self._alloc(self.invoice_old, 400)])
        self.assertEqual(transaction.amount, 412.0, "the fee the customer pays includes the tax")
        move = transaction.payment_id.move_id
        income = move.line_ids.filtered(lambda line: line.account_id == self.card_rule.account_id)
        tax_line = move.line_ids.filtered("tax_repartition_line_id")
        self.assertAlmostEqual(income.credit, 10.0)
        self.assertAlmostEqual(tax_line.credit, 2.0)
        self.assertEqual(tax_line.tax_line_id, tax)
        self.assertEqual(tax_line.account_id, self.company_data["default_account_tax_sale"])

    def test_forged_fee_or_total_is_ignored(self):
        allocations = [self._alloc(self.invoice_old, 400)]
        quote = self._quote(allocations, self.card)
        transaction = self._pay(
            allocations, payment_method_id=self.card.id, fee_signature=quote["fee_signature"], amount=400.0,
            card_reference=CREDIT_CARD,
        )
        self.assertEqual(transaction.amount, 412.0)
        # A signature for another fee does not pass.
        other_quote = self._quote([self._alloc(self.invoice_mid, 100)], self.card)
        _result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(
            [self._alloc(self.invoice_mid, 250.5)], payment_method_id=self.card.id,
            fee_signature=other_quote["fee_signature"], card_reference=CREDIT_CARD,
        ))
        self.assertIn("The fee changed, please review", error)

    def test_rule_changed_after_the_quote_is_refused(self):
        allocations = [self._alloc(self.invoice_old, 400)]
        quote = self._quote(allocations, self.card)
        self.card_rule.percentage = 2.5
        before = self.env["payment.transaction"].sudo().search_count([])
        result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(
            allocations, payment_method_id=self.card.id, fee_signature=quote["fee_signature"],
            card_reference=CREDIT_CARD,
        ))
        self.assertIsNone(result)
        self.assertIn("The fee changed, please review", error)
        self.assertIn("10.00", error, "the new fee is shown")
        self.assertEqual(self.env["payment.transaction"].sudo().search_count([]), before)
        # Without any quote, a method with a fee cannot be charged either.
        _result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(
            allocations, payment_method_id=self.card.id, card_reference=CREDIT_CARD,
        ))
        self.assertIn("The fee changed, please review", error)

    def _refund(self, transaction, amount):
        refund = transaction._refund(amount_to_refund=amount)
        refund._post_process()
        return refund.payment_id.move_id

    def test_full_refund_reverses_the_whole_fee(self):
        transaction = self._pay_by_card([self._alloc(self.invoice_old, 400)])
        move = self._refund(transaction, 412.0)
        fee_lines = move.line_ids.filtered(lambda line: line.account_id == self.card_rule.account_id)
        receivable = move.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        self.assertAlmostEqual(sum(fee_lines.mapped("debit")), 12.0)
        self.assertAlmostEqual(sum(receivable.mapped("debit")), 400.0)

    def test_partial_refunds_reverse_the_fee_in_proportion(self):
        transaction = self._pay_by_card([self._alloc(self.invoice_new, 1000)])
        self.assertEqual(transaction.amount, 1030.0)
        first = self._refund(transaction, 515.0)
        fee_first = first.line_ids.filtered(lambda line: line.account_id == self.card_rule.account_id)
        self.assertAlmostEqual(sum(fee_first.mapped("debit")), 15.0, msg="half the amount, half the fee")
        second = self._refund(transaction, 515.0)
        fee_second = second.line_ids.filtered(lambda line: line.account_id == self.card_rule.account_id)
        self.assertAlmostEqual(sum(fee_second.mapped("debit")), 15.0, msg="the rest of the fee, no more")

    def test_receipt_email_and_note_show_the_fee(self):
        transaction = self._pay_by_card([self._alloc(self.invoice_old, 400)])
        receipt = self.url_open(f"{self.base_path}/receipt/{transaction.id}").text
        self.assertIn("Credit card surcharge", receipt)
        self.assertIn("12.00", receipt)
        mail = self.env["mail.mail"].sudo().search([("model", "=", "payment.transaction"), ("res_id", "=", transaction.id)])
        self.assertIn("Credit card surcharge", mail.body_html)
        note = self.customer.message_ids.filtered(lambda m: transaction.reference in (m.body or ""))
        self.assertIn("Credit card surcharge", note.body)
