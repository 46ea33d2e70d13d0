from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

PAY_LINK_TEMPLATE = "invoice_public_pay.mail_template_invoice_pay_link"


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    invoice_pay_is_pay_link = fields.Boolean(compute="_compute_invoice_pay_is_pay_link")
    invoice_pay_attach_statement = fields.Boolean(
        string="Attach statement",
        help="Attach the customer's statement: open items aged as of today and the last 90 days of activity.",
    )

    @api.depends("template_id", "model")
    def _compute_invoice_pay_is_pay_link(self):
        template = self.env.ref(PAY_LINK_TEMPLATE, raise_if_not_found=False)
        for wizard in self:
            wizard.invoice_pay_is_pay_link = bool(
                template and wizard.template_id == template and wizard.model == "res.partner"
            )

    def action_send_mail(self):
        """Override of `mail`: sending a pay link email tells that it is on its way.

        Posting only queues the email; the link's history says ``sent`` once it has left.
        """
        result = super().action_send_mail()
        if len(self) != 1 or not self.invoice_pay_is_pay_link:
            return result
        partners = self.env["res.partner"].browse(self._evaluate_res_ids())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": _(
                    "The pay link email to %s is on its way: the link's history shows it as sent once it has left.",
                    ", ".join(partners.mapped("display_name")),
                ),
                "next": result,
            },
        }

    def _action_send_mail(self, auto_commit=False):
        """Override of `mail` for the pay link email.

        It is logged as ``sent`` only once the mail queue has sent it (``send_failed``
        when it could not be sent or bounced), not when the composer was opened (it may
        be discarded) nor when it is posted and queued. Invoicing users may send the link (an
        accounting task) even without the right to edit contacts, which Odoo requires
        to post on a partner: once their right to send links and to see these
        customers is checked, the email is posted as superuser, still authored by them.
        With *Attach statement*, the customer's statement is printed and attached.
        """
        pay_link_wizards = self.filtered("invoice_pay_is_pay_link")
        for wizard in pay_link_wizards.filtered("invoice_pay_attach_statement"):
            wizard._invoice_pay_attach_statement()
        result_mails_su, result_messages = super(
            MailComposeMessage, self - pay_link_wizards
        )._action_send_mail(auto_commit=auto_commit)
        for wizard in pay_link_wizards:
            wizard._invoice_pay_check_recipients()
            mails_su, messages = super(
                MailComposeMessage, wizard.sudo().with_context(invoice_pay_link_email=True)
            )._action_send_mail(auto_commit=auto_commit)
            result_mails_su |= mails_su
            result_messages |= messages.with_env(self.env).sudo(False)
        return result_mails_su, result_messages

    def _invoice_pay_check_recipients(self):
        """The customers of a pay link email, once the user's rights on them are checked.

        In mass mode on a search (all the records a domain finds), the email goes to what
        the superuser's search finds when it is sent: the user must see each of them too.
        """
        self.ensure_one()
        partners = self.env["res.partner"].browse(self._evaluate_res_ids())
        if self.res_domain:
            partners |= self.env["res.partner"].sudo().search(self._evaluate_res_domain()).sudo(False)
        partners._invoice_pay_check_group("account.group_account_invoice")
        partners.check_access("read")
        return partners

    def _invoice_pay_attach_statement(self):
        """Print the statement of the email's customer (today, the last 90 days) and attach it."""
        self.ensure_one()
        partners = self._invoice_pay_check_recipients().commercial_partner_id
        if len(partners) != 1:
            raise UserError(_("A statement can only be attached to a pay link email for one customer at a time."))
        Statement = self.env["invoice.pay.statement"]
        period = Statement._parse_period()
        content = self.env["report.invoice_public_pay.report_invoice_pay_statement"]._render_statement_pdf(
            partners, period, self.env.companies,
        )
        lang = partners.lang or self.env.lang
        name = Statement.with_context(lang=lang)._statement_filename(partners, period)
        attachment = self.env["ir.attachment"].create({
            "name": name,
            "raw": content,
            "mimetype": "application/pdf" if content.startswith(b"%PDF") else "text/html",
            "res_model": "mail.compose.message",
            "res_id": 0,
        })
        self.attachment_ids = [Command.link(attachment.id)]
