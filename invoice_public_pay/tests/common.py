import base64
import io
import re

from odoo import fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

PAY_URL_PATTERN = re.compile(r"/invoice-pay/([A-Za-z0-9_-]+)")


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
    def _decode_qr_codes(image_data):
        """Texts of the QR codes in an image given as bytes or a base64 data URI."""
        # Imported here: only the tests need a QR decoder.
        import zxingcpp  # noqa: PLC0415 pylint: disable=import-outside-toplevel
        from PIL import Image  # noqa: PLC0415 pylint: disable=import-outside-toplevel

        if isinstance(image_data, str) and image_data.startswith("data:"):
            image_data = base64.b64decode(image_data.split(",", 1)[1])
        return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image_data)))]
