from odoo import api, fields, models
from odoo.exceptions import ValidationError

RECEIPT_MODEL = "payment.transaction"
DEFAULT_RECEIPT_REPORT = "invoice_public_pay.action_report_invoice_pay_receipt"


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
    invoice_pay_receipt_report_id = fields.Many2one(
        "ir.actions.report",
        string="Pay page receipt layout",
        domain=[("model", "=", RECEIPT_MODEL)],
        default=lambda self: self.env.ref(DEFAULT_RECEIPT_REPORT, raise_if_not_found=False),
        ondelete="set null",
        help="The receipt layout the public pay page prints and the payment confirmation email "
        "attaches. Any QWeb report on payment transactions can be chosen.",
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
