from odoo import http
from odoo.http import request

PUBLIC_PAGE_HEADERS = {
    # The token is in the page's URL: never send it to another site.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


class InvoicePayController(http.Controller):
    """Public pages of the invoice pay link. Thin: look up the link, render."""

    def _render_public(self, template, values, status=200):
        response = request.render(template, values, status=status)
        response.headers.update(PUBLIC_PAGE_HEADERS)
        return response

    def _render_invalid_link(self):
        # One answer for unknown, disabled and replaced tokens alike.
        return self._render_public("invoice_public_pay.invoice_pay_invalid_link", {}, status=404)

    @http.route(
        "/invoice-pay/<string:token>", type="http", auth="public", methods=["GET"], website=True, sitemap=False
    )
    def invoice_pay_landing(self, token, **kwargs):
        link = request.env["invoice.pay.link"]._find_by_token(token)
        if not link:
            return self._render_invalid_link()
        return self._render_public("invoice_public_pay.invoice_pay_landing", link._get_landing_values())
