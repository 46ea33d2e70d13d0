from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

PAY_LINK_TEMPLATE = "invoice_public_pay.mail_template_invoice_pay_link"


class MailComposeMessage(models.TransientModel):
    """The "Send Pay Link" composer may attach the customer's statement."""

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

    def _action_send_mail(self, auto_commit=False):
        """Override of `mail`: print the statement of the pay link email's customer and attach it."""
        for wizard in self.filtered(lambda wizard: wizard.invoice_pay_is_pay_link and wizard.invoice_pay_attach_statement):
            wizard._invoice_pay_attach_statement()
        return super()._action_send_mail(auto_commit=auto_commit)

    def _invoice_pay_attach_statement(self):
        self.ensure_one()
        partners = self.env["res.partner"].browse(self._evaluate_res_ids()).commercial_partner_id
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
