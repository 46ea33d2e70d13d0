from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestInvoiceQuestion(InvoicePayPaymentCommon, HttpCase):
    """"Question about this invoice": a message on the invoice, an activity for its salesperson."""

    def _ask(self, invoice, message):
        return self._rpc(f"{self.base_path}/question", {"invoice_id": invoice.id, "message": message})

    def test_a_question_reaches_the_salesperson(self):
        self.invoice_mid.invoice_user_id = self.invoicing_user
        result, error = self._ask(self.invoice_mid, "Why is <b>line 2</b> billed twice?")
        self.assertFalse(error)
        message = self.invoice_mid.message_ids.filtered(lambda message: "billed twice" in str(message.body))
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.customer)
        self.assertEqual(message.message_type, "comment")
        self.assertIn("&lt;b&gt;line 2&lt;/b&gt;", str(message.body), "plain text, never HTML")
        activity = self.invoice_mid.activity_ids
        self.assertEqual(activity.user_id, self.invoicing_user)
        self.assertIn("billed twice", str(activity.note))
        event = self._events(event="question")
        self.assertEqual((event.invoice_id, event.note), (self.invoice_mid, self.invoice_mid.name))
        page = self.url_open(f"{self.base_path}/invoices").text
        self.assertEqual(page.count("o_invoice_pay_question_sent d-none"), 2, "the other two rows ask nothing yet")
        self.assertIn(result["sent_on"], page)

    def test_the_customer_salesperson_answers_otherwise(self):
        self.invoice_old.invoice_user_id = False
        self.customer.user_id = self.manager_user
        _result, error = self._ask(self.invoice_old, "Is this the March delivery?")
        self.assertFalse(error)
        self.assertEqual(self.invoice_old.activity_ids.user_id, self.manager_user)

    def test_refusals(self):
        other_invoice = self._customer_invoice(10.0, partner=self.other_customer)
        cases = [
            (other_invoice, "Hello", "cannot be found"),
            (self.invoice_old, "   ", "Please write your question"),
            (self.invoice_old, "x" * 1001, "keep it to 1000 characters"),
        ]
        for invoice, text, expected in cases:
            with self.subTest(expected=expected), mute_logger("odoo.http"):
                result, error = self._ask(invoice, text)
                self.assertIsNone(result)
                self.assertIn(expected, error)
        # JSON true is not an invoice id (Python's bool is an int).
        with mute_logger("odoo.http"):
            result, error = self._rpc(f"{self.base_path}/question", {"invoice_id": True, "message": "Hello"})
        self.assertIn("cannot be found", error)
        self.assertFalse((self.invoice_old | other_invoice).activity_ids)
        self.assertFalse(self._events(event="question"))

    def test_questions_are_rate_limited_per_link(self):
        for _index in range(10):
            _result, error = self._ask(self.invoice_new, "Any news?")
            self.assertFalse(error)
        with mute_logger("odoo.http"):
            response = self.opener.post(
                self.base_url() + f"{self.base_path}/question",
                json={"jsonrpc": "2.0", "method": "call", "id": 1,
                      "params": {"invoice_id": self.invoice_new.id, "message": "Any news?"}},
                timeout=30,
            )
        self.assertEqual(response.status_code, 429)
        self.assertEqual(len(self._events(event="question")), 10)
