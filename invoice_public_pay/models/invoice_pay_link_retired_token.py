from odoo import api, fields, models

from ..pay_core.tokens import token_digest


class InvoicePayLinkRetiredToken(models.Model):
    """A token a pay link held before it was regenerated, kept as its SHA-256 digest only.

    Lets a request for a new link made on the page of a replaced link (queued as a digest
    too, see ``invoice.pay.link.request``) reach the customer's salesperson, without
    keeping a token that could open anything.
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
    def _find_links(self, digests):
        """The links that held the tokens of ``digests`` before they were replaced: ``{digest: link (sudo)}``."""
        return {retired.digest: retired.link_id for retired in self.sudo().search([("digest", "in", list(digests))])}
