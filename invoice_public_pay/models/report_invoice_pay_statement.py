from odoo import _, api, models
from odoo.exceptions import AccessError

STATEMENT_REPORT = "invoice_public_pay.report_invoice_pay_statement"


class ReportInvoicePayStatement(models.AbstractModel):
    """Values of the customer statement report (``invoice_public_pay.report_invoice_pay_statement``).

    The report's ``data`` may hold ``date_from``, ``date_to`` and ``as_of`` (YYYY-MM-DD;
    defaults: today, the last 90 days) and ``company_ids`` (default: the user's
    companies). Each statement is written in its customer's language.
    """

    _name = "report.invoice_public_pay.report_invoice_pay_statement"
    _description = "Invoice Pay: Customer Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        Statement = self.env["invoice.pay.statement"]
        period = Statement._parse_period(data.get("date_from"), data.get("date_to"), data.get("as_of"))
        company_ids = data.get("company_ids")
        if not isinstance(company_ids, list) or not all(isinstance(company_id, int) for company_id in company_ids):
            company_ids = []
        companies = self.env["res.company"].sudo().browse(company_ids).exists() or self.env.companies
        partners = self.env["res.partner"].browse(docids)
        if not self.env.su:
            # The figures are read in SQL, past record rules: only who may read receivables prints them.
            if not (self.env.user.has_group("account.group_account_invoice")
                    or self.env.user.has_group("account.group_account_readonly")):
                raise AccessError(_("Only accounting users can print customer statements."))
            partners.check_access("read")
            companies &= self.env.user.company_ids
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        statements = []
        for partner in partners.commercial_partner_id:
            lang = partner.lang if partner.lang in installed else self.env.lang
            values = Statement.with_context(lang=lang)._report_values(partner, period, companies)
            statements.append({
                **values,
                "lang": lang,
                "company": values["groups"][0]["company"] if values["groups"] else (
                    partner.company_id or self.env.company),
            })
        return {
            "doc_ids": partners.commercial_partner_id.ids,
            "doc_model": "res.partner",
            "docs": partners.commercial_partner_id,
            "statements": statements,
        }

    @api.model
    def _render_statement_pdf(self, partner, period, companies):
        """The statement of ``partner`` as a PDF (HTML in test mode): printed, never stored."""
        data = {
            "date_from": period.date_from.isoformat(),
            "date_to": period.date_to.isoformat(),
            "as_of": period.as_of.isoformat(),
            "company_ids": companies.ids,
        }
        report = self.env["ir.actions.report"].sudo()
        company = partner.commercial_partner_id.company_id or self.env.company
        return report.with_company(company)._render_qweb_pdf(STATEMENT_REPORT, partner.commercial_partner_id.ids,
                                                             data=data)[0]
