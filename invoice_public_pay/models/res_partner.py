from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..plurals import takes_singular
from ..utils import make_qr_data_uri

INVOICING_GROUP = "account.group_account_invoice"
MANAGER_GROUP = "account.group_account_manager"
LINK_STATES = [("none", "Not created"), ("enabled", "Active"), ("disabled", "Disabled")]
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
SHOW_ON_INVOICE_CHOICES = [
    ("default", "Company default"),
    ("always", "Always"),
    ("never", "Never"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    invoice_pay_url = fields.Char(
        string="Public Invoice Pay Link",
        compute="_compute_invoice_pay_link",
        compute_sudo=True,
        groups=INVOICING_GROUP,
        help="The customer's secret link to the public page where they pay their open invoices. "
        "Contacts share the link of their company.",
    )
    invoice_pay_link_state = fields.Selection(
        LINK_STATES,
        string="Pay Link Status",
        compute="_compute_invoice_pay_link",
        compute_sudo=True,
        groups=INVOICING_GROUP,
    )
    invoice_pay_activity_count = fields.Integer(
        string="Pay Link Activity",
        compute="_compute_invoice_pay_activity_count",
        groups=f"{INVOICING_GROUP},account.group_account_readonly",
    )
    invoice_pay_send_failed = fields.Boolean(
        string="Pay Link Email Failed",
        compute="_compute_invoice_pay_send_failed",
        groups=INVOICING_GROUP,
        help="The last pay link email could not be sent or bounced, and none left since.",
    )
    invoice_pay_send_failed_date = fields.Datetime(
        string="Pay Link Email Failed On", compute="_compute_invoice_pay_send_failed", groups=INVOICING_GROUP,
    )
    invoice_pay_send_failed_note = fields.Char(
        string="Pay Link Email Failure", compute="_compute_invoice_pay_send_failed", groups=INVOICING_GROUP,
    )
    invoice_pay_show_on_invoice = fields.Selection(
        SHOW_ON_INVOICE_CHOICES,
        string="Pay link on invoices",
        default="default",
        required=True,
        help="Print the Pay online button and QR code of the public pay link on this customer's "
        "invoices and add the button to invoice emails. Company default follows the Invoicing "
        "setting.",
    )

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

    @api.model
    def _commercial_fields(self):
        # Contacts share the link of their company, so they share this choice too.
        return [*super()._commercial_fields(), "invoice_pay_show_on_invoice"]

    @api.depends("commercial_partner_id")
    def _compute_invoice_pay_link(self):
        links = self.env["invoice.pay.link"].sudo().search(
            [("partner_id", "in", self.commercial_partner_id.ids)]
        )
        link_by_partner = {link.partner_id.id: link for link in links}
        for partner in self:
            link = link_by_partner.get(partner.commercial_partner_id.id)
            if not link:
                partner.invoice_pay_url = False
                partner.invoice_pay_link_state = "none"
            else:
                partner.invoice_pay_url = link._get_url()
                partner.invoice_pay_link_state = "enabled" if link.enabled else "disabled"

    def _compute_invoice_pay_activity_count(self):
        counts = dict(
            self.env["invoice.pay.link.activity"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.invoice_pay_activity_count = counts.get(partner.commercial_partner_id, 0)

    def _compute_invoice_pay_send_failed(self):
        """Whether the latest send event of each customer's link is ``send_failed``, in one search."""
        send_events = self.env["invoice.pay.link.activity"].search_fetch(
            [("partner_id", "in", self.commercial_partner_id.ids), ("event", "in", ("sent", "send_failed"))],
            ["partner_id", "event", "date", "note"],
        )
        latest_by_partner = {}
        for activity in send_events:  # newest first
            latest_by_partner.setdefault(activity.partner_id, activity)
        for partner in self:
            latest = latest_by_partner.get(partner.commercial_partner_id)
            failed = bool(latest) and latest.event == "send_failed"
            partner.invoice_pay_send_failed = failed
            partner.invoice_pay_send_failed_date = failed and latest.date
            partner.invoice_pay_send_failed_note = failed and latest.note

    # ------------------------------------------------------------
    # Link management
    # ------------------------------------------------------------

    def _invoice_pay_get_link(self):
        """Return the link of the commercial partner (sudo), creating it if missing."""
        self.ensure_one()
        link = self.env["invoice.pay.link"]._ensure_for_partners(self.commercial_partner_id)
        self.invalidate_model(["invoice_pay_url", "invoice_pay_link_state"])
        return link

    def _invoice_pay_ensure_url(self):
        """Return the public invoice pay link of the commercial partner, creating it if missing.

        Writes no activity: callers log what the user did with the link.
        """
        return self._invoice_pay_get_link()._get_url()

    def _invoice_pay_check_group(self, group_xmlid):
        if not self.env.su and not self.env.user.has_group(group_xmlid):
            raise AccessError(_("You are not allowed to manage public invoice pay links."))

    def _invoice_pay_get_enabled_link(self):
        link = self._invoice_pay_get_link()
        if not link.enabled:
            raise UserError(_(
                "The public invoice pay link of %s is disabled. Enable it first.",
                self.commercial_partner_id.display_name,
            ))
        return link

    def action_invoice_pay_copy_link(self):
        """Return the link for the clipboard and record that it was copied."""
        self.ensure_one()
        self._invoice_pay_check_group(INVOICING_GROUP)
        link = self._invoice_pay_get_enabled_link()
        self.env["invoice.pay.link.activity"]._log_events(self, "copied")
        return link._get_url()

    def action_invoice_pay_send(self):
        """Open the mail composer with the pay link email; ``sent`` is logged once it has left."""
        self.ensure_one()
        self._invoice_pay_check_group(INVOICING_GROUP)
        self._invoice_pay_get_enabled_link()
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_link")
        return {
            "name": _("Send Pay Link"),
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": self.commercial_partner_id.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
            },
        }

    def _message_post_after_hook(self, message, msg_values):
        # EXTENDS mail: the pay link email is tracked from the moment it is posted, before
        # its mails are queued (or sent at once), so that sending it writes the history.
        if self.env.context.get("invoice_pay_link_email"):
            self.env["invoice.pay.link.mail"]._track(self, message)
        return super()._message_post_after_hook(message, msg_values)

    def _message_mail_after_hook(self, mails):
        # EXTENDS mail: in mass mode the composer creates the pay link emails without
        # posting them; they are tracked before they are sent, as posted ones are.
        if self.env.context.get("invoice_pay_link_email"):
            self.env["invoice.pay.link.mail"]._track_mass_mails(self, mails)
        return super()._message_mail_after_hook(mails)

    def action_invoice_pay_disable(self):
        self._invoice_pay_set_enabled(False)

    def action_invoice_pay_enable(self):
        self._invoice_pay_set_enabled(True)

    def _invoice_pay_set_enabled(self, enabled):
        self._invoice_pay_check_group(MANAGER_GROUP)
        for partner in self.commercial_partner_id:
            link = partner._invoice_pay_get_link()
            if link.enabled != enabled:
                link.enabled = enabled
                self.env["invoice.pay.link.activity"]._log_events(
                    partner, "enabled" if enabled else "disabled"
                )
        self.invalidate_model(["invoice_pay_link_state"])

    def action_invoice_pay_regenerate(self):
        """Replace the token: the previous link stops working at once. Logs ``revoked``."""
        self._invoice_pay_check_group(MANAGER_GROUP)
        for partner in self.commercial_partner_id:
            link = self.env["invoice.pay.link"].sudo().search([("partner_id", "=", partner.id)])
            if link:
                link._regenerate_token()
                self.env["invoice.pay.link.activity"]._log_events(partner, "revoked")
            else:
                partner._invoice_pay_get_link()
        self.invalidate_model(["invoice_pay_url", "invoice_pay_link_state"])
        return True

    def action_invoice_pay_view_activity(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "invoice_public_pay.action_invoice_pay_link_activity"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        action["display_name"] = _("Pay Link Activity: %s", self.commercial_partner_id.display_name)
        return action

    # ------------------------------------------------------------
    # Balances shown on the page and in the email
    # ------------------------------------------------------------

    def _invoice_pay_open_moves_domain(self, move_types):
        """Posted documents of the commercial partner (and its contacts) with an amount left."""
        return [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("move_type", "in", move_types),
            ("state", "=", "posted"),
            ("amount_residual", ">", 0),
        ]

    def _invoice_pay_open_balances(self, move_type="out_invoice"):
        """Open amounts of the commercial partner's posted documents, per company and currency.

        :return: list of dicts with ``company``, ``currency``, ``amount``, ``count`` and
                 ``count_label`` (the count in words, "(2 open invoices)"), one per company
                 and currency, in a stable order
        """
        self.ensure_one()
        groups = self.env["account.move"].sudo()._read_group(
            self._invoice_pay_open_moves_domain((move_type,)),
            ["company_id", "currency_id"],
            ["amount_residual:sum", "__count"],
            order="company_id, currency_id",
        )
        return [
            {"company": company, "currency": currency, "amount": amount, "count": count,
             "count_label": self._invoice_pay_count_label(move_type, count)}
            for company, currency, amount, count in groups
        ]

    def _invoice_pay_count_label(self, move_type, count):
        """``count`` open documents of ``move_type`` in words, as the language of the environment says it."""
        if takes_singular(self.env.lang, count):
            if move_type == "out_refund":
                return _("(%s credit note)", count)
            return _("(%s open invoice)", count)
        if move_type == "out_refund":
            return _("(%s credit notes)", count)
        return _("(%s open invoices)", count)

    def _invoice_pay_qr_data_uri(self):
        """QR code image (data URI) of the commercial partner's pay link, for emails."""
        self.ensure_one()
        return make_qr_data_uri(self._invoice_pay_ensure_url())

    # ------------------------------------------------------------
    # Pay link on printed invoices and invoice emails
    # ------------------------------------------------------------

    def _invoice_pay_shows_on_invoice(self, company):
        """Whether documents of ``company`` for this customer show the pay link."""
        self.ensure_one()
        choice = self.commercial_partner_id.invoice_pay_show_on_invoice
        if choice == "default":
            return company.invoice_pay_show_on_invoice
        return choice == "always"

    # ------------------------------------------------------------
    # Customer statement and the pay link's results
    # ------------------------------------------------------------

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
