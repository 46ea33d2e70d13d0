from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    invoice_pay_show_on_invoice = fields.Boolean(
        related="company_id.invoice_pay_show_on_invoice", readonly=False,
    )
    invoice_pay_receipt_report_id = fields.Many2one(
        related="company_id.invoice_pay_receipt_report_id", readonly=False,
    )
    invoice_pay_surcharge_cap = fields.Float(related="company_id.invoice_pay_surcharge_cap", readonly=False)
    invoice_pay_surcharge_banned_state_ids = fields.Many2many(
        related="company_id.invoice_pay_surcharge_banned_state_ids", readonly=False,
    )
    invoice_pay_surcharge_eea_uk_cards = fields.Boolean(
        related="company_id.invoice_pay_surcharge_eea_uk_cards", readonly=False,
    )
    invoice_pay_allow_credits = fields.Boolean(related="company_id.invoice_pay_allow_credits", readonly=False)
    invoice_pay_transfer_expiry_days = fields.Integer(
        related="company_id.invoice_pay_transfer_expiry_days", readonly=False,
    )
