from odoo import api, fields, models

LINK_EVENTS = [
    ("copied", "Copied"),
    ("sent", "Sent"),
    ("send_failed", "Send Failed"),
    ("opened", "Opened"),
    ("payment_pending", "Payment Pending"),
    ("payment_made", "Payment Made"),
    ("payment_failed", "Payment Failed"),
    ("transfer_expired", "Transfer Not Received"),
    ("disabled", "Disabled"),
    ("enabled", "Enabled"),
    ("revoked", "Revoked"),
    ("credit_applied", "Credit Applied"),
    ("question", "Question"),
    ("link_requested", "New Link Requested"),
]


class InvoicePayLinkActivity(models.Model):
    """One event in the history of a customer's public invoice pay link.

    The history is append-only: records are written by the actions on the link
    and by the public page (as superuser), never edited by hand.
    """

    _name = "invoice.pay.link.activity"
    _description = "Invoice Pay Link Activity"
    _order = "date desc, id desc"
    _rec_name = "event"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    event = fields.Selection(LINK_EVENTS, required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one("res.users", readonly=True)
    transaction_id = fields.Many2one(
        "payment.transaction", readonly=True, ondelete="set null", index="btree_not_null"
    )
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", readonly=True)
    note = fields.Char(readonly=True)
    invoice_id = fields.Many2one(
        "account.move", readonly=True, ondelete="set null", index="btree_not_null",
    )

    @api.model
    def _log_events(self, partners, event, company=None, **values):
        """Write ``event`` once for each commercial partner of ``partners``.

        :param company: the company the event happened in (default: the current one)
        :param values: extra field values (transaction_id, amount, currency_id, note, invoice_id)
        :return: the created activities (sudo)
        """
        company = company or self.env.company
        user = self.env.user if not self.env.user._is_public() else self.env["res.users"]
        return self.sudo().create([
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "event": event,
                "user_id": user.id,
                **values,
            }
            for partner in partners.commercial_partner_id
        ])
