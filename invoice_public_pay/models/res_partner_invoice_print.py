from odoo import api, fields, models

SHOW_ON_INVOICE_CHOICES = [
    ("default", "Company default"),
    ("always", "Always"),
    ("never", "Never"),
]


class ResPartner(models.Model):
    """Whether this customer's invoices and invoice emails carry the pay link.

    Apart from the pay link management in ``res_partner.py``: printing is its own concern.
    """

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    invoice_pay_show_on_invoice = fields.Selection(
        SHOW_ON_INVOICE_CHOICES,
        string="Pay link on invoices",
        default="default",
        required=True,
        help="Print the Pay online button and QR code of the public pay link on this customer's "
        "invoices and add the button to invoice emails. Company default follows the Invoicing "
        "setting.",
    )

    @api.model
    def _commercial_fields(self):
        # Contacts share the link of their company, so they share this choice too.
        return [*super()._commercial_fields(), "invoice_pay_show_on_invoice"]

    def _invoice_pay_shows_on_invoice(self, company):
        """Whether documents of ``company`` for this customer show the pay link."""
        self.ensure_one()
        choice = self.commercial_partner_id.invoice_pay_show_on_invoice
        if choice == "default":
            return company.invoice_pay_show_on_invoice
        return choice == "always"
