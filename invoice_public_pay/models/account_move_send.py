from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _get_default_mail_body(self, move, mail_template, mail_lang):
        # EXTENDS account: the invoice email carries the pay button where the printout
        # does; the sender sees it in the composer and may remove it.
        body = super()._get_default_mail_body(move, mail_template, mail_lang)
        return move._invoice_pay_add_mail_button(body, lang=mail_lang)
