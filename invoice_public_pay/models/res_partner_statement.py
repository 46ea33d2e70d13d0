from odoo import _, fields, models

from .res_partner import INVOICING_GROUP

READ_GROUPS = f"{INVOICING_GROUP},account.group_account_readonly"
#: The figures of invoice.pay.link.report shown on the customer, and how each is aggregated.
RESULT_AGGREGATES = {
    "invoice_pay_result_sent": "sent_count:sum",
    "invoice_pay_result_opened": "opened_count:sum",
    "invoice_pay_result_paid": "paid_count:sum",
    "invoice_pay_result_collected": "amount_collected:sum",
    "invoice_pay_result_days_to_pay": "days_to_first_payment:median",
    "invoice_pay_result_partial_share": "partial_payment_share:share",
}


class ResPartner(models.Model):
    """The customer statement (printed from the customer) and what the pay link collected from it."""

    _inherit = "res.partner"

    invoice_pay_result_sent = fields.Integer(
        string="Link Sent", compute="_compute_invoice_pay_results", groups=READ_GROUPS,
    )
    invoice_pay_result_opened = fields.Boolean(
        string="Opened Within 60 Days", compute="_compute_invoice_pay_results", groups=READ_GROUPS,
    )
    invoice_pay_result_paid = fields.Boolean(
        string="Paid Within 60 Days", compute="_compute_invoice_pay_results", groups=READ_GROUPS,
    )
    invoice_pay_result_collected = fields.Monetary(
        string="Collected Within 60 Days", compute="_compute_invoice_pay_results", groups=READ_GROUPS,
        currency_field="invoice_pay_result_currency_id",
        help="Paid through the pay page within 60 days of the first time the link was sent, fees apart.",
    )
    invoice_pay_result_currency_id = fields.Many2one(
        "res.currency", compute="_compute_invoice_pay_results", groups=READ_GROUPS,
    )
    invoice_pay_result_days_to_pay = fields.Float(
        string="Days to First Payment", digits=(16, 1), compute="_compute_invoice_pay_results", groups=READ_GROUPS,
    )
    invoice_pay_result_partial_share = fields.Float(
        string="Partial Payments (%)", digits=(16, 1), compute="_compute_invoice_pay_results", groups=READ_GROUPS,
    )

    def _compute_invoice_pay_results(self):
        """The pay link results of each customer in the current company, in one query."""
        company = self.env.company
        groups = self.env["invoice.pay.link.report"].sudo()._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", company.id)],
            ["partner_id"], list(RESULT_AGGREGATES.values()),
        )
        results = {partner: dict(zip(RESULT_AGGREGATES, values, strict=True)) for partner, *values in groups}
        for partner in self:
            values = results.get(partner.commercial_partner_id, {})
            partner.invoice_pay_result_currency_id = company.currency_id
            for field_name in RESULT_AGGREGATES:
                partner[field_name] = values.get(field_name) or 0

    def action_invoice_pay_print_statement(self):
        """The customer statement: open items aged as of today, the last 90 days of activity."""
        self.ensure_one()
        self._invoice_pay_check_group(INVOICING_GROUP)
        return self.env.ref("invoice_public_pay.action_report_invoice_pay_statement").report_action(
            self.commercial_partner_id, data={"company_ids": self.env.companies.ids}, config=False,
        )

    def action_invoice_pay_view_results(self):
        """The pay link results of this customer, by cohort."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("invoice_public_pay.action_invoice_pay_link_report")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["display_name"] = _("Pay Link Results: %s", self.commercial_partner_id.display_name)
        return action
