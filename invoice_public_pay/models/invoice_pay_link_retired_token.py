from odoo import api, fields, models

from ..pay_core.tokens import token_digest


class InvoicePayLinkRetiredToken(models.Model):
    """A token a pay link held before it was regenerated, kept as its SHA-256 digest only.

    Lets the page of a replaced link tell the customer's salesperson that the customer
    asks for a new link, without keeping a token that could open anything.
    """

    _name = "invoice.pay.link.retired.token"
    _description = "Replaced Invoice Pay Link Token"
    _order = "date desc, id desc"
    _rec_name = "link_id"

    link_id = fields.Many2one("invoice.pay.link", required=True, index=True, ondelete="cascade", readonly=True)
    digest = fields.Char(required=True, readonly=True, help="SHA-256 of the token, in hexadecimal.")
    date = fields.Datetime(string="Replaced On", required=True, readonly=True, default=fields.Datetime.now)

    _digest_unique = models.Constraint("UNIQUE(digest)", "Each replaced token is kept once.")

    @api.model
    def _retire(self, links):
        """Keep the digest of the current token of each of ``links``, before it is replaced."""
        return self.sudo().create([{"link_id": link.id, "digest": token_digest(link.token)} for link in links])

    @api.model
    def _find_link(self, token):
        """The link that held ``token`` before it was replaced (sudo), or an empty recordset."""
        return self.sudo().search([("digest", "=", token_digest(token))], limit=1).link_id
