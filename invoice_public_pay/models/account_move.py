from markupsafe import Markup

from odoo import api, models

from ..utils import make_qr_data_uri

PRINTABLE_PAY_LINK_MOVE_TYPES = ("out_invoice", "out_receipt")


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        # EXTENDS account: every customer with a posted invoice has a pay link, so
        # that printing or emailing the invoice never has to write one.
        posted = super()._post(soft=soft)
        customer_invoices = posted.filtered(lambda move: move.is_sale_document(include_receipts=True))
        if customer_invoices:
            self.env["invoice.pay.link"]._ensure_for_partners(customer_invoices.commercial_partner_id)
        return posted

    def _invoice_pay_demo_register_payment(self, amount):
        """Register a payment of ``amount`` on the invoice (demo data: a partly paid invoice)."""
        self.ensure_one()
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.ids
        ).create({"amount": amount, "payment_date": self.invoice_date})
        wizard.action_create_payments()

    # ------------------------------------------------------------
    # Pay link on printouts and invoice emails
    # ------------------------------------------------------------

    @api.depends(
        "company_id.invoice_pay_show_on_invoice", "commercial_partner_id.invoice_pay_show_on_invoice",
        "move_type", "state", "amount_residual", "payment_state",
    )
    def _compute_display_link_qr_code(self):
        # EXTENDS account: where the public pay link is printed, Odoo's own per-invoice
        # "pay online" QR code is not, so the customer has one call to action.
        result = super()._compute_display_link_qr_code()
        for move in self.filtered("display_link_qr_code"):
            if move._invoice_pay_printed_url():
                move.display_link_qr_code = False
        return result

    def _invoice_pay_is_payable_online(self):
        """Whether the invoice is a posted customer invoice with an amount still due."""
        self.ensure_one()
        return (
            self.move_type in PRINTABLE_PAY_LINK_MOVE_TYPES
            and self.state == "posted"
            and self.payment_state not in ("paid", "in_payment", "reversed", "blocked")
            and self.currency_id.compare_amounts(self.amount_residual, 0) > 0
        )

    def _invoice_pay_printed_url(self):
        """The customer's public pay link to print or email with this invoice, else ``""``.

        Follows the company setting and the customer's override. Only reads: the link
        was created when the invoice was posted, and report routes are read-only.
        """
        self.ensure_one()
        if not self._invoice_pay_is_payable_online():
            return ""
        partner = self.commercial_partner_id.sudo()
        if not partner._invoice_pay_shows_on_invoice(self.company_id):
            return ""
        # The partner's computed link is fetched once for all the partners being printed.
        return partner.invoice_pay_url if partner.invoice_pay_link_state == "enabled" else ""

    @api.model
    def _invoice_pay_qr_data_uri(self, url):
        """QR code image (data URI) of ``url``, sized for invoices and emails."""
        return make_qr_data_uri(url, box_size=8, border=4)

    def _invoice_pay_mail_button(self, lang=None):
        """The pay button and QR code for an email about this invoice, or ``""`` where none belongs.

        Usable in any mail template on invoices (``object._invoice_pay_mail_button()``).
        """
        self.ensure_one()
        url = self._invoice_pay_printed_url()
        return self._invoice_pay_render_mail_button(url, lang) if url else ""

    def _invoice_pay_add_mail_button(self, body, lang=None):
        """``body`` of an invoice email with the pay button added, unless it has the link already."""
        self.ensure_one()
        url = body and self._invoice_pay_printed_url()
        if not url or url in body:
            return body
        return Markup(body) + self._invoice_pay_render_mail_button(url, lang)

    def _invoice_pay_render_mail_button(self, url, lang):
        lang = lang or self.partner_id.lang or self.env.lang
        return self.env["ir.qweb"].with_context(lang=lang)._render(
            "invoice_public_pay.invoice_pay_mail_pay_button",
            {"pay_url": url, "qr_src": self._invoice_pay_qr_data_uri(url)},
        )
