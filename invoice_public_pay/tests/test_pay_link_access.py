from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import InvoicePayCommon


@tagged("post_install", "-at_install")
class TestPayLinkAccess(InvoicePayCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.url = cls.customer._invoice_pay_ensure_url()

    def test_invoicing_user_copies_sends_and_reads_history(self):
        partner = self.customer.with_user(self.invoicing_user)
        self.assertEqual(partner.invoice_pay_url, self.url)
        partner.action_invoice_pay_copy_link()
        action = partner.action_invoice_pay_send()
        self.assertEqual(action["res_model"], "mail.compose.message")
        history = self.env["invoice.pay.link.activity"].with_user(self.invoicing_user).search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(history.mapped("event"), ["copied"])
        self.assertEqual(partner.invoice_pay_activity_count, 1)

    def test_invoicing_user_cannot_disable_enable_or_regenerate(self):
        partner = self.customer.with_user(self.invoicing_user)
        for method in ("action_invoice_pay_disable", "action_invoice_pay_enable", "action_invoice_pay_regenerate"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(partner, method)()
        self.assertEqual(self.customer._invoice_pay_ensure_url(), self.url)
        self.assertFalse(self._events())

    def test_invoicing_user_cannot_write_links_or_history(self):
        link = self._link().with_user(self.invoicing_user)
        with self.assertRaises(AccessError):
            link.write({"token": "stolen-token-" + "x" * 30})
        with self.assertRaises(AccessError):
            self.env["invoice.pay.link.activity"].with_user(self.invoicing_user).create(
                {"partner_id": self.customer.id, "event": "payment_made"}
            )

    def test_manager_disables_and_regenerates(self):
        partner = self.customer.with_user(self.manager_user)
        partner.action_invoice_pay_disable()
        partner.action_invoice_pay_enable()
        partner.action_invoice_pay_regenerate()
        self.assertEqual(
            sorted(self._events().mapped("event")), ["disabled", "enabled", "revoked"]
        )

    def test_readonly_user_reads_history_but_not_the_link(self):
        self.customer.with_user(self.invoicing_user).action_invoice_pay_copy_link()
        history = self.env["invoice.pay.link.activity"].with_user(self.readonly_user).search([])
        self.assertEqual(history.mapped("event"), ["copied"])
        with self.assertRaises(AccessError):
            self.customer.with_user(self.readonly_user).action_invoice_pay_copy_link()
        with self.assertRaises(AccessError):
            self.env["invoice.pay.link"].with_user(self.readonly_user).search([])

    def test_employee_without_invoicing_rights_is_denied(self):
        with self.assertRaises(AccessError):
            self.customer.with_user(self.sales_user).action_invoice_pay_copy_link()
        with self.assertRaises(AccessError):
            self.env["invoice.pay.link.activity"].with_user(self.sales_user).search([])
        with self.assertRaises(AccessError):
            self.customer.with_user(self.sales_user).read(["invoice_pay_url"])

    def test_portal_user_has_no_access_at_all(self):
        with self.assertRaises(AccessError):
            self.env["invoice.pay.link"].with_user(self.portal_user).search([])
        with self.assertRaises(AccessError):
            self.env["invoice.pay.link.activity"].with_user(self.portal_user).search([])
        with self.assertRaises(AccessError):
            self.contact.with_user(self.portal_user).read(["invoice_pay_url"])
        with self.assertRaises(AccessError):
            self.contact.with_user(self.portal_user).action_invoice_pay_copy_link()

    def test_history_is_limited_to_allowed_companies(self):
        other_company = self.setup_other_company()["company"]
        self.env["invoice.pay.link.activity"]._log_events(self.customer, "copied", company=other_company)
        self.env["invoice.pay.link.activity"]._log_events(self.customer, "sent")
        visible = self.env["invoice.pay.link.activity"].with_user(self.invoicing_user).search([])
        self.assertEqual(visible.mapped("event"), ["sent"])
