from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from .main import INVOICE_PAY_ROUTE, PAGE_ROUTE, InvoicePayController, page_rate_limited


class StatementDocument:
    """What ``InvoicePayController._send_pdf`` names the statement's file after."""

    def __init__(self, partner, period):
        self.partner = partner
        self.period = period

    def _get_report_base_filename(self):
        Statement = self.partner.env["invoice.pay.statement"].with_context(lang=self.partner.lang)
        return Statement._statement_filename(self.partner, self.period).removesuffix(".pdf")


class InvoicePayStatementController(InvoicePayController):
    """The customer statement, printed through the pay link."""

    @http.route(f"{INVOICE_PAY_ROUTE}/statement", **PAGE_ROUTE)
    @page_rate_limited
    def invoice_pay_statement(self, token, date_from=None, date_to=None, as_of=None, download=False, **kwargs):
        """The statement PDF: open items aged as of ``as_of``, activity from ``date_from`` to ``date_to``.

        Under the public PDFs' render limit; never stored, nothing written (not even "opened").
        """
        link = self._find_link(token)
        if not link:
            return self._render_invalid_link(token=token)
        try:
            period = request.env["invoice.pay.statement"]._parse_period(date_from, date_to, as_of)
        except UserError as error:
            return self._render_public("invoice_public_pay.invoice_pay_statement_invalid", {
                "partner": link.partner_id,
                "company": link._get_page_company(),
                "message": error.args[0],
                "base_path": f"/invoice-pay/{token}",
            }, status=400)
        partner = link.partner_id
        companies = request.env["res.company"].sudo().search([])
        Report = request.env["report.invoice_public_pay.report_invoice_pay_statement"].sudo()
        return self._serve_pdf(
            link, StatementDocument(partner, period), None,
            lambda: Report._render_statement_pdf(partner, period, companies), download,
        )
