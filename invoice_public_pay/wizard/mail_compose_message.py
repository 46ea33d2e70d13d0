from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _action_send_mail(self, auto_commit=False):
        """Override of `mail` for the pay link email.

        It is logged as ``sent`` only once it really went out, not when the composer
        was opened (it may be discarded). Invoicing users may send the link (an
        accounting task) even without the right to edit contacts, which Odoo requires
        to post on a partner: once their right to send links and to see these
        customers is checked, the email is posted as superuser, still authored by them.
        """
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_link", raise_if_not_found=False)
        pay_link_wizards = self.filtered(
            lambda wizard: template and wizard.template_id == template and wizard.model == "res.partner"
        )
        result_mails_su, result_messages = super(
            MailComposeMessage, self - pay_link_wizards
        )._action_send_mail(auto_commit=auto_commit)
        for wizard in pay_link_wizards:
            partners = wizard._invoice_pay_check_recipients()
            mails_su, messages = super(MailComposeMessage, wizard.sudo())._action_send_mail(auto_commit=auto_commit)
            self.env["invoice.pay.link.activity"]._log_events(partners, "sent")
            result_mails_su |= mails_su
            result_messages |= messages.sudo(False)
        return result_mails_su, result_messages

    def _invoice_pay_check_recipients(self):
        """The customers of a pay link email, once the user's rights on them are checked."""
        self.ensure_one()
        partners = self.env["res.partner"].browse(self._evaluate_res_ids())
        partners._invoice_pay_check_group("account.group_account_invoice")
        partners.check_access("read")
        return partners
