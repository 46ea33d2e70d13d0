import base64
import io
import logging
import re
import time
from contextlib import ExitStack
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import MockEmail

PAY_URL_PATTERN = re.compile(r"/invoice-pay/([A-Za-z0-9_-]+)")
# The demo provider's test cards (Stripe's numbers): see payment_transaction.DEMO_TEST_CARDS.
CREDIT_CARD = "4242 4242 4242 4242"
DEBIT_CARD = "4000 0566 5566 5556"
PREPAID_CARD = "5105 1051 0510 5100"
FRENCH_CREDIT_CARD = "4000 0025 0000 0003"


class InvoicePayCommon(AccountTestInvoicingCommon):
    """A customer company with a contact, users of each role, invoice helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({
            "name": "Harbor Light Bistro",
            "is_company": True,
            "email": "accounts@harborlight.example.com",
        })
        cls.contact = cls.env["res.partner"].create({
            "name": "Maya Fontaine",
            "parent_id": cls.customer.id,
            "email": "maya@harborlight.example.com",
        })
        cls.other_customer = cls.env["res.partner"].create({
            "name": "Quayside Books",
            "is_company": True,
            "email": "billing@quaysidebooks.example.com",
        })
        company = cls.env.company
        cls.invoicing_user = new_test_user(
            cls.env, login="ipp_billing", name="Billing Clerk", email="billing@example.com",
            groups="base.group_user,account.group_account_invoice", company_id=company.id,
        )
        cls.manager_user = new_test_user(
            cls.env, login="ipp_manager", name="Finance Manager", email="manager@example.com",
            groups="base.group_user,account.group_account_manager,base.group_partner_manager",
            company_id=company.id,
        )
        cls.readonly_user = new_test_user(
            cls.env, login="ipp_auditor", name="Auditor", email="auditor@example.com",
            groups="base.group_user,account.group_account_readonly", company_id=company.id,
        )
        cls.sales_user = new_test_user(
            cls.env, login="ipp_employee", name="Plain Employee", email="employee@example.com",
            groups="base.group_user", company_id=company.id,
        )
        cls.portal_user = new_test_user(
            cls.env, login="ipp_portal", name="Maya Portal", email="maya.portal@example.com",
            groups="base.group_portal", partner_id=cls.contact.id,
        )

    @classmethod
    def _customer_invoice(cls, amount, partner=None, due_date=None, invoice_date=None, post=True,
                          move_type="out_invoice", currency=None, company=None):
        """A one-line customer invoice without taxes, so that its total is ``amount``."""
        invoice_date = invoice_date or fields.Date.today()
        values = {
            "partner_id": (partner or cls.customer).id,
            "invoice_date_due": due_date or invoice_date,
        }
        if currency:
            values["currency_id"] = currency.id
        if company:
            values["company_id"] = company.id
            values["journal_id"] = cls.env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
            ).id
        return cls._create_invoice_one_line(
            price_unit=amount, tax_ids=[], move_type=move_type, invoice_date=invoice_date,
            post=post, **values,
        )

    def _link(self, partner=None):
        return self.env["invoice.pay.link"].sudo().search(
            [("partner_id", "=", (partner or self.customer).commercial_partner_id.id)]
        )

    def _events(self, partner=None, event=None):
        domain = [("partner_id", "=", (partner or self.customer).commercial_partner_id.id)]
        if event:
            domain.append(("event", "=", event))
        return self.env["invoice.pay.link.activity"].sudo().search(domain)

    @staticmethod
    def _token_of(url):
        match = PAY_URL_PATTERN.search(url or "")
        return match and match.group(1)

    @staticmethod
    def _capture_request_log(send_requests, expected=1, timeout=5):
        """Records of Odoo's request log (``werkzeug``) while ``send_requests()`` runs.

        The server thread logs a request once it has answered it: wait for
        ``expected`` records.
        """
        records = []
        handler = logging.Handler(level=logging.INFO)
        handler.emit = records.append
        request_logger = logging.getLogger("werkzeug")
        request_logger.addHandler(handler)
        try:
            send_requests()
            deadline = time.monotonic() + timeout
            while len(records) < expected and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            request_logger.removeHandler(handler)
        return records

    @staticmethod
    def _decode_qr_codes(image_data):
        """Texts of the QR codes in an image given as bytes or a base64 data URI."""
        # Imported here: only the tests need a QR decoder.
        import zxingcpp  # noqa: PLC0415 pylint: disable=import-outside-toplevel
        from PIL import Image  # noqa: PLC0415 pylint: disable=import-outside-toplevel

        if isinstance(image_data, str) and image_data.startswith("data:"):
            image_data = base64.b64decode(image_data.split(",", 1)[1])
        return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image_data)))]


class InvoicePayMailCommon(InvoicePayCommon, MockEmail):
    """Pay link emails through Odoo's real mail queue, the SMTP connection mocked as in Odoo's mail tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # An alias domain gives the emails a bounce address (Return-Path), as in Odoo's mail tests.
        cls._init_mail_gateway()
        cls.env.company.alias_domain_id = cls.mail_alias_domain

    def _send_pay_link(self, user=None):
        """Send the customer's pay link email as *Send Pay Link* does; return its message.

        Outside ``mock_mail_gateway`` Odoo does not send in tests: the email stays in the queue.
        """
        user = user or self.invoicing_user
        action = self.customer.with_user(user).action_invoice_pay_send()
        composer = self.env["mail.compose.message"].with_user(user).with_context(**action["context"]).create({})
        composer.action_send_mail()
        return self.customer.message_ids[0]

    def _pay_link_mails(self, message):
        return self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])

    def _process_mail_queue(self, connection_error=None, send_error=None):
        """Run Odoo's mail queue; the SMTP server is unreachable (``connection_error``) or
        refuses the emails (``send_error``) when given."""
        with ExitStack() as stack:
            stack.enter_context(self.mock_mail_gateway(mail_unlink_sent=True))
            if connection_error:
                stack.enter_context(patch.object(self.connect_mocked, "side_effect", connection_error))
            if send_error:
                stack.enter_context(patch.object(self.testing_smtp_session, "send_message", side_effect=send_error))
            self.env["mail.mail"].sudo().process_email_queue()


class InvoicePayPaymentCommon(InvoicePayCommon):
    """Open invoices of the customer, its pay link, and Odoo's demo provider enabled.

    Subclasses also inherit from ``HttpCase`` to drive the public routes.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.invoice_old = cls._customer_invoice(
            400.0, invoice_date=today - relativedelta(days=60), due_date=today - relativedelta(days=30),
        )
        cls.invoice_mid = cls._customer_invoice(
            250.5, partner=cls.contact, invoice_date=today - relativedelta(days=20),
            due_date=today - relativedelta(days=5),
        )
        cls.invoice_new = cls._customer_invoice(1000.0, due_date=today + relativedelta(days=30))
        cls.pay_url = cls.customer._invoice_pay_ensure_url()
        cls.token = cls._token_of(cls.pay_url)
        cls.base_path = f"/invoice-pay/{cls.token}"
        cls.demo_provider = cls._enable_demo_provider(cls.env.company)
        cls.demo_method = cls.demo_provider.payment_method_ids.filtered("active")[:1]

    @classmethod
    def _enable_card_surcharge(cls, name="Card convenience fee", **values):
        """Offer Odoo's Card method with the demo provider, with a 3 % credit card surcharge."""
        cls.card = cls.env.ref("payment.payment_method_card")
        # Link first: Odoo only activates a method that an enabled provider supports.
        cls.demo_provider.payment_method_ids = [Command.link(cls.card.id)]
        cls.card.active = True
        return cls.env["invoice.pay.fee.rule"].create({
            "name": name,
            "payment_method_ids": [Command.set(cls.card.ids)],
            "fee_kind": "surcharge",
            "percentage": 3.0,
            **values,
        })

    @classmethod
    def _enable_demo_provider(cls, company):
        module = cls.env["ir.module.module"]._get("payment_demo")
        assert module.state == "installed", "The payment tests need Odoo's payment_demo module"
        provider = cls.env["payment.provider"].sudo().search(
            [("code", "=", "demo"), ("company_id", "=", company.id)], limit=1
        )
        provider.write({"state": "test", "is_published": True})
        return provider

    def _rpc(self, route, params):
        """Call a JSON-RPC route as the page does; return ``(result, error_message)``."""
        response = self.opener.post(
            self.base_url() + route,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=30,
        )
        response.raise_for_status()
        payload = response.json()
        if "error" in payload:
            return None, payload["error"]["data"]["message"]
        return payload.get("result"), None

    def _transaction_params(self, allocations, **overrides):
        return {
            "allocations": allocations,
            "provider_id": self.demo_provider.id,
            "payment_method_id": self.demo_method.id,
            "token_id": None,
            "amount": 1.0,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/shop",
            "is_validation": False,
            "access_token": False,
            "csrf_token": "ignored",
            **overrides,
        }

    def _start_payment(self, allocations, **overrides):
        """Create the transaction through the page's route; return it."""
        result, error = self._rpc(f"{self.base_path}/transaction", self._transaction_params(allocations, **overrides))
        self.assertFalse(error, error)
        return self.env["payment.transaction"].sudo().search([("reference", "=", result["reference"])])

    def _finish_payment(self, transaction, state="done"):
        """The customer completes the demo payment, then Odoo's status page post-processes it."""
        self._rpc("/payment/demo/simulate_payment", {
            "reference": transaction.reference, "payment_details": "4242", "simulated_state": state,
        })
        # The status page post-processes the transaction the session follows (the
        # last one created); Odoo's cron does the others, as here.
        self._rpc("/payment/status/poll", {})
        transaction.invalidate_recordset()
        if not transaction.is_post_processed:
            transaction._post_process()
        # The confirmation email (with the receipt) is sent by a cron.
        self.env["payment.transaction"]._cron_send_invoice_pay_confirmations()
        return transaction

    def _pay(self, allocations, state="done", **overrides):
        return self._finish_payment(self._start_payment(allocations, **overrides), state=state)

    @staticmethod
    def _alloc(invoice, amount):
        return {"invoice_id": invoice.id, "amount": amount}
