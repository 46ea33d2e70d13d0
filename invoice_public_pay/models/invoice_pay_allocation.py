from odoo import fields, models


class InvoicePayAllocation(models.Model):
    """The part of a public-page payment that the customer assigned to one invoice."""

    _name = "invoice.pay.allocation"
    _description = "Invoice Pay Allocation"
    _order = "transaction_id, sequence, id"

    transaction_id = fields.Many2one(
        "payment.transaction", required=True, ondelete="cascade", index=True, readonly=True
    )
    sequence = fields.Integer(readonly=True)
    invoice_id = fields.Many2one("account.move", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="transaction_id.currency_id")
    company_id = fields.Many2one(related="transaction_id.company_id")
    amount = fields.Monetary(string="Amount Chosen", readonly=True, required=True)
    amount_applied = fields.Monetary(
        readonly=True,
        help="What was reconciled with the invoice when the payment was posted. Less than the "
        "amount chosen when the invoice was paid in the meantime.",
    )
    invoice_residual_after = fields.Monetary(
        string="Remaining Due", readonly=True,
        help="Amount still due on the invoice right after this payment.",
    )

    _amount_positive = models.Constraint("CHECK(amount > 0)", "An allocated amount must be positive.")
    _invoice_once_per_transaction = models.Constraint(
        "UNIQUE(transaction_id, invoice_id)", "An invoice appears only once in a payment."
    )
