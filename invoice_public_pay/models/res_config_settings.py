from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    invoice_pay_show_on_invoice = fields.Boolean(
        related="company_id.invoice_pay_show_on_invoice", readonly=False,
    )
    invoice_pay_receipt_report_id = fields.Many2one(
        related="company_id.invoice_pay_receipt_report_id", readonly=False,
    )
