from lxml import html

from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


def _text(element, css_class):
    """The whitespace-normalised text of the elements with ``css_class`` under ``element``."""
    found = element.xpath(f"descendant-or-self::*[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]")
    return " ".join(" ".join(node.text_content() for node in found).split())


@tagged("post_install", "-at_install")
class TestPayPageResults(InvoicePayPaymentCommon, HttpCase):
    """After paying: the dialog lists the invoices paid and where the receipt goes; past payments stay listed."""

    def _page(self, transaction=None):
        url = f"{self.base_path}/invoices" + (f"?tx={transaction.id}" if transaction else "")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return html.fromstring(response.content)

    def test_success_dialog_lists_invoices_and_receipt_email(self):
        transaction = self._pay([self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "100.25")])
        page = self._page(transaction)
        self.assertIn("Payment successful", _text(page, "o_invoice_pay_result"))
        invoices = _text(page, "o_invoice_pay_result_invoices")
        currency = self.env.company.currency_id
        for invoice, amount in ((self.invoice_old, 400.0), (self.invoice_mid, 100.25)):
            self.assertIn(f"{invoice.name} {' '.join(currency.format(amount).split())}", invoices)
        self.assertEqual(
            _text(page, "o_invoice_pay_result_email"), "Your receipt is emailed to accounts@harborlight.example.com.",
        )
        made = _text(page, "o_invoice_pay_payments_made")
        self.assertIn(transaction.reference, made)
        receipt_links = page.xpath("//a[contains(@class, 'o_invoice_pay_payment_receipt')]/@href")
        self.assertEqual(receipt_links, [f"{self.base_path}/receipt/{transaction.id}"])
        self.assertEqual(self.url_open(receipt_links[0]).status_code, 200)

    def test_customer_facing_references_are_plain(self):
        one = self._pay([self._alloc(self.invoice_old, 100)])
        several = self._pay([
            self._alloc(self.invoice_old, 100), self._alloc(self.invoice_mid, 50), self._alloc(self.invoice_new, 25),
        ])
        self.assertTrue(one.reference.startswith(self.invoice_old.name), one.reference)
        for reference in (one.reference, several.reference):
            self.assertNotIn("+", reference, "no invoice number with a count of others")
        self.assertNotIn(self.invoice_old.name, several.reference, "one payment for several invoices names none")
        made = _text(self._page(), "o_invoice_pay_payments_made")
        self.assertIn(f"3 invoices {several.reference}", made)
        self.assertIn(f"{self.invoice_old.name} {one.reference}", made)
        result = _text(self._page(several), "o_invoice_pay_result")
        self.assertIn("Paid for 3 invoices", result)
        self.assertIn(f"Reference {several.reference}", result)
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_confirmation")
        self.assertEqual(
            template._render_field("subject", several.ids)[several.id],
            f"{self.env.company.name}: payment received for 3 invoices",
        )

    def test_a_payment_not_booked_yet_shows_as_processing(self):
        transaction = self._start_payment([self._alloc(self.invoice_old, 400)])
        self._rpc("/payment/demo/simulate_payment", {
            "reference": transaction.reference, "payment_details": "4242", "simulated_state": "done",
        })
        transaction.invalidate_recordset()
        self.assertEqual((transaction.state, transaction.is_post_processed), ("done", False))
        page = self._page(transaction)
        result = _text(page, "o_invoice_pay_result")
        self.assertIn("Payment processing", result)
        self.assertNotIn("Payment successful", result)
        self.assertFalse(page.xpath("//a[contains(@class, 'o_invoice_pay_print_receipt')]"), "no receipt before booking")
        self.assertIn("Processing", _text(page, "o_invoice_pay_payments_made"))
        self.assertFalse(page.xpath("//a[contains(@class, 'o_invoice_pay_payment_receipt')]"))

    def test_payments_made_stay_when_nothing_is_due(self):
        transaction = self._pay([
            self._alloc(self.invoice_old, 400), self._alloc(self.invoice_mid, "250.50"),
            self._alloc(self.invoice_new, 1000),
        ])
        page = self._page()
        self.assertIn("Nothing to pay", _text(page, "o_invoice_pay_nothing_due"))
        self.assertIn(transaction.reference, _text(page, "o_invoice_pay_payments_made"))

    def test_one_logo_and_no_sign_in(self):
        self.env.company.logo = self.env["res.company"].browse(1).logo or b"iVBORw0KGgo="
        for path in (self.base_path, f"{self.base_path}/invoices"):
            with self.subTest(path=path):
                page = self._page() if path.endswith("invoices") else html.fromstring(self.url_open(path).content)
                self.assertFalse(page.xpath("//a[contains(@href, '/web/login')]"), "no sign-in to an account")
                logos = page.xpath("//img[contains(@src, 'company_logo') or contains(@src, '/logo')]")
                self.assertEqual(len(logos), 1, "the business's logo once")

    def test_regenerating_warns_about_printed_links(self):
        arch = self.env["res.partner"].with_user(self.manager_user).get_view(view_type="form")["arch"]
        button = html.fromstring(arch).xpath("//button[@name='action_invoice_pay_regenerate']")[0]
        self.assertIn("on invoices already sent and in their QR codes", button.get("confirm"))

    def test_failed_and_other_customers_payments_are_not_listed(self):
        failed = self._pay([self._alloc(self.invoice_old, 400)], state="error")
        self.assertEqual(failed.state, "error")
        other_invoice = self._customer_invoice(80.0, partner=self.other_customer)
        other_token = self._token_of(self.other_customer._invoice_pay_ensure_url())
        result, error = self._rpc(f"/invoice-pay/{other_token}/transaction", self._transaction_params(
            [self._alloc(other_invoice, 80)],
        ))
        self.assertFalse(error)
        self._rpc("/payment/demo/simulate_payment", {
            "reference": result["reference"], "payment_details": "4242", "simulated_state": "done",
        })
        page = self._page()
        self.assertFalse(page.xpath("//*[contains(@class, 'o_invoice_pay_payments_made')]"))


@tagged("post_install", "-at_install")
class TestProcessingPayments(InvoicePayPaymentCommon, HttpCase):
    """A payment still processing shows on its invoices and is not offered again."""

    def test_processing_share_is_shown_and_left_out(self):
        pending = self._pay([self._alloc(self.invoice_old, 100), self._alloc(self.invoice_mid, "250.50")], state="pending")
        self.assertEqual(pending.state, "pending")
        page = html.fromstring(self.url_open(f"{self.base_path}/invoices").content)
        currency = self.env.company.currency_id
        rows = {int(row.get("data-invoice-id")): row for row in page.xpath("//li[contains(@class, 'o_invoice_pay_row')]")}
        old_row, mid_row, new_row = rows[self.invoice_old.id], rows[self.invoice_mid.id], rows[self.invoice_new.id]
        self.assertEqual(_text(old_row, "o_invoice_pay_processing"),
                         " ".join(f"Payment processing: {currency.format(100.0)}".split()))
        self.assertEqual((float(old_row.get("data-amount-due")), float(old_row.get("data-amount-processing"))),
                         (300.0, 100.0), "what is payable now leaves the processing share out")
        self.assertIsNone(old_row.get("data-processing-full"))
        self.assertEqual(mid_row.get("data-processing-full"), "1")
        self.assertFalse(_text(new_row, "o_invoice_pay_processing"))
        group = page.xpath("//section[contains(@class, 'o_invoice_pay_group')]")[0]
        self.assertEqual(float(group.get("data-amount-due")), 1650.5, "the amount due stays the invoices'")
        self.assertEqual((float(group.get("data-payable-amount")), group.get("data-payable-count")), (1300.0, "2"))
        group_key = f"{self.env.company.id}-{currency.id}"
        quote, error = self._rpc(f"{self.base_path}/quote", {
            "allocations": [], "select_all": {"group": group_key, "except": []},
        })
        self.assertIsNone(error)
        self.assertEqual(quote["amount_total"], 1300.0)
        self.assertEqual({line["invoice_id"]: line["amount"] for line in quote["lines"]},
                         {self.invoice_old.id: 300.0, self.invoice_new.id: 1000.0})
        # Once the provider gives up, the invoices are offered in full again.
        pending._set_canceled()
        page = html.fromstring(self.url_open(f"{self.base_path}/invoices").content)
        self.assertFalse(_text(page, "o_invoice_pay_processing"))
        group = page.xpath("//section[contains(@class, 'o_invoice_pay_group')]")[0]
        self.assertEqual(float(group.get("data-payable-amount")), 1650.5)

    def test_a_processing_share_cannot_be_paid_again(self):
        """A pending payment (a bank transfer waits for days) holds its share on the server too."""
        self._pay([self._alloc(self.invoice_old, 100)], state="pending")
        for route in ("quote", "payment-form", "transaction"):
            with self.subTest(route=route):
                params = {"allocations": [self._alloc(self.invoice_old, "300.01")]}
                if route == "transaction":
                    params = self._transaction_params(params["allocations"])
                result, error = self._rpc(f"{self.base_path}/{route}", params)
                self.assertIsNone(result)
                currency = self.env.company.currency_id
                self.assertEqual(error, (
                    f"The amount for invoice {self.invoice_old.name} is more than what is left to pay "
                    f"({currency.format(300.0)}): a payment of {currency.format(100.0)} for it is being processed."
                ))
        self.assertEqual(self.env["payment.transaction"].sudo().search_count([
            ("invoice_pay_link_id.partner_id", "=", self.customer.id),
        ]), 1, "nothing was written")
        # What is left can be paid, and then nothing more.
        paid = self._pay([self._alloc(self.invoice_old, 300)])
        self.assertEqual(paid.state, "done")
        _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": [self._alloc(self.invoice_old, 1)]})
        self.assertIn("is being processed", error)

    def test_paying_again_what_a_processing_payment_covers_once_confirmed(self):
        """The page asks "Pay this invoice again?"; once the customer says so, the server takes it."""
        self._pay([self._alloc(self.invoice_old, 400)], state="pending")
        allocations = [self._alloc(self.invoice_old, 400)]
        _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": allocations})
        self.assertIn("is being processed", error, "not without the customer's confirmation")
        for route in ("quote", "payment-form"):
            with self.subTest(route=route):
                result, error = self._rpc(f"{self.base_path}/{route}", {
                    "allocations": allocations, "pay_again": [self.invoice_old.id],
                })
                self.assertIsNone(error)
                self.assertEqual(result["amount_total"], 400.0)
        _result, error = self._rpc(f"{self.base_path}/quote", {
            "allocations": [self._alloc(self.invoice_old, "400.01")], "pay_again": [self.invoice_old.id],
        })
        self.assertIn("more than its amount due", error, "never beyond the invoice's own amount due")
        for bad in ("all", [str(self.invoice_old.id)], [True], {"id": 1}):
            with self.subTest(pay_again=bad):
                _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": allocations, "pay_again": bad})
                self.assertEqual(error, "The payment request could not be read. Please reload the page and try again.")
        paid = self._pay(allocations, pay_again=[self.invoice_old.id])
        self.assertEqual(paid.state, "done")
        self.assertAlmostEqual(self.invoice_old.amount_residual, 0.0)

    def test_spread_leaves_out_what_processing_payments_hold(self):
        self._pay([self._alloc(self.invoice_old, 400)], state="pending")
        group_key = f"{self.env.company.id}-{self.env.company.currency_id.id}"
        result, error = self._rpc(f"{self.base_path}/spread", {"amount": "300", "group": group_key})
        self.assertIsNone(error)
        self.assertEqual(result["allocations"], [{"invoice_id": self.invoice_mid.id, "amount": "250.50"},
                                                 {"invoice_id": self.invoice_new.id, "amount": "49.50"}])

    def test_status_page_of_a_pending_payment_leads_back_to_the_pay_page(self):
        transaction = self._start_payment([self._alloc(self.invoice_old, 100)])
        self._rpc("/payment/demo/simulate_payment", {
            "reference": transaction.reference, "payment_details": "4242", "simulated_state": "pending",
        })
        response = self.url_open("/payment/status")
        self.assertEqual(response.status_code, 200)
        page = html.fromstring(response.content)
        self.assertIn(transaction.reference, page.text_content())
        self.assertFalse(page.xpath("//main//a[@href='/my/home']"), "no way to an account the customer does not have")
        back = page.xpath("//*[contains(@class, 'o_invoice_pay_status_back')]//a/@href")
        self.assertEqual(back, [f"{self.base_path}/invoices?tx={transaction.id}"])


@tagged("post_install", "-at_install")
class TestFeeBadges(InvoicePayPaymentCommon, HttpCase):
    """Each payment method says its fee before the customer chooses it."""

    def test_each_method_shows_its_fee(self):
        self._enable_card_surcharge()
        self.env["invoice.pay.fee.rule"].create({
            "name": "Handling", "fee_kind": "flat", "fixed_amount": 2.95,
            "payment_method_ids": [(6, 0, self.demo_method.ids)],
        })
        result, error = self._rpc(f"{self.base_path}/payment-form", {"allocations": [self._alloc(self.invoice_old, 400)]})
        self.assertIsNone(error)
        currency = self.env.company.currency_id
        self.assertEqual(result["fee_badges"], {
            f"{self.demo_provider.id}-{self.card.id}": "+3 % on credit cards, no fee on debit",
            f"{self.demo_provider.id}-{self.demo_method.id}": f"+{currency.format(2.95)}",
        })
        # A customer of a state where surcharges are banned: no surcharge, said so.
        self.env.company.invoice_pay_surcharge_banned_state_ids = self.env.ref("base.state_us_5")
        self.customer.state_id = self.env.ref("base.state_us_5")
        result, _error = self._rpc(f"{self.base_path}/payment-form", {"allocations": [self._alloc(self.invoice_old, 400)]})
        self.assertEqual(result["fee_badges"][f"{self.demo_provider.id}-{self.card.id}"], "No fee")
