from decimal import Decimal

from odoo.tools.misc import formatLang


class InvoicePayCheckout:
    """What one payment request of the public page comes to, recomputed from the database.

    Built by :meth:`invoice.pay.link._invoice_pay_prepare_checkout`; never from browser figures.
    """

    def __init__(self, link, lines, fee, fee_rule=None):
        self.link = link
        self.partner = link.partner_id
        self.lines = lines  # [(account.move, Decimal)], oldest due date first
        self.invoices = link.env["account.move"].union(*(invoice for invoice, _amount in lines))
        self.company = self.invoices.company_id
        self.currency = self.invoices.currency_id
        self.amount_invoices = sum((amount for _invoice, amount in lines), Decimal(0))
        self.fee = fee
        self.fee_rule = fee_rule
        self.payment_method = None
        self.card = None  # pay_core.fees.CardDetails reported by the provider, if a card is paying
        self.surcharge_policy = None  # pay_core.fees.SurchargePolicy of the company and customer
        self.amount_total = self.amount_invoices + fee

    def count_label(self):
        """The chosen invoices in a few words: "214 invoices, $ 48,210.55"."""
        return self.link.env._(
            "%(count)s invoices, %(amount)s",
            count=formatLang(self.link.env, len(self.lines), digits=0),
            amount=self.currency.format(float(self.amount_invoices)),
        )

    def more_label(self, shown):
        """What the summary leaves out after its first ``shown`` invoices."""
        return self.link.env._("and %s more", formatLang(self.link.env, len(self.lines) - shown, digits=0))

    def to_json(self):
        """The figures the page shows, as JSON-friendly values (amounts as strings and floats)."""
        currency = self.currency
        return {
            "amount_invoices": float(self.amount_invoices),
            "fee": float(self.fee),
            "amount_total": float(self.amount_total),
            "currency": {
                "id": currency.id,
                "name": currency.name,
                "symbol": currency.symbol,
                "position": currency.position,
                "decimal_places": currency.decimal_places,
            },
            "formatted": {
                "amount_invoices": currency.format(float(self.amount_invoices)),
                "fee": currency.format(float(self.fee)),
                "amount_total": currency.format(float(self.amount_total)),
            },
            "fee_label": self.fee_rule._fee_label() if self.fee_rule else "",
            "fee_disclosure": (
                self.fee_rule._disclosure(self.payment_method, currency, self.surcharge_policy)
                if self.fee_rule and self.payment_method else ""
            ),
            "fee_signature": self.link._fee_signature(self),
            "selection_signature": self.link._selection_signature(self),
            "invoice_count": len(self.lines),
            # Compact: a payment may cover thousands of invoices; the page shows its summary.
            "lines": [{"invoice_id": invoice.id, "amount": float(amount)} for invoice, amount in self.lines],
        }
