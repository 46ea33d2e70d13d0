from decimal import Decimal

from odoo import fields, models
from odoo.fields import Command

from ..pay_core.money import to_decimal
from ..pay_core.settlement import FeeComponent


class InvoicePaySettlementLine(models.Model):
    """One part of what a provider confirmation of the pay page settled.

    A transaction's ``fee`` lines are the snapshot of its fee taken when the
    customer paid: label, rate, accounts and taxes (with their refund
    repartition), so that captures, refunds and receipts never read the fee rule
    again. Booking a payment, a capture or a refund adds its ``invoice`` and
    ``unapplied`` lines: together with the fee lines they are exactly the journal
    items of its payment.
    """

    _name = "invoice.pay.settlement.line"
    _description = "Invoice Pay Settlement Line"
    _order = "transaction_id, sequence, id"

    transaction_id = fields.Many2one(
        "payment.transaction", required=True, ondelete="cascade", index=True, readonly=True
    )
    sequence = fields.Integer(readonly=True)
    kind = fields.Selection(
        [("invoice", "Invoice"), ("fee", "Fee"), ("unapplied", "Unapplied")], required=True, readonly=True,
    )
    name = fields.Char(string="Label", readonly=True)
    currency_id = fields.Many2one(related="transaction_id.currency_id")
    company_id = fields.Many2one(related="transaction_id.company_id")
    amount = fields.Monetary(
        readonly=True, help="Always positive: received for a payment or a capture, given back for a refund.",
    )
    invoice_id = fields.Many2one("account.move", readonly=True, index="btree_not_null")
    invoice_residual_after = fields.Monetary(
        string="Remaining Due", readonly=True, help="Amount still due on the invoice right after this settlement.",
    )
    account_id = fields.Many2one("account.account", readonly=True)
    refund_account_id = fields.Many2one(
        "account.account", readonly=True, help="For a fee tax: where its refund repartition books a refund.",
    )
    fee_line_id = fields.Many2one(
        "invoice.pay.settlement.line", string="Part Of", readonly=True, index="btree_not_null", ondelete="restrict",
        help="For a capture or a refund: the fee line of the payment whose share this line is.",
    )
    fee_kind = fields.Selection(
        [("surcharge", "Credit card surcharge"), ("flat", "Flat convenience fee"), ("service", "Service fee")],
        readonly=True,
    )
    fee_percentage = fields.Float(string="Fee Rate", digits=(16, 4), readonly=True)
    fee_fixed_amount = fields.Monetary(string="Fixed Fee", readonly=True)
    tax_id = fields.Many2one("account.tax", readonly=True)
    tax_repartition_line_id = fields.Many2one("account.tax.repartition.line", readonly=True)
    refund_tax_repartition_line_id = fields.Many2one("account.tax.repartition.line", readonly=True)
    tax_tag_ids = fields.Many2many(
        "account.account.tag", "invoice_pay_settlement_line_tax_tag_rel", string="Tax Grids", readonly=True,
    )
    refund_tax_tag_ids = fields.Many2many(
        "account.account.tag", "invoice_pay_settlement_line_refund_tax_tag_rel", string="Refund Tax Grids",
        readonly=True,
    )

    _amount_not_negative = models.Constraint("CHECK(amount >= 0)", "A settlement line is never negative.")

    def _to_fee_components(self):
        """The fee lines as parts for :mod:`pay_core.settlement`, keyed by record id."""
        return [
            FeeComponent(line.id, to_decimal(line.amount, line.currency_id.decimal_places))
            for line in self.filtered(lambda line: line.kind == "fee")
        ]

    def _amounts_by_fee_line(self):
        """What these lines (captures or refunds already booked) took of each fee line they follow."""
        taken = {}
        for line in self.filtered("fee_line_id"):
            decimal_places = line.currency_id.decimal_places
            taken[line.fee_line_id.id] = taken.get(line.fee_line_id.id, Decimal(0)) + to_decimal(
                line.amount, decimal_places
            )
        return taken

    def _copy_fee_values(self, amount):
        """Create values of a line taking ``amount`` of this fee line (captures, refunds)."""
        self.ensure_one()
        return {
            "kind": "fee",
            "fee_line_id": self.id,
            "name": self.name,
            "amount": float(amount),
            "account_id": self.account_id.id,
            "refund_account_id": self.refund_account_id.id,
            "fee_kind": self.fee_kind,
            "fee_percentage": self.fee_percentage,
            "fee_fixed_amount": self.fee_fixed_amount,
            "tax_id": self.tax_id.id,
            "tax_repartition_line_id": self.tax_repartition_line_id.id,
            "refund_tax_repartition_line_id": self.refund_tax_repartition_line_id.id,
            "tax_tag_ids": [Command.set(self.tax_tag_ids.ids)],
            "refund_tax_tag_ids": [Command.set(self.refund_tax_tag_ids.ids)],
        }

    def _fee_journal_item_extra_values(self, refund=False):
        """Tax fields of the journal item of a fee line: invoice or refund repartition."""
        self.ensure_one()
        repartition = self.refund_tax_repartition_line_id if refund else self.tax_repartition_line_id
        tags = self.refund_tax_tag_ids if refund else self.tax_tag_ids
        values = {"tax_tag_ids": [Command.set(tags.ids)]} if tags else {}
        if repartition:
            values["tax_repartition_line_id"] = repartition.id
        return values
