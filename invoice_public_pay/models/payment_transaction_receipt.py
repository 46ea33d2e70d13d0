import base64
import logging

from odoo import models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    """Printed receipts of payments made through the public pay link.

    Apart from the payment processing in ``payment_transaction.py``: printing is its own concern.
    """

    _inherit = "payment.transaction"  # pylint: disable=consider-merging-classes-inherited

    def _invoice_pay_get_receipt_report(self):
        """The receipt layout chosen in the settings of the transaction's company (sudo)."""
        self.ensure_one()
        return self.company_id._invoice_pay_get_receipt_report()

    def _invoice_pay_amount_in_words(self):
        """The total paid in words, in the customer's language.

        Odoo's ``res.currency.amount_to_text`` names the currency's units and falls
        back to English where ``num2words`` does not know the language.
        """
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        return self.currency_id.with_context(lang=lang).amount_to_text(self.amount)

    def action_invoice_pay_print_receipt(self):
        """Print the receipt in the layout the public page uses."""
        self.ensure_one()
        # Receipts have their own layout: no need to choose the company's document layout first.
        return self._invoice_pay_get_receipt_report().report_action(self, config=False)

    def _invoice_pay_receipt_email_values(self):
        """Email values attaching the receipt to the payment confirmation.

        A receipt that cannot be printed (no PDF engine, say) must not stop the
        confirmation itself: the email then goes without it.
        """
        self.ensure_one()
        report = self._invoice_pay_get_receipt_report()
        try:
            content, _report_format = report.with_company(self.company_id)._render_qweb_pdf(report, self.ids)
        except UserError:
            _logger.warning("Transaction %s: the receipt could not be printed for the confirmation email",
                            self.reference, exc_info=True)
            return {}
        return {"attachments": [(self._invoice_pay_receipt_filename(), base64.b64encode(content))]}

    def _invoice_pay_receipt_filename(self):
        customer_self = self.with_context(lang=self.partner_id.lang or self.env.lang)
        return f"{customer_self._get_report_base_filename()}.pdf".replace("/", "-")
