from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..pay_core.fees import DEFAULT_SURCHARGE_CAP, EEA_AND_UK, SurchargePolicy

RECEIPT_MODEL = "payment.transaction"
DEFAULT_RECEIPT_REPORT = "invoice_public_pay.action_report_invoice_pay_receipt"
#: Days a wire transfer chosen on the pay page holds its invoices before it is deemed not coming.
DEFAULT_TRANSFER_EXPIRY_DAYS = 10


class ResCompany(models.Model):
    _inherit = "res.company"

    invoice_pay_show_on_invoice = fields.Boolean(
        string="Show the pay link on invoices",
        default=False,
        help="Print a Pay online button and a QR code of the customer's public pay link on "
        "invoices with an amount due, and add the button to invoice emails, in place of Odoo's "
        "own per-invoice 'pay online' QR code. Off until an administrator switches it on; each "
        "customer can override this choice.",
    )
    invoice_pay_surcharge_cap = fields.Float(
        string="Surcharge cap (%)", digits=(16, 2), default=float(DEFAULT_SURCHARGE_CAP),
        help="The most a credit card surcharge may be, in percent of the amount paid, fixed part and "
        "minimum included (Visa: 3 % in the United States).",
    )
    invoice_pay_surcharge_banned_state_ids = fields.Many2many(
        "res.country.state", "invoice_pay_company_surcharge_banned_state_rel", "company_id", "state_id",
        string="States that forbid surcharges",
        help="No surcharge when the company's or the customer's invoice address is in one of these states.",
    )
    invoice_pay_surcharge_eea_uk_cards = fields.Boolean(
        string="No surcharge on EEA and UK cards", default=True,
        help="Surcharges on consumer cards issued in the European Economic Area or the United Kingdom "
        "are banned there (PSD2); cards whose issuing country is one of them pay none.",
    )
    invoice_pay_allow_credits = fields.Boolean(
        string="Customers apply their credits",
        default=False,
        help="On the public pay page, customers may apply their open credits (credit notes, payments "
        "not matched yet) to the invoices they choose. Off by default: credits may be disputed or "
        "set aside.",
    )
    invoice_pay_transfer_expiry_days = fields.Integer(
        string="Wire transfers expire after (days)", default=DEFAULT_TRANSFER_EXPIRY_DAYS,
        help="A wire transfer chosen on the pay page and not received after this many days no longer "
        "holds its invoices as being paid: the customer may pay them again, and the customer's chatter "
        "says so. It can still be marked as received afterwards. 0: transfers wait until they are "
        "received or cancelled.",
    )
    invoice_pay_receipt_report_id = fields.Many2one(
        "ir.actions.report",
        string="Pay page receipt layout",
        domain=[("model", "=", RECEIPT_MODEL)],
        default=lambda self: self.env.ref(DEFAULT_RECEIPT_REPORT, raise_if_not_found=False),
        ondelete="set null",
        help="The receipt layout the public pay page prints and the payment confirmation email "
        "attaches. Any QWeb report on payment transactions can be chosen.",
    )

    _invoice_pay_surcharge_cap_range = models.Constraint(
        "CHECK(invoice_pay_surcharge_cap >= 0 AND invoice_pay_surcharge_cap < 100)",
        "The surcharge cap must be between 0 and 100 %.",
    )
    _invoice_pay_transfer_expiry_days_positive = models.Constraint(
        "CHECK(invoice_pay_transfer_expiry_days >= 0)",
        "The number of days after which wire transfers expire cannot be negative.",
    )

    @api.constrains("invoice_pay_surcharge_cap", "country_id")
    def _check_invoice_pay_surcharge_rules(self):
        """Lowering the cap, or moving the company, must not leave an active surcharge rule it forbids.

        Archived rules are checked when they are brought back.
        """
        rules = self.env["invoice.pay.fee.rule"].sudo().search([
            ("company_id", "in", self.ids), ("fee_kind", "=", "surcharge"),
        ])
        rules._check_fee_kind()

    def _invoice_pay_in_eea_uk(self):
        """Whether the company is located in the EEA or the UK, where surcharges are banned."""
        self.ensure_one()
        return (self.country_id.code or "").upper() in EEA_AND_UK

    def _invoice_pay_surcharge_policy(self, customer, invoices=None):
        """The surcharge rules that apply to this company billing ``customer`` (for ``invoices``).

        The company's state, the customer's and the invoice address of each invoice count.
        """
        self.ensure_one()
        invoice_states = invoices.partner_id.state_id if invoices else self.env["res.country.state"]
        states = self.state_id | customer.commercial_partner_id.state_id | invoice_states
        return SurchargePolicy(
            cap_percentage=Decimal(repr(self.invoice_pay_surcharge_cap)),
            banned_by_state=bool(states & self.invoice_pay_surcharge_banned_state_ids),
            block_eea_uk_cards=self.invoice_pay_surcharge_eea_uk_cards,
            company_in_eea_uk=self._invoice_pay_in_eea_uk(),
        )

    @api.constrains("invoice_pay_receipt_report_id")
    def _check_invoice_pay_receipt_report(self):
        for company in self:
            report = company.invoice_pay_receipt_report_id
            if report and report.sudo().model != RECEIPT_MODEL:
                raise ValidationError(self.env._(
                    "The pay page receipt layout must be a report on payment transactions."
                ))

    @api.model
    def _invoice_pay_fill_receipt_report(self):
        """Give the full-page receipt to the companies that have no layout yet.

        Companies created before the addon was installed got no default: the
        report did not exist yet when the column was added.
        """
        report = self.env.ref(DEFAULT_RECEIPT_REPORT, raise_if_not_found=False)
        if report:
            self.sudo().with_context(active_test=False).search(
                [("invoice_pay_receipt_report_id", "=", False)]
            ).invoice_pay_receipt_report_id = report

    def _invoice_pay_get_receipt_report(self):
        """The receipt layout of the company (sudo): its setting, else the full-page receipt."""
        self.ensure_one()
        report = self.sudo().invoice_pay_receipt_report_id
        if report.model == RECEIPT_MODEL:
            return report
        return self.env.ref(DEFAULT_RECEIPT_REPORT).sudo()
