import logging

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.tools import mute_logger

from ..pay_core.tokens import generate_token, is_well_formed_token

_logger = logging.getLogger(__name__)

INVOICE_PAY_ROUTE = "/invoice-pay"


class InvoicePayLink(models.Model):
    """The secret link of one commercial partner to the public invoice pay page.

    Kept apart from ``res.partner`` so that the token is never readable through
    the partner (portal users read their own partner), only by invoicing users.
    """

    _name = "invoice.pay.link"
    _description = "Public Invoice Pay Link"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        readonly=True,
    )
    token = fields.Char(required=True, copy=False, readonly=True)
    enabled = fields.Boolean(default=True, readonly=True)
    last_opened_date = fields.Datetime(readonly=True, copy=False)

    _partner_unique = models.Constraint(
        "UNIQUE(partner_id)",
        "A customer has only one public invoice pay link.",
    )
    _token_unique = models.Constraint(
        "UNIQUE(token)",
        "Each public invoice pay link has its own token.",
    )

    @api.model
    def _find_by_token(self, token):
        """Return the enabled link holding ``token`` (sudo), or an empty recordset.

        Disabled, replaced and unknown tokens all give the same empty answer so
        that a caller cannot tell them apart.
        """
        if not is_well_formed_token(token):
            return self.browse()
        return self.sudo().search([("token", "=", token), ("enabled", "=", True)], limit=1)

    def _get_url(self):
        self.ensure_one()
        return f"{self.partner_id.get_base_url()}{INVOICE_PAY_ROUTE}/{self.token}"

    @api.model
    def _ensure_for_partners(self, commercial_partners):
        """Create the missing links of ``commercial_partners``; return all their links (sudo).

        Two transactions may create the link of the same customer at once (two
        invoices posted together): the loser of the unique index raises a
        serialization failure, which Odoo retries with a fresh snapshot.
        """
        links = self.sudo().search([("partner_id", "in", commercial_partners.ids)])
        missing = commercial_partners - links.partner_id
        if missing:
            try:
                with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                    links |= self.sudo().create(
                        [{"partner_id": partner.id, "token": generate_token()} for partner in missing]
                    )
            except pg_errors.UniqueViolation as error:
                _logger.info("Pay link created concurrently for one of %s; retrying", missing.ids)
                raise pg_errors.SerializationFailure(str(error)) from error
        return links

    def _regenerate_token(self):
        for link in self:
            link.sudo().token = generate_token()

    def _get_page_company(self, balances=()):
        """The company whose name and logo head the public page.

        The one company the customer owes money to, else the customer's own
        company, else the company serving the page.
        """
        self.ensure_one()
        companies = {balance["company"] for balance in balances}
        if len(companies) == 1:
            return companies.pop()
        return self.partner_id.company_id or self.env.company

    def _get_landing_values(self):
        """Values of the landing page: who, and how much is open per currency."""
        self.ensure_one()
        partner = self.partner_id
        invoice_balances = partner._invoice_pay_open_balances("out_invoice")
        return {
            "pay_link": self,
            "partner": partner,
            "company": self._get_page_company(invoice_balances),
            "invoice_balances": invoice_balances,
            "credit_balances": partner._invoice_pay_open_balances("out_refund"),
            "show_company": len({balance["company"] for balance in invoice_balances}) > 1,
            "invoices_url": f"{INVOICE_PAY_ROUTE}/{self.token}/invoices",
        }
