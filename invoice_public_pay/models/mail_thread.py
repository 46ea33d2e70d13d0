from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        # EXTENDS mail: a pay link email that bounces failed, in the link's history too.
        result = super()._routing_handle_bounce(email_message, message_dict)
        if message_dict.get("bounced_message"):
            self.env["invoice.pay.link.mail"]._record_bounce(message_dict["bounced_message"], email_message)
        return result
