from odoo import models


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def action_view_invoice_pay_fee_rules(self):
        """Open the convenience fee rules that can apply to this provider."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("invoice_public_pay.action_invoice_pay_fee_rule")
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            "|", ("provider_ids", "=", False), ("provider_ids", "in", self.ids),
        ]
        action["context"] = {"default_provider_ids": self.ids, "default_company_id": self.company_id.id}
        return action
