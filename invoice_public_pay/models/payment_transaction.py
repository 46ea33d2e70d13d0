import base64
import hashlib
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

import psycopg2
import stripe
from markupsafe import Markup
from werkzeug.urls import url_encode

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import ConcurrencyError, UserError, ValidationError
from odoo.fields import Command
from odoo.http import request
from odoo.tools import SQL, format_amount, mute_logger
from odoo.tools.urls import urljoin

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment_stripe.controllers.main import StripeController

from ..pay_core.fees import CARD_FUNDINGS, CardDetails
from ..pay_core.money import to_decimal
from ..pay_core.settlement import InvoiceClaim, plan_capture, plan_fee_refund, plan_payment, plan_refund
from ..stored_pdfs import find_stored_pdf, store_pdf
from ..stripe_helpers import (
    card_details_from_stripe,
    is_confirmation_token_id,
    stripe_minor_amount,
    stripe_payment_method_type,
)

_logger = logging.getLogger(__name__)

ABANDONED_AFTER_DAYS = 2
#: A page payment (or capture) confirmed over more invoices than this is booked by the cron
#: ``ir_cron_book_invoice_pay_payments``, not in the web request that learns of it (the status
#: page's poll, a webhook): booking takes 15 to 25 ms per invoice, commit included (2.5 s for
#: 100 invoices, 17 to 26 s for 1,000 on a shared 2-core machine, as Odoo's Register Payment on
#: the same invoices), and a request must stay seconds long, far from the worker's time limit.
#: Meanwhile the customer's page shows the payment as being processed.
BOOK_IN_CRON_ABOVE_INVOICES = 200
#: How long the booking cron tries a transaction it could not book (Odoo's post-processing cron: 4 days).
BOOKING_RETRY_DAYS = 4
BOOKING_CRON_XMLID = "invoice_public_pay.ir_cron_book_invoice_pay_payments"
# Description of the receipt PDFs stored on a transaction, followed by the checksum of what they show.
RECEIPT_ATTACHMENT_MARK = "invoice_public_pay receipt "
#: The demo provider's test card numbers (Stripe's), read as a provider would report them.
DEMO_TEST_CARDS = {
    "4242424242424242": CardDetails("credit", "US", "visa"),
    "4000056655665556": CardDetails("debit", "US", "visa"),
    "5105105105105100": CardDetails("prepaid", "US", "mastercard"),
    "4000002500000003": CardDetails("credit", "FR", "visa"),
}
STATE_EVENTS = {
    "pending": "payment_pending",
    "authorized": "payment_pending",
    "done": "payment_made",
    "cancel": "payment_failed",
    "error": "payment_failed",
}


@dataclass
class JournalPart:
    """One journal item of a pay page payment, before the payment exists.

    ``amount`` is in the payment currency (positive: credited); ``balance`` is set
    in company currency just before the payment is created.
    """

    amount: Decimal
    account: models.BaseModel
    name: str | bool = False
    invoice: models.BaseModel | None = None
    extra_values: dict = field(default_factory=dict)
    balance: float = 0.0


@dataclass(frozen=True)
class ReceiptLine:
    """One invoice on a receipt: what it got, what it still owes."""

    invoice: models.BaseModel
    amount: float
    residual_after: float


@dataclass(frozen=True)
class ReceiptSummary:
    """What a receipt, a confirmation email or a payment note shows of a transaction."""

    invoice_lines: list
    fee: float
    unapplied: float
    total: float


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    invoice_pay_link_id = fields.Many2one(
        "invoice.pay.link", readonly=True, index="btree_not_null",
        ondelete="set null", copy=False,
    )
    invoice_pay_allocation_ids = fields.One2many(
        "invoice.pay.allocation", "transaction_id", string="Invoice Allocations", readonly=True,
    )
    invoice_pay_fee = fields.Monetary(
        string="Convenience Fee", currency_field="currency_id", readonly=True, copy=False,
    )
    invoice_pay_fee_rule_id = fields.Many2one(
        "invoice.pay.fee.rule", string="Fee Rule", readonly=True, copy=False, ondelete="restrict",
    )
    invoice_pay_abandoned = fields.Boolean(
        string="Abandoned", readonly=True, copy=False,
        help="Cancelled automatically: the customer left the pay page without paying.",
    )
    invoice_pay_confirmation_pending = fields.Boolean(
        readonly=True, copy=False, index="btree_not_null",
        help="The customer's confirmation email is waiting to be sent.",
    )
    invoice_pay_confirmation_failed = fields.Boolean(
        string="Confirmation Failed", readonly=True, copy=False,
        help="The customer's confirmation email could not be sent (see the customer's chatter); "
        "it is not tried again.",
    )
    invoice_pay_card_funding = fields.Selection(
        [(funding, funding.capitalize()) for funding in CARD_FUNDINGS], string="Card Funding",
        readonly=True, copy=False, help="What the provider reported of the card before the fee was fixed.",
    )
    invoice_pay_card_country = fields.Char(
        string="Card Country", size=2, readonly=True, copy=False, help="Issuing country of the card (ISO code).",
    )
    invoice_pay_card_brand = fields.Char(string="Card Brand", readonly=True, copy=False)
    invoice_pay_card_wallet = fields.Boolean(
        string="Paid with a Wallet", readonly=True, copy=False, help="Apple Pay, Google Pay and the like.",
    )
    invoice_pay_fee_only_refund = fields.Boolean(
        string="Fee Refund", readonly=True, copy=False,
        help="A refund of the fee alone: it comes back out of the fee's accounts; the invoices stay paid.",
    )
    invoice_pay_settlement_line_ids = fields.One2many(
        "invoice.pay.settlement.line", "transaction_id", string="Settlement", readonly=True,
    )
    invoice_pay_unapplied_amount = fields.Monetary(
        string="Unapplied Amount", currency_field="currency_id", readonly=True, copy=False,
        help="Part of the payment that could not be applied to the chosen invoices (paid in the "
        "meantime); it stays as an open credit on the customer's account.",
    )
    invoice_pay_note = fields.Char(
        string="Remittance Note", readonly=True, copy=False,
        help="What the customer wrote when paying on the pay page (purchase order, reference, why an "
        "invoice is paid in part). Plain text.",
    )
    invoice_pay_stripe_confirmation_token = fields.Char(
        string="Stripe Confirmation Token", readonly=True, copy=False,
        help="The ConfirmationToken the pay page priced and confirmed this payment with (used once).",
    )

    invoice_pay_stripe_attempted = fields.Boolean(
        string="Stripe Answer Lost", readonly=True, copy=False,
        help="Stripe's answer to the page's request to charge this payment was lost: it is looked up "
        "before any new request.",
    )

    invoice_pay_transfer_expired = fields.Boolean(
        string="Transfer Not Received in Time", readonly=True, copy=False,
        help="A wire transfer chosen on the pay page and not received within the days the company "
        "allows (Settings): its invoices were offered to the customer again. It can still be marked as "
        "received.",
    )
    invoice_pay_can_mark_received = fields.Boolean(
        compute="_compute_invoice_pay_can_mark_received", search="_search_invoice_pay_can_mark_received",
        help="A wire transfer chosen on the pay page, waiting for the money: an accountant marks it as received.",
    )

    _invoice_pay_ctoken_unique = models.UniqueIndex(
        "(invoice_pay_stripe_confirmation_token) WHERE invoice_pay_stripe_confirmation_token IS NOT NULL",
        "This card entry was already used for a payment.",
    )

    @api.depends("state", "provider_id", "invoice_pay_link_id")
    def _compute_invoice_pay_can_mark_received(self):
        for tx in self:
            tx.invoice_pay_can_mark_received = tx._invoice_pay_is_pending_transfer()

    def _search_invoice_pay_can_mark_received(self, operator, value):
        """The transactions :meth:`_invoice_pay_is_pending_transfer` tells, as a domain (Transfers to Receive)."""
        if operator != "in":
            return NotImplemented
        # Billing users do not read providers: the wire transfer ones are looked up as superuser.
        providers = self.env["payment.provider"].sudo()
        if "custom_mode" in providers._fields:  # payment_custom is installed
            providers = providers.search([("code", "=", "custom"), ("custom_mode", "=", "wire_transfer")])
        return [
            ("state", "=", "pending"),
            ("invoice_pay_link_id", "!=", False),
            ("source_transaction_id", "=", False),
            ("operation", "!=", "validation"),
            ("invoice_pay_allocation_ids", "!=", False),
            ("provider_id", "in", providers.ids),
        ]

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `payment` to take the snapshot of the fee of pay page transactions."""
        transactions = super().create(vals_list)
        transactions.filtered(
            lambda tx: tx.invoice_pay_fee_rule_id and tx.invoice_pay_fee > 0 and not tx.source_transaction_id
        )._invoice_pay_snapshot_fee()
        return transactions

    def _invoice_pay_snapshot_fee(self):
        """Record what the fee is and where it goes, as the rule says now."""
        values = []
        for tx in self:
            fee = to_decimal(tx.invoice_pay_fee, tx.currency_id.decimal_places)
            # Labels in the customer's language: receipts and journal items show them as they are.
            rule = tx.invoice_pay_fee_rule_id.sudo().with_company(tx.company_id).with_context(
                lang=tx.partner_id.lang or self.env.lang,
            )
            values += [
                {**line_values, "transaction_id": tx.id, "sequence": sequence}
                for sequence, line_values in enumerate(rule._fee_snapshot_values(fee, tx.currency_id))
            ]
        self.env["invoice.pay.settlement.line"].sudo().create(values)

    @api.model
    def _invoice_pay_card_details(self, provider, card_reference, payment_method=None):
        """What ``provider`` tells of the card the customer is paying with, before the amount is fixed.

        ``payment_method``: the method chosen, which the card entry must have been made for.

        ``card_reference`` is what the page sends for the provider to look up; a
        browser's own claim about a card is never trusted. Each provider that can
        tell overrides :meth:`_invoice_pay_<code>_card_details`; others report an
        unknown card (no surcharge).
        """
        reader = getattr(self, f"_invoice_pay_{provider.code}_card_details", None) if provider else None
        details = reader(provider, card_reference, payment_method=payment_method) if reader and card_reference else None
        return replace(details, reference=card_reference) if details else CardDetails()

    @api.model
    def _invoice_pay_token_card_details(self, payment_token):
        """What the provider tells of the card behind a saved payment method (``payment.token``).

        Providers that can tell override :meth:`_invoice_pay_<code>_token_card_details`;
        others report an unknown card (no surcharge).
        """
        reader = getattr(self, f"_invoice_pay_{payment_token.provider_code}_token_card_details", None)
        return (reader(payment_token) if reader else None) or CardDetails()

    @api.model
    def _invoice_pay_demo_card_details(self, provider, card_reference, payment_method=None):
        """The demo provider: its test card numbers (spaces ignored); any other number is unknown."""
        if not isinstance(card_reference, str) or len(card_reference) > 40:
            return None
        return DEMO_TEST_CARDS.get("".join(card_reference.split()))

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        """Override of `payment`: captures and voids of a page payment stay on its pay link.

        They then appear in the link's history and get their own receipt.
        """
        if self.invoice_pay_link_id and not is_refund:
            custom_create_values.setdefault("invoice_pay_link_id", self.invoice_pay_link_id.id)
        if is_refund and self.env.context.get("invoice_pay_fee_only_refund"):
            custom_create_values.setdefault("invoice_pay_fee_only_refund", True)
        return super()._create_child_transaction(amount, is_refund=is_refund, **custom_create_values)

    def _invoice_pay_fee_left(self):
        """What is left of this booked transaction's fee after its refunds (Decimal)."""
        self.ensure_one()
        decimal_places = self.currency_id.decimal_places
        refunds = self._invoice_pay_booked_refunds()
        returned = refunds.invoice_pay_settlement_line_ids._amounts_by_fee_line()
        return sum(
            (component.amount - returned.get(component.key, Decimal(0))
             for component in self._invoice_pay_fee_lines()._to_fee_components()),
            to_decimal(0, decimal_places),
        )

    def action_invoice_pay_refund_fee(self):
        """Give the customer back what is left of the fee, and only the fee (the business waives it).

        A refund through the provider like any other, booked out of the fee's
        accounts as they were when the customer paid; the invoices stay paid.
        """
        self.ensure_one()
        fee_left = self._invoice_pay_fee_left()
        if not self.payment_id or fee_left <= 0:
            raise UserError(_("There is no fee left to refund on this payment."))
        payment_utils.check_rights_on_recordset(self)
        refund = self.sudo().with_context(payment_backend_action=True, invoice_pay_fee_only_refund=True)._refund(
            amount_to_refund=float(fee_left),
        )
        return refund._build_action_feedback_notification()

    # ------------------------------------------------------------
    # Booking: each confirmation settled exactly, as journal items
    # ------------------------------------------------------------

    def _invoice_pay_page_transaction(self):
        """The pay page transaction this one confirms: itself, or the one it captures part of."""
        self.ensure_one()
        source = self.source_transaction_id
        if source.invoice_pay_allocation_ids and self.operation == source.operation:
            return source
        if self.invoice_pay_allocation_ids and self.operation != "validation":
            return self
        return self.browse()

    def _create_payment(self, **extra_create_values):
        """Override of `account_payment` for pay page payments, their captures and refunds.

        Odoo reconciles a transaction's invoices in its own order; the customer chose
        an amount per invoice, so the journal entry gets one receivable line per
        invoice, each reconciled with its own invoice, and the fee its own lines.
        What each line gets is one settlement plan of ``pay_core.settlement``.
        """
        self.ensure_one()
        if self.operation == "refund" and self.source_transaction_id._invoice_pay_fee_lines():
            write_offs, payment_env = self._invoice_pay_refund_fee_write_offs()
            return super(PaymentTransaction, self.with_env(payment_env))._create_payment(
                write_off_line_vals=write_offs, **extra_create_values
            )
        page_transaction = self._invoice_pay_page_transaction()
        if not page_transaction or self.amount <= 0:
            return super()._create_payment(**extra_create_values)
        return self._invoice_pay_book(page_transaction, **extra_create_values)

    def _invoice_pay_fee_lines(self):
        """The fee as this transaction charged it (its snapshot, or its capture's share)."""
        return self.invoice_pay_settlement_line_ids.filtered(lambda line: line.kind == "fee")

    def _invoice_pay_book(self, page_transaction, **extra_create_values):
        """Book this payment (or capture) of ``page_transaction``: plan, settlement lines, entry."""
        allocations = page_transaction.invoice_pay_allocation_ids
        term_lines = self._invoice_pay_lock_receivable_lines(allocations.invoice_id)
        lines_by_invoice = term_lines.grouped("move_id")
        plan = self._invoice_pay_plan(page_transaction, lines_by_invoice)
        settlement_lines = self._invoice_pay_record_settlement(plan, page_transaction, lines_by_invoice)
        parts = [self._invoice_pay_journal_part(line) for line in settlement_lines if line.kind != "unapplied"]
        unapplied = plan.unapplied_amount
        company = self.provider_id.company_id
        partner = self.partner_id.commercial_partner_id
        if unapplied > 0 or not parts or not parts[0].invoice:
            receivable = partner.with_company(company).property_account_receivable_id
            counterpart = JournalPart(amount=unapplied, account=receivable)
        else:
            counterpart = parts.pop(0)
        self._invoice_pay_set_balances(parts + [counterpart], company)
        payment = self._invoice_pay_new_payment(parts, counterpart, page_transaction, **extra_create_values)
        self._invoice_pay_reconcile(payment, parts + [counterpart], lines_by_invoice)
        # Linked once reconciled, as Odoo's Register Payment does: linked before, every partial
        # would make Odoo look up the payments of all the invoices again.
        payment.invoice_ids = [Command.set(allocations.invoice_id.ids)]
        self._invoice_pay_write_grouped(settlement_lines.filtered("invoice_id"), lambda line: {
            "invoice_residual_after": line.invoice_id.amount_residual,
        })
        self.invoice_pay_fee = float(plan.fee_amount)
        self.invoice_pay_unapplied_amount = float(unapplied)
        page_transaction._invoice_pay_update_allocations()
        if unapplied > 0:
            self._invoice_pay_log_unapplied(payment, unapplied)
        return payment

    def _invoice_pay_plan(self, page_transaction, lines_by_invoice):
        """The settlement plan of this confirmation, from the chosen amounts and what is due now."""
        decimal_places = self.currency_id.decimal_places
        earlier = page_transaction._invoice_pay_booked_captures() - self
        earlier_lines = earlier.invoice_pay_settlement_line_ids
        assigned_before = {}
        for line in earlier_lines.filtered(lambda line: line.invoice_id and line.kind in ("invoice", "unapplied")):
            assigned_before[line.invoice_id.id] = assigned_before.get(line.invoice_id.id, Decimal(0)) + to_decimal(
                line.amount, decimal_places
            )
        claims = [
            InvoiceClaim(
                invoice_id=allocation.invoice_id.id,
                chosen=to_decimal(allocation.amount, decimal_places),
                due_now=self._invoice_pay_due_now(allocation.invoice_id, lines_by_invoice),
                assigned_before=assigned_before.get(allocation.invoice_id.id, Decimal(0)),
            )
            for allocation in page_transaction.invoice_pay_allocation_ids
        ]
        fee_components = page_transaction._invoice_pay_fee_lines()._to_fee_components()
        amount = to_decimal(self.amount, decimal_places)
        if self == page_transaction:
            return plan_payment(amount, claims, fee_components, decimal_places)
        if page_transaction.payment_id:
            # The authorization itself was confirmed and booked (e.g. a webhook after a
            # capture request timed out): this capture's money must not pay the same
            # invoices and fee twice. It stays on the customer's account, noted.
            _logger.warning(
                "Transaction %s: captured after %s was already booked; kept as unapplied",
                self.reference, page_transaction.reference,
            )
            return plan_payment(amount, [], [], decimal_places)
        return plan_capture(
            amount, to_decimal(page_transaction.amount, decimal_places),
            to_decimal(sum(earlier.mapped("amount")), decimal_places), claims, fee_components, decimal_places,
            fee_taken_before=earlier_lines._amounts_by_fee_line(),
        )

    def _invoice_pay_booked_refunds(self):
        """Refunds of this transaction already booked."""
        return self.child_transaction_ids.filtered(lambda child: child.operation == "refund" and child.payment_id)

    def _invoice_pay_booked_captures(self):
        """Captures of this page transaction already booked."""
        return self.child_transaction_ids.filtered(
            lambda child: child.operation == self.operation and child.payment_id
        )

    def _invoice_pay_due_now(self, invoice, lines_by_invoice):
        """What ``invoice`` still owes, in the payment currency (nothing if it cannot take money)."""
        if invoice.state != "posted" or invoice.currency_id != self.currency_id:
            return Decimal(0)
        lines = lines_by_invoice.get(invoice, self.env["account.move.line"])
        return to_decimal(sum(lines.mapped("amount_residual_currency")), self.currency_id.decimal_places)

    def _invoice_pay_record_settlement(self, plan, page_transaction, lines_by_invoice):
        """Store the plan's lines on this transaction; return them in plan order.

        A payment confirmed at once keeps its fee snapshot lines as its fee lines;
        a capture records its share of each of them.
        """
        SettlementLine = self.env["invoice.pay.settlement.line"].sudo()
        fee_lines = page_transaction._invoice_pay_fee_lines()
        receivable = self.partner_id.commercial_partner_id.with_company(
            self.provider_id.company_id
        ).property_account_receivable_id
        invoices = self.env["account.move"].browse(plan.invoice_amounts)
        lines = SettlementLine
        values = []
        for sequence, line in enumerate(plan.lines, start=len(fee_lines)):
            if line.kind == "fee":
                fee_line = fee_lines.browse(line.fee_key)
                if self == page_transaction:
                    lines |= fee_line
                    continue
                values.append({**fee_line._copy_fee_values(line.amount), "sequence": sequence})
            elif line.kind == "invoice":
                invoice = invoices.browse(line.invoice_id)
                values.append({
                    "kind": "invoice",
                    "sequence": sequence,
                    "invoice_id": invoice.id,
                    "name": invoice.name,
                    "amount": float(line.amount),
                    "account_id": lines_by_invoice[invoice][:1].account_id.id,
                })
            else:
                values.append({
                    "kind": "unapplied",
                    "sequence": sequence,
                    "invoice_id": line.invoice_id or False,
                    "name": self.env._("Unapplied"),
                    "amount": float(line.amount),
                    "account_id": receivable.id,
                })
        lines |= SettlementLine.create([{**line_values, "transaction_id": self.id} for line_values in values])
        return lines.sorted(lambda line: (line.kind != "invoice", line.kind != "fee", line.sequence))

    def _invoice_pay_journal_part(self, settlement_line, refund=False):
        """The journal item a settlement line becomes (invoice or fee; unapplied ones are summed)."""
        account = (refund and settlement_line.refund_account_id) or settlement_line.account_id
        if settlement_line.kind == "fee" and not account.active:
            account = self._invoice_pay_replace_archived_account(settlement_line, account, refund)
        return JournalPart(
            amount=to_decimal(settlement_line.amount, self.currency_id.decimal_places),
            account=account,
            name=settlement_line.name,
            invoice=settlement_line.invoice_id if settlement_line.kind == "invoice" else None,
            extra_values=settlement_line._fee_journal_item_extra_values(refund=refund)
            if settlement_line.kind == "fee" else {},
        )

    def _invoice_pay_replace_archived_account(self, settlement_line, account, refund):
        """Where a fee part goes when the account of its snapshot was archived since.

        The provider has taken the money: the payment must be booked. A tax goes to
        its repartition line's account as it is now, an income to the rule's account,
        else to the company's convenience fee account. The line records the account used.
        """
        repartition = settlement_line.refund_tax_repartition_line_id if refund else settlement_line.tax_repartition_line_id
        rule = (self | self.source_transaction_id | self.source_transaction_id.source_transaction_id).invoice_pay_fee_rule_id
        candidates = repartition.account_id if repartition else rule.account_id
        replacement = candidates.filtered("active")[:1] or self.env["invoice.pay.fee.rule"]._get_or_create_fee_account(
            self.company_id
        )
        _logger.info(
            "Transaction %s: fee account %s is archived; %s booked on %s instead",
            self.reference, account.display_name, settlement_line.name, replacement.display_name,
        )
        settlement_line.sudo().write({"refund_account_id" if refund else "account_id": replacement.id})
        return replacement

    def _invoice_pay_new_payment(self, parts, counterpart, page_transaction, **extra_create_values):
        currency = self.currency_id
        partner = self.partner_id.commercial_partner_id
        payment_method_line = self._invoice_pay_payment_method_line()
        # As Odoo's Register Payment creates its payments: the lines are given, none is derived
        # from them (fee tax lines included); the booking updates the allocations once, at its end.
        payment = self.env["account.payment"].with_context(skip_invoice_sync=True, invoice_pay_booking=True).create({
            "amount": self.amount,
            "payment_type": "inbound",
            "currency_id": currency.id,
            "partner_id": partner.id,
            "partner_type": "customer",
            "journal_id": self.provider_id.journal_id.id,
            "company_id": self.provider_id.company_id.id,
            "payment_method_line_id": payment_method_line.id,
            "payment_token_id": self.token_id.id,
            "payment_transaction_id": self.id,
            "memo": self._invoice_pay_memo(page_transaction),
            "destination_account_id": counterpart.account.id,
            "write_off_line_vals": self._invoice_pay_invoice_line_analytics(parts, partner, [
                self._invoice_pay_write_off_vals(part, partner) for part in parts
            ]),
            **extra_create_values,
        }).with_env(self.env)
        payment.with_context(skip_invoice_sync=True, invoice_pay_booking=True).action_post()
        self.payment_id = payment
        return payment

    def _invoice_pay_payment_method_line(self):
        """The provider's payment method line on its journal.

        Odoo makes none for a wire transfer (``payment_custom``): the money arrives as
        any bank transfer does, through the journal's first manual method (by sequence), as
        an accountant registering it by hand would book it.

        :raise UserError: a wire transfer, and the journal has no manual method for incoming payments
        """
        journal = self.provider_id.journal_id
        lines = journal.inbound_payment_method_line_ids
        line = lines.filtered(lambda line: line.payment_provider_id == self.provider_id)
        if not line and self._invoice_pay_is_wire_transfer():
            manual_lines = lines.filtered(lambda line: line.code == "manual" and not line.payment_provider_id)
            line = manual_lines.sorted(lambda line: (line.sequence, line.id))[:1]
            if not line:
                raise UserError(_(
                    "Journal %(journal)s has no manual payment method for incoming payments, which books "
                    "bank transfers. Add one to the journal's incoming payments, then mark the transfer "
                    "as received again.",
                    journal=journal.display_name,
                ))
        return line

    def _invoice_pay_memo(self, page_transaction):
        """The payment's memo: the references, then the customer's note, if any."""
        memo = f"{self.reference} - {self.provider_reference or ''}"
        note = page_transaction.invoice_pay_note
        return f"{memo} - {note}" if note else memo

    def _invoice_pay_customer_note(self):
        """The customer's remittance note of this page payment, or of the payment it captures or refunds."""
        self.ensure_one()
        return self.invoice_pay_note or self.source_transaction_id.invoice_pay_note or ""

    def _invoice_pay_update_allocations(self):
        """What the chosen invoices got from this page transaction's booked payment or captures."""
        self.ensure_one()
        booked = self if self.payment_id else self._invoice_pay_booked_captures()
        booked = booked.filtered(lambda tx: tx.payment_id.state != "canceled")
        applied = {}
        for line in booked.invoice_pay_settlement_line_ids.filtered(lambda line: line.kind == "invoice"):
            applied[line.invoice_id] = applied.get(line.invoice_id, 0.0) + line.amount
        self._invoice_pay_write_grouped(self.invoice_pay_allocation_ids, lambda allocation: {
            "amount_applied": applied.get(allocation.invoice_id, 0.0),
            "invoice_residual_after": allocation.invoice_id.amount_residual,
        })
        if not self.payment_id:
            self.invoice_pay_unapplied_amount = sum(booked.mapped("invoice_pay_unapplied_amount"))

    @api.model
    def _invoice_pay_write_grouped(self, records, values_of):
        """Write ``values_of(record)`` on each of ``records``, one write per distinct set of values.

        A payment over a thousand invoices mostly leaves them all paid: a handful of
        writes instead of one per record.
        """
        groups = {}
        for record in records:
            values = values_of(record)
            key = tuple(sorted(values.items()))
            groups.setdefault(key, [values, []])[1].append(record.id)
        for values, ids in groups.values():
            records.browse(ids).write(values)

    def _invoice_pay_lock_receivable_lines(self, invoices):
        """Lock the open receivable lines of the invoices for the rest of the transaction.

        A payment being registered on the same invoice elsewhere (back office, a
        second tab) either waits for this one, or has already committed, in which
        case PostgreSQL raises a serialization failure and the post-processing is
        retried with the invoice's new amount due.
        """
        term_lines = invoices.line_ids.filtered(lambda line: line.display_type == "payment_term")
        if term_lines:
            # A serialization failure here is expected under concurrency and retried by
            # Odoo: not an error worth a log line.
            with mute_logger("odoo.sql_db"):
                self.env.execute_query(SQL(
                    "SELECT id FROM account_move_line WHERE id IN %s FOR NO KEY UPDATE", tuple(term_lines.ids)
                ))
            term_lines.invalidate_recordset(["amount_residual", "amount_residual_currency", "reconciled"])
        return term_lines.filtered(lambda line: not line.reconciled)

    def _invoice_pay_refund_fee_write_offs(self):
        """Refund of a pay page payment: the fee comes back out of the accounts it went to.

        Odoo's refund is an outbound payment against the receivable only; here the
        share of the fee that is refunded (all of what is left of it on the refund
        that completes the payment) is taken back from the fee's accounts as they
        were when the customer paid, its taxes through their refund repartition,
        and only the rest from the customer's receivable. The invoices stay paid.
        Returns the write-off values of Odoo's refund payment and the environment
        to create it in.
        """
        refunded = self.source_transaction_id
        decimal_places = self.currency_id.decimal_places
        earlier = refunded._invoice_pay_booked_refunds() - self
        fee_lines = refunded._invoice_pay_fee_lines()
        returned_before = earlier.invoice_pay_settlement_line_ids._amounts_by_fee_line()
        if self.invoice_pay_fee_only_refund:
            plan = plan_fee_refund(
                to_decimal(-self.amount, decimal_places), fee_lines._to_fee_components(), decimal_places,
                fee_returned_before=returned_before,
            )
        else:
            plan = plan_refund(
                to_decimal(-self.amount, decimal_places), to_decimal(refunded.amount, decimal_places),
                to_decimal(-sum(earlier.mapped("amount")), decimal_places), fee_lines._to_fee_components(),
                decimal_places, fee_returned_before=returned_before,
            )
        receivable = self.partner_id.commercial_partner_id.with_company(
            self.provider_id.company_id
        ).property_account_receivable_id
        values = [
            {**fee_lines.browse(line.fee_key)._copy_fee_values(line.amount), "sequence": sequence}
            if line.kind == "fee" else
            {"kind": "unapplied", "sequence": sequence, "name": self.env._("Refunded"),
             "amount": float(line.amount), "account_id": receivable.id}
            for sequence, line in enumerate(plan.lines)
        ]
        settlement_lines = self.env["invoice.pay.settlement.line"].sudo().create(
            [{**line_values, "transaction_id": self.id} for line_values in values]
        )
        self.invoice_pay_fee = -float(plan.fee_amount)
        parts = [
            self._invoice_pay_journal_part(line, refund=True)
            for line in settlement_lines.filtered(lambda line: line.kind == "fee")
        ]
        for part in parts:
            part.amount = -part.amount
        self._invoice_pay_set_balances(parts, self.provider_id.company_id)
        partner = self.partner_id.commercial_partner_id
        write_offs = [self._invoice_pay_write_off_vals(part, partner) for part in parts]
        return write_offs, self._invoice_pay_payment_model(parts).env

    def _invoice_pay_payment_model(self, parts):
        """``account.payment``, told to keep our fee tax lines as they are when there are some.

        Odoo recomputes tax lines from taxed base lines; the fee's tax lines are
        computed here (the fee is tax included) and must not be recomputed.
        """
        Payment = self.env["account.payment"]
        if any("tax_repartition_line_id" in part.extra_values for part in parts):
            Payment = Payment.with_context(skip_invoice_sync=True)
        return Payment

    def _invoice_pay_set_balances(self, parts, company):
        """Give each part its balance in company currency, summing exactly to the total's.

        Converting cumulative amounts keeps rounding differences from piling up.
        """
        currency = self.currency_id
        date = fields.Date.context_today(self)
        cumulative_amount = Decimal(0)
        previous_balance = 0.0
        for part in parts:
            cumulative_amount += part.amount
            balance = currency._convert(float(cumulative_amount), company.currency_id, company, date)
            part.balance = balance - previous_balance
            previous_balance = balance

    def _invoice_pay_write_off_vals(self, part, partner):
        return {
            "name": part.name,
            "account_id": part.account.id,
            "partner_id": partner.id,
            "currency_id": self.currency_id.id,
            "amount_currency": -float(part.amount),
            "balance": -part.balance,
            **part.extra_values,
        }

    def _invoice_pay_invoice_line_analytics(self, parts, partner, write_offs):
        """``write_offs`` with the analytic distribution of the invoices' lines, looked up once per account.

        Odoo looks the analytic distribution models up for each journal item it creates:
        a thousand identical lookups for a payment over a thousand invoices (no product,
        the same account, customer and company). Each invoice's receivable line has
        exactly those arguments: Odoo's own lookup is made with it, once per account,
        and its result given to the items. Items it cannot be sure of are left to Odoo.
        """
        Model = self.env["account.analytic.distribution.model"]
        no_root_plans = self.env["account.analytic.plan"]
        distributions = {}
        for part, values in zip(parts, write_offs, strict=True):
            if not part.invoice or "analytic_distribution" in values:
                continue
            if part.account not in distributions:
                term_line = part.invoice.line_ids.filtered(
                    lambda line, account=part.account: line.display_type == "payment_term"
                    and line.account_id == account and line.partner_id == partner and not line.product_id
                )[:1]
                # None: no such line, Odoo looks it up for each item; False: no distribution.
                distributions[part.account] = (Model._get_distribution(
                    term_line._get_analytic_distribution_arguments(no_root_plans)
                ) or False) if term_line else None
            if distributions[part.account] is not None:
                values["analytic_distribution"] = distributions[part.account]
        return write_offs

    def _invoice_pay_reconcile(self, payment, parts, lines_by_invoice):
        """Reconcile each invoice with the payment line made for it, in one batch."""
        _liquidity, receivable_lines, _others = payment._seek_for_lines()
        # Looked up by name once: a payment may cover thousands of invoices.
        line_by_name = {}
        for line in receivable_lines:
            line_by_name.setdefault(line.name, line)
        plan = []
        for part in parts:
            if not part.invoice:
                continue
            payment_line = line_by_name.get(part.name, receivable_lines.browse())
            if not payment_line and part.account == payment.destination_account_id:
                # The counterpart line is named by Odoo, not after the invoice.
                other_names = {other.name for other in parts if other is not part}
                payment_line = receivable_lines.filtered(
                    lambda line, names=other_names: line.name not in names
                )[:1]
            invoice_lines = lines_by_invoice[part.invoice].filtered(
                lambda line, account=payment_line.account_id: line.account_id == account
            )
            if payment_line and invoice_lines:
                plan.append(payment_line + invoice_lines)
        if plan:
            # As Odoo's Register Payment reconciles: reconciling changes no line that others derive from.
            self.env["account.move.line"].with_context(skip_invoice_sync=True)._reconcile_plan(
                [amls.with_context(skip_invoice_sync=True) for amls in plan]
            )

    def _invoice_pay_log_unapplied(self, payment, unapplied):
        partner = self.partner_id.commercial_partner_id
        amount = format_amount(self.env, float(unapplied), self.currency_id)
        _logger.info("Transaction %s: %s could not be applied to its invoices", self.reference, amount)
        partner.sudo().message_post(body=_(
            "Payment %(payment)s: %(amount)s could not be applied to the chosen invoices (already "
            "paid in the meantime). It remains as an open credit on the customer's account.",
            payment=payment.display_name, amount=amount,
        ), author_id=self._invoice_pay_message_author().id)

    # ------------------------------------------------------------
    # Post-processing: history, confirmation, notifications
    # ------------------------------------------------------------

    def _log_message_on_linked_documents(self, message):
        """Override of `account_payment`: one batch of notes for all the invoices paid.

        A payment of the pay page may cover a hundred invoices; Odoo posts a message
        on each, one by one, at every state change.
        """
        self.ensure_one()
        if not self.invoice_pay_link_id or self.source_transaction_id:
            return super()._log_message_on_linked_documents(message)
        invoices = self._get_invoices_to_notify()
        if self.invoice_pay_note:
            message = Markup("{}<br/>{}").format(message, _("Customer's note: %s", self.invoice_pay_note))
        if invoices:
            invoices._message_log_batch(
                bodies=dict.fromkeys(invoices.ids, message), author_id=self._invoice_pay_message_author().id,
            )
            # At commit, Odoo's tracking posts the new payment state on each invoice and
            # reads its messages to thread the new one under the latest: one query per
            # invoice unless they were read before. Read them all at once.
            self.env["mail.message"].sudo().search_fetch(
                [("model", "=", invoices._name), ("res_id", "in", invoices.ids),
                 ("message_type", "!=", "user_notification")],
                ["message_type", "date", "create_date"],
            )
        return None

    def _invoice_pay_message_author(self):
        """Who notes made for this transaction are from, as `account_payment` decides.

        On the pay page the visitor is the public user: the notes are the customer's.
        """
        if self.env.context.get("invoice_pay_customer_author"):
            return self.partner_id  # booked by the cron: still the customer's payment
        if self.env.uid == SUPERUSER_ID or self.env.context.get("payment_backend_action"):
            return self.env.user.partner_id
        return self.partner_id

    def _post_process(self):
        """Override of `payment` to record the payment in the pay link history and tell people.

        A page payment over many invoices is not booked in a web request: the booking
        cron is started instead (see ``BOOK_IN_CRON_ABOVE_INVOICES``). A page payment
        is booked once: another booking of it under way (Odoo's post-processing cron,
        ours, the status page's poll) holds it and it is left out here.
        """
        transactions = self
        if not request and not self.env.context.get("payment_backend_action"):
            # Booked by a cron (ours, or Odoo's post-processing): still the customer's payment.
            transactions = transactions.with_context(invoice_pay_customer_author=True)
        else:
            deferred = self.filtered(lambda tx: tx._invoice_pay_books_in_cron())
            if deferred:
                _logger.info("Transactions %s: booked by the cron (too many invoices for a request)",
                             ", ".join(deferred.mapped("reference")))
                self.env.ref(BOOKING_CRON_XMLID).sudo()._trigger()
            transactions -= deferred
        to_book = transactions.filtered(lambda tx: tx._invoice_pay_booking_pending())
        transactions -= to_book - to_book._invoice_pay_lock_for_booking()
        if not transactions:
            return None
        result = super(PaymentTransaction, transactions)._post_process()
        for tx in transactions.filtered("invoice_pay_link_id"):
            tx._invoice_pay_after_state_change()
        return result

    def _invoice_pay_booking_pending(self):
        """Whether this is a page payment or capture confirmed by its provider and not booked yet."""
        self.ensure_one()
        return (
            self.state == "done"
            and not self.is_post_processed
            and not self.payment_id
            and self.operation not in ("validation", "refund")
            and bool(self._invoice_pay_page_transaction())
            # Its captures and voids book it, not itself (refunds wait for the booking).
            and not any(
                child.state in ("done", "cancel") and child.operation == self.operation
                for child in self.child_transaction_ids
            )
        )

    def action_refund(self, amount_to_refund=None):
        """Override of `payment`: a page payment is refunded once booked on its invoices.

        Odoo books no payment for a transaction one of whose children is done: a refund
        made before the booking cron ran would leave the money received off the books.
        """
        if any(tx._invoice_pay_booking_pending() for tx in self):
            raise UserError(_(
                "This payment is not booked on its invoices yet (a payment over many invoices is "
                "booked within minutes). Refund it once it is booked."
            ))
        return super().action_refund(amount_to_refund=amount_to_refund)

    def _invoice_pay_books_in_cron(self):
        """Whether this confirmation covers too many invoices to be booked within a web request."""
        self.ensure_one()
        return self._invoice_pay_booking_pending() and (
            len(self._invoice_pay_page_transaction().invoice_pay_allocation_ids) > BOOK_IN_CRON_ABOVE_INVOICES
        )

    def _invoice_pay_lock_for_booking(self):
        """Lock these transactions until the end of the database transaction, for their booking.

        Those another booking holds (skipped, not waited for) or has already done are
        left out; the others are returned, read again.
        """
        if not self:
            return self
        self.flush_recordset(["is_post_processed", "state", "payment_id"])
        rows = self.env.execute_query(SQL(
            "SELECT id FROM payment_transaction WHERE id IN %s AND is_post_processed IS NOT TRUE "
            "FOR NO KEY UPDATE SKIP LOCKED",
            tuple(self.ids),
        ))
        locked = self.browse([row[0] for row in rows])
        if len(locked) < len(self):
            _logger.info("Transactions %s: booked or being booked elsewhere, left out",
                         ", ".join((self - locked).mapped("reference")))
        self.invalidate_recordset(["is_post_processed", "state", "payment_id"])
        return locked.filtered(lambda tx: tx._invoice_pay_booking_pending())

    @api.model
    def _cron_invoice_pay_book_payments(self):
        """Book the page payments confirmed and not booked yet (those too big for a web request).

        One by one, each in a savepoint; run by the scheduler, each is committed with
        the cron's progress and the run stops when its time is spent (the scheduler
        runs it again for the rest). A transaction another booking holds is left to
        it; one whose booking fails is logged and tried again on the next runs, for
        ``BOOKING_RETRY_DAYS`` after its confirmation, as Odoo's post-processing does.
        """
        domain = [
            ("invoice_pay_link_id", "!=", False),
            ("state", "=", "done"),
            ("is_post_processed", "=", False),
            ("last_state_change", ">=", fields.Datetime.now() - timedelta(days=BOOKING_RETRY_DAYS)),
        ]
        # All of them in each run, so that payments that cannot be booked never hold back
        # the others; newest first, so that a capture is booked before its authorization.
        transactions = self.sudo().search(domain, order="id desc")
        total = len(transactions)
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        for done, transaction in enumerate(transactions, start=1):
            try:
                with self.env.cr.savepoint():
                    transaction.with_context(invoice_pay_customer_author=True)._post_process()
            except (psycopg2.OperationalError, ConcurrencyError):
                _logger.info("Transaction %s: booking postponed after a database conflict", transaction.reference)
                self.env.ref(BOOKING_CRON_XMLID).sudo()._trigger(fields.Datetime.now() + timedelta(minutes=1))
            except Exception:  # noqa: BLE001 pylint: disable=broad-exception-caught
                # One payment that cannot be booked must not hold back the others.
                _logger.exception("Transaction %s: the payment could not be booked", transaction.reference)
            if in_cron and not self.env["ir.cron"]._commit_progress(1, remaining=total - done):
                return

    def _invoice_pay_after_state_change(self):
        self.ensure_one()
        event = STATE_EVENTS.get(self.state)
        if not event or self.invoice_pay_abandoned:
            return
        if self.source_transaction_id:
            if self.state != "done":
                return  # a void, or a capture refused: the authorization's history says it all
        elif self.state == "done" and not self.payment_id and self.child_transaction_ids.filtered(
            lambda child: child.operation == self.operation and child.state == "done"
        ):
            return  # completed through its captures, each logged and confirmed on its own
        elif self.state == "cancel" and self.child_transaction_ids.filtered(
            lambda child: child.operation == self.operation
        ):
            return  # voided after its authorization: nothing was paid, nothing failed
        Activity = self.env["invoice.pay.link.activity"].sudo()
        if Activity.search_count([("transaction_id", "=", self.id), ("event", "=", event)], limit=1):
            return
        Activity._log_events(
            self.partner_id, event, company=self.company_id,
            transaction_id=self.id, amount=self.amount, currency_id=self.currency_id.id,
        )
        if self.state == "done":
            self._invoice_pay_notify_done()

    def _invoice_pay_notify_done(self):
        """Log the payment and notify the salespeople; queue the customer's confirmation.

        The confirmation email carries the receipt PDF. Printing it here would keep
        the customer's request (and the invoices' locks) waiting for wkhtmltopdf,
        which loads its styles from this same server: a cron sends it instead.
        """
        partner = self.partner_id.commercial_partner_id
        if self.partner_id.email or partner.email:
            self.invoice_pay_confirmation_pending = True
            self.env.ref("invoice_public_pay.ir_cron_send_invoice_pay_confirmations")._trigger()
        salespeople = (partner.user_id | self.invoice_pay_allocation_ids.invoice_id.invoice_user_id).partner_id
        body = self.env["ir.qweb"]._render("invoice_public_pay.invoice_pay_payment_note", {"tx": self})
        partner.sudo().message_post(
            body=body,
            author_id=self._invoice_pay_message_author().id,
            partner_ids=salespeople.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _cron_send_invoice_pay_confirmations(self, limit=50):
        """Email the confirmation, with the receipt, of payments done on the pay page.

        Each transaction on its own: an email that cannot be made (rendering, printing)
        is rolled back to its savepoint, the transaction marked failed and noted on the
        customer, never tried again; the others still go. Run by the scheduler, each
        one is committed with the cron's progress, and the run stops when its time is
        spent (the scheduler runs it again for the rest).
        """
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_confirmation", raise_if_not_found=False)
        domain = [("invoice_pay_confirmation_pending", "=", True)]
        transactions = self.sudo().search(domain, limit=limit)
        total = len(transactions) if len(transactions) < limit else self.sudo().search_count(domain)
        # Outside the scheduler (tests, shell, a caller's transaction) nothing is committed here.
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        for done, transaction in enumerate(transactions, start=1):
            try:
                with self.env.cr.savepoint():
                    if template:
                        template.send_mail(
                            transaction.id, email_layout_xmlid="mail.mail_notification_light",
                            email_values=transaction._invoice_pay_receipt_email_values(),
                        )
            except (psycopg2.OperationalError, ConcurrencyError):
                # A lock or serialization conflict passes: this one stays pending for the next run.
                _logger.info("Transaction %s: confirmation email postponed after a database conflict",
                             transaction.reference)
                if not in_cron:
                    self.env.ref("invoice_public_pay.ir_cron_send_invoice_pay_confirmations")._trigger()
                return
            except Exception:  # noqa: BLE001 pylint: disable=broad-exception-caught
                # Whatever broke this one email must not hold back the others.
                _logger.warning("Transaction %s: the confirmation email could not be sent",
                                transaction.reference, exc_info=True)
                transaction.invoice_pay_confirmation_failed = True
                transaction.partner_id.commercial_partner_id.message_post(body=_(
                    "The confirmation email of payment %s could not be sent to the customer.",
                    transaction.reference,
                ))
            transaction.invoice_pay_confirmation_pending = False
            if in_cron and not self.env["ir.cron"]._commit_progress(1, remaining=total - done):
                return
        if not in_cron and len(transactions) == limit:
            self.env.ref("invoice_public_pay.ir_cron_send_invoice_pay_confirmations")._trigger()

    def _update_state(self, allowed_states, target_state, state_message):
        """Override of `payment`: a page payment cancelled as abandoned may still be confirmed.

        Providers confirm or authorize late (webhooks, bank methods); the money they
        took must be booked, not refused. ``cancel`` is an allowed source state of
        ``done`` and ``authorized`` for those transactions only.
        """
        if target_state not in ("done", "authorized"):
            return super()._update_state(allowed_states, target_state, state_message)
        abandoned = self._invoice_pay_abandoned_to_revive()
        updated = super(PaymentTransaction, self - abandoned)._update_state(allowed_states, target_state, state_message)
        if abandoned:
            updated |= super(PaymentTransaction, abandoned)._update_state(
                (*allowed_states, "cancel"), target_state, state_message,
            )
        return updated

    def _invoice_pay_abandoned_to_revive(self):
        """Those of these transactions cancelled as abandoned, now confirmed by their provider."""
        abandoned = self.filtered(lambda tx: tx.invoice_pay_abandoned and tx.state == "cancel")
        for tx in abandoned:
            tx.invoice_pay_abandoned = False
            _logger.info("Transaction %s: confirmed by the provider after it was cancelled as abandoned", tx.reference)
            tx.partner_id.commercial_partner_id.sudo().message_post(
                body=_(
                    "Payment %(reference)s, cancelled as abandoned on the pay page, was confirmed by the "
                    "payment provider afterwards: it is booked as usual.",
                    reference=tx.reference,
                ),
                author_id=tx.partner_id.id,
            )
        return abandoned

    @api.autovacuum
    def _gc_invoice_pay_abandoned_transactions(self):
        """Cancel page transactions left in draft for two days: the customer never paid.

        Odoo leaves such drafts behind forever; here they are cancelled, not
        deleted, so that the history stays complete, and they change no invoice.
        """
        limit = fields.Datetime.now() - timedelta(days=ABANDONED_AFTER_DAYS)
        abandoned = self.sudo().search([
            ("invoice_pay_link_id", "!=", False),
            ("source_transaction_id", "=", False),
            ("state", "=", "draft"),
            ("create_date", "<", limit),
        ])
        abandoned.invoice_pay_abandoned = True
        abandoned._set_canceled(state_message=_("Abandoned on the public pay page."))

    # ------------------------------------------------------------
    # Wire transfers (Odoo's payment_custom, when installed)
    # ------------------------------------------------------------

    def _invoice_pay_is_wire_transfer(self):
        """Whether this transaction is paid by Odoo's wire transfer provider (``payment_custom``)."""
        self.ensure_one()
        provider = self.provider_id.sudo()
        # payment_custom is not a dependency: without it no provider has a custom mode.
        return (
            provider.code == "custom"
            and "custom_mode" in provider._fields
            and provider.custom_mode == "wire_transfer"
        )

    def _invoice_pay_is_pending_transfer(self):
        """Whether this is a wire transfer chosen on the pay page, waiting for the money."""
        self.ensure_one()
        return (
            self.state == "pending"
            and bool(self.invoice_pay_link_id)
            and not self.source_transaction_id
            and self.operation != "validation"
            and bool(self.invoice_pay_allocation_ids)
            and self._invoice_pay_is_wire_transfer()
        )

    def _get_communication(self):
        """Override of `payment_custom`: a pay page transfer of several invoices is quoted by its reference.

        A transfer of one invoice quotes what Odoo gives, the invoice's payment reference:
        a structured one (BE +++…+++, RF creditor reference) is what banks and
        reconciliation models match on. Odoo would give the first invoice's for several;
        each gets the amount the customer chose: the accountant marking the transfer
        received finds the transaction by its reference, which books the rest.
        """
        self.ensure_one()
        if self.invoice_pay_link_id and not self.source_transaction_id and len(self.invoice_ids) > 1:
            return self.reference
        return super()._get_communication()

    def action_invoice_pay_mark_received(self):
        """Confirm a pay page wire transfer whose money arrived, and book it on its invoices.

        The accountant confirms what no provider will: the transaction is done, then
        post-processed as a card payment is (one payment, one receivable line per
        invoice reconciled with it for what the settlement plan gives it; no fee).
        The row is locked first: a second click or a second accountant waits, then
        finds it received. A transfer past its days (no longer held as processing)
        can still be marked: what its invoices no longer owe stays as open credit.

        :raise UserError: the transaction is not a pay page transfer waiting for its money, or
            its journal cannot book it (nothing is changed)
        """
        self.ensure_one()
        payment_utils.check_rights_on_recordset(self)
        tx = self.sudo()
        tx.flush_recordset()
        tx.env.execute_query(SQL("SELECT id FROM payment_transaction WHERE id = %s FOR NO KEY UPDATE", tx.id))
        tx.invalidate_recordset()
        if tx.state == "done" and tx.invoice_pay_link_id and tx._invoice_pay_is_wire_transfer():
            raise UserError(_("Transfer %s was already marked as received.", tx.reference))
        if not tx._invoice_pay_is_pending_transfer():
            raise UserError(_(
                "Only a wire transfer chosen on the public pay page and waiting for the money can be "
                "marked as received (transaction %s).", tx.reference,
            ))
        tx._invoice_pay_payment_method_line()  # a journal that cannot book it refuses before any change
        _logger.info("Transaction %s: transfer marked as received by user %s", tx.reference, self.env.uid)
        tx = tx.with_context(payment_backend_action=True)
        tx._set_done(state_message=_("Transfer received, marked by %s.", self.env.user.name))
        tx.invoice_pay_transfer_expired = False
        tx._post_process()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if tx.invoice_pay_unapplied_amount else "success",
                "message": tx._invoice_pay_received_message(),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _invoice_pay_received_message(self):
        """What the accountant who marked this transfer as received is told of its booking."""
        self.ensure_one()
        if not self.payment_id:
            return _("Transfer %s is received; it is being booked on its invoices.", self.reference)
        currency = self.currency_id
        credit = self.invoice_pay_unapplied_amount
        if currency.is_zero(credit):
            return _("Transfer %s is received and booked on its invoices.", self.reference)
        applied = currency.round(self.amount - credit)
        if currency.is_zero(applied):
            return _(
                "Transfer %(reference)s is received and booked: %(credit)s kept as credit on the customer's "
                "account, as its invoices were paid meanwhile.",
                reference=self.reference, credit=format_amount(self.env, credit, currency),
            )
        return _(
            "Transfer %(reference)s is received and booked: %(applied)s on its invoices, %(credit)s kept as "
            "credit on the customer's account, as the invoices were paid meanwhile.",
            reference=self.reference, applied=format_amount(self.env, applied, currency),
            credit=format_amount(self.env, credit, currency),
        )

    @api.model
    def _cron_invoice_pay_expire_transfers(self):
        """Stop holding the invoices of pay page transfers not received in the company's days.

        Each is flagged once (no longer processing: its invoices are offered again),
        noted on the customer and in the link's history, and logged. It stays pending:
        the money may still come, and an accountant may still mark it as received.
        """
        if "custom_mode" not in self.env["payment.provider"]._fields:
            return  # payment_custom is not installed: no wire transfers
        now = fields.Datetime.now()
        companies = self.env["res.company"].sudo().search([("invoice_pay_transfer_expiry_days", ">", 0)])
        for company in companies:
            transfers = self.sudo().search([
                ("company_id", "=", company.id),
                ("invoice_pay_link_id", "!=", False),
                ("source_transaction_id", "=", False),
                ("state", "=", "pending"),
                ("provider_id.custom_mode", "=", "wire_transfer"),
                ("invoice_pay_transfer_expired", "=", False),
                ("last_state_change", "<", now - timedelta(days=company.invoice_pay_transfer_expiry_days)),
            ])
            transfers.invoice_pay_transfer_expired = True
            for tx in transfers:
                tx._invoice_pay_log_transfer_expired(company.invoice_pay_transfer_expiry_days)

    def _invoice_pay_log_transfer_expired(self, days):
        self.ensure_one()
        _logger.info("Transaction %s: wire transfer not received after %s days, no longer processing",
                     self.reference, days)
        # Written by the cron as superuser: in the customer's language, as the rest of their history.
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        amount = format_amount(env, self.amount, self.currency_id)
        self.partner_id.commercial_partner_id.message_post(body=env._(
            "Wire transfer %(reference)s of %(amount)s, chosen on the pay page, was not received within "
            "%(days)s days: its invoices are no longer shown as being paid and the customer may pay them "
            "again. If the money arrives, mark the transaction as received.",
            reference=self.reference, amount=amount, days=days,
        ))
        self.env["invoice.pay.link.activity"]._log_events(
            self.partner_id, "transfer_expired", company=self.company_id,
            transaction_id=self.id, amount=self.amount, currency_id=self.currency_id.id,
        )

    def _invoice_pay_fee_label(self):
        """Label of the fee line on receipts and messages: as recorded when the customer paid."""
        self.ensure_one()
        fee_lines = (self._invoice_pay_fee_lines() or self.source_transaction_id._invoice_pay_fee_lines())
        income = fee_lines.filtered(lambda line: not line.tax_id)[:1] or fee_lines[:1]
        if income.name:
            return income.name
        rule = self.invoice_pay_fee_rule_id or self.source_transaction_id.invoice_pay_fee_rule_id
        if rule:
            return rule.with_context(lang=self.partner_id.lang or self.env.lang)._fee_label()
        return _("Convenience fee")

    def _invoice_pay_label(self):
        """What the payment paid, as the customer reads it: the invoice's number, or "3 invoices"."""
        self.ensure_one()
        invoices = self.invoice_pay_allocation_ids.invoice_id or self.invoice_ids
        if len(invoices) == 1:
            return invoices.name
        return self.env._("%s invoices", len(invoices))

    def _get_report_base_filename(self):
        """File name of printed receipts (used by the portal's report download)."""
        self.ensure_one()
        return _("Receipt %s", self.reference)

    # ------------------------------------------------------------
    # Printed receipts
    # ------------------------------------------------------------

    def _invoice_pay_get_receipt_report(self):
        """The receipt layout chosen in the settings of the transaction's company (sudo)."""
        self.ensure_one()
        return self.company_id._invoice_pay_get_receipt_report()

    def _invoice_pay_receipt_summary(self):
        """What this transaction put where, as booked: its own settlement, or its captures'.

        A payment cancelled in the back office applied nothing anymore.
        """
        self.ensure_one()
        booked = self if self.payment_id else self._invoice_pay_booked_captures()
        booked = booked.filtered(lambda tx: tx.payment_id.state != "canceled")
        lines = booked.invoice_pay_settlement_line_ids
        by_invoice = {}
        for line in lines.filtered(lambda line: line.kind == "invoice"):
            amount, _residual = by_invoice.get(line.invoice_id, (0.0, 0.0))
            by_invoice[line.invoice_id] = (amount + line.amount, line.invoice_residual_after)
        fee = sum(lines.filtered(lambda line: line.kind == "fee").mapped("amount"))
        unapplied = sum(lines.filtered(lambda line: line.kind == "unapplied").mapped("amount"))
        return ReceiptSummary(
            invoice_lines=[ReceiptLine(invoice, amount, residual) for invoice, (amount, residual) in by_invoice.items()],
            fee=fee,
            unapplied=unapplied,
            total=sum(booked.mapped("amount")),
        )

    def _invoice_pay_amount_in_words(self):
        """The total paid in words, in the customer's language.

        Odoo's ``res.currency.amount_to_text`` names the currency's units and falls
        back to English where ``num2words`` does not know the language.
        """
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        return self.currency_id.with_context(lang=lang).amount_to_text(self._invoice_pay_receipt_summary().total)

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
        try:
            content = self._invoice_pay_receipt_content()
        except UserError:
            _logger.warning("Transaction %s: the receipt could not be printed for the confirmation email",
                            self.reference, exc_info=True)
            return {}
        return {"attachments": [(self._invoice_pay_receipt_filename(), base64.b64encode(content))]}

    def _invoice_pay_receipt_filename(self):
        customer_self = self.with_context(lang=self.partner_id.lang or self.env.lang)
        return f"{customer_self._get_report_base_filename()}.pdf".replace("/", "-")

    # ------------------------------------------------------------
    # Stored receipts: rendered once, made again when what they show changes
    # ------------------------------------------------------------

    def _invoice_pay_receipt_fingerprint(self):
        """A checksum of what the receipt shows: layout, language, state and settlement.

        A capture, a refund or a back-office Cancel changes the settlement the
        receipt reads, hence the checksum: the stored receipt is then made again.
        """
        self.ensure_one()
        summary = self._invoice_pay_receipt_summary()
        report = self._invoice_pay_get_receipt_report()
        layout = self.env["ir.ui.view"].sudo().search([("key", "=", report.report_name)], limit=1)
        shown = (
            report.id, str(report.write_date), str(layout.write_date), self.partner_id.lang or self.env.lang,
            self.reference, self.state, self.partner_id.display_name, self.company_id.name,
            self._invoice_pay_fee_label(),
            [(line.invoice.id, line.invoice.name, line.amount, line.residual_after) for line in summary.invoice_lines],
            summary.fee, summary.unapplied, summary.total,
        )
        return hashlib.sha256(repr(shown).encode()).hexdigest()

    def _invoice_pay_stored_receipt(self):
        """The stored receipt PDF of what the receipt shows now (sudo), if any."""
        self.ensure_one()
        return find_stored_pdf(self, RECEIPT_ATTACHMENT_MARK, self._invoice_pay_receipt_fingerprint())

    def _invoice_pay_render_receipt(self):
        """Render the receipt and store it on the transaction, replacing older ones; return its content."""
        self.ensure_one()
        report = self._invoice_pay_get_receipt_report()
        content, _report_format = report.with_company(self.company_id)._render_qweb_pdf(report, self.ids)
        return store_pdf(
            self, RECEIPT_ATTACHMENT_MARK, self._invoice_pay_receipt_fingerprint(),
            self._invoice_pay_receipt_filename(), content,
        )

    def _invoice_pay_receipt_content(self):
        """The receipt as the customer gets it: the stored PDF, else rendered (and stored) now."""
        stored = self._invoice_pay_stored_receipt()
        return stored.raw if stored else self._invoice_pay_render_receipt()

    # ------------------------------------------------------------
    # Stripe: the card read before the amount is fixed (see stripe_helpers.py)
    # ------------------------------------------------------------

    @api.model
    def _invoice_pay_stripe_card_details(self, provider, card_reference, payment_method=None):
        """The card of a ConfirmationToken the page created, as Stripe previews it.

        :raise ValidationError: the token is unknown, expired or used, made for another
            kind of payment method than ``payment_method``, or Stripe cannot be reached
        """
        token = self._invoice_pay_stripe_read_confirmation_token(provider, card_reference)
        preview = token.get("payment_method_preview") or {}
        if payment_method and preview.get("type") != stripe_payment_method_type(payment_method):
            # A card entered under another method (or the reverse) would be priced as that method.
            raise ValidationError(self._invoice_pay_card_unreadable_message())
        card = preview.get("card") if preview.get("type") == "card" else None
        return card_details_from_stripe(card, reference=card_reference)

    @api.model
    def _invoice_pay_stripe_read_confirmation_token(self, provider, token_id):
        """The ConfirmationToken ``token_id`` as a dict, if it can still pay once."""
        if not is_confirmation_token_id(token_id):
            raise ValidationError(self._invoice_pay_card_unreadable_message())
        client = provider._invoice_pay_stripe_client()
        try:
            token = client.v1.confirmation_tokens.retrieve(token_id).to_dict()
        except stripe.InvalidRequestError as error:
            _logger.info("Stripe refused ConfirmationToken %s of provider %s: %s", token_id, provider.id, error)
            raise ValidationError(self._invoice_pay_card_unreadable_message()) from error
        except stripe.StripeError as error:
            raise ValidationError(self._invoice_pay_stripe_unavailable_message(provider, error)) from error
        expires_at = token.get("expires_at")
        if token.get("payment_intent") or token.get("setup_intent") or (expires_at and expires_at <= time.time()):
            raise ValidationError(self._invoice_pay_card_unreadable_message())
        if self.sudo().search_count([("invoice_pay_stripe_confirmation_token", "=", token_id)], limit=1):
            raise ValidationError(self._invoice_pay_card_unreadable_message())
        return token

    @api.model
    def _invoice_pay_stripe_token_card_details(self, payment_token):
        """The card of a saved Stripe payment method, read from its PaymentMethod."""
        if not payment_token.stripe_payment_method:
            return CardDetails()
        client = payment_token.provider_id._invoice_pay_stripe_client()
        try:
            payment_method = client.v1.payment_methods.retrieve(payment_token.stripe_payment_method).to_dict()
        except stripe.StripeError as error:
            raise ValidationError(
                self._invoice_pay_stripe_unavailable_message(payment_token.provider_id, error)
            ) from error
        return card_details_from_stripe(payment_method.get("card"))

    @api.model
    def _invoice_pay_card_unreadable_message(self):
        return _("Your card details could not be read any more. Please enter your card again.")

    @api.model
    def _invoice_pay_stripe_unavailable_message(self, provider, error):
        _logger.warning("Stripe could not be reached for provider %s: %s", provider.id, error)
        return _("The card could not be checked right now. Please try again in a moment.")

    def _invoice_pay_is_stripe_confirmed_here(self):
        """Whether this is a page payment that the server confirms with a priced card entry."""
        self.ensure_one()
        return (
            self.provider_code == "stripe"
            and self.operation == "online_direct"
            and bool(self.invoice_pay_stripe_confirmation_token)
        )

    def _get_specific_processing_values(self, processing_values):
        """Override of `payment_stripe`: a pay page payment whose card was read is not charged yet.

        The transaction is committed first; the page then asks the server to charge
        it (``_invoice_pay_stripe_confirm``, a request of its own), so that whatever
        happens to that request, Stripe's payment always has its transaction: its
        webhook finds it by reference, and a retry replays the same request.
        """
        if not self._invoice_pay_is_stripe_confirmed_here():
            return super()._get_specific_processing_values(processing_values)
        return {"invoice_pay_stripe_confirm": True, "invoice_pay_access_token": self._invoice_pay_access_token()}

    def _invoice_pay_access_token(self):
        """What the browser that created this payment shows to have it charged (``/stripe-confirm``)."""
        self.ensure_one()
        return payment_utils.generate_access_token(self.reference, self.amount, self.invoice_pay_link_id.id)

    def _process(self, provider_code, payment_data):
        """Override of `payment`: a pay page payment only takes news of its own PaymentIntent.

        Stripe's return route fetches whatever PaymentIntent its URL names: another
        payment's intent must neither make this one done nor, by its amount, fail it.
        """
        tx = self or self._search_by_reference(provider_code, payment_data)
        if provider_code == "stripe" and len(tx) == 1 and tx._invoice_pay_is_foreign_intent(payment_data):
            _logger.warning(
                "Transaction %s: ignored Stripe data of PaymentIntent %s, which is not its own",
                tx.reference, (payment_data.get("payment_intent") or {}).get("id"),
            )
            return tx
        return super(PaymentTransaction, tx)._process(provider_code, payment_data)

    def _invoice_pay_is_foreign_intent(self, payment_data):
        """Whether ``payment_data`` tells of another PaymentIntent than this page payment's own."""
        self.ensure_one()
        intent = payment_data.get("payment_intent")
        if (
            not isinstance(intent, dict)
            or not self.invoice_pay_link_id
            or self.source_transaction_id
            or self.operation not in ("online_direct", "online_token")
        ):
            return False
        reference = (intent.get("metadata") or {}).get("odoo_reference", self.reference)
        return (
            intent.get("description") != self.reference
            or reference != self.reference
            or bool(self.provider_reference and intent.get("id") != self.provider_reference)
        )

    def _invoice_pay_stripe_return_url(self):
        base_url = self.provider_id.get_base_url()
        return urljoin(base_url, f"{StripeController._return_url}?{url_encode({'reference': self.reference})}")

    def _invoice_pay_stripe_payment_intent_params(self):
        """The PaymentIntent of this transaction, created and confirmed in one request.

        The same on every call for one transaction: a retry with the same idempotency
        key is then answered with the first request's result.
        """
        params = {
            "amount": stripe_minor_amount(self.amount, self.currency_id),
            "currency": self.currency_id.name.lower(),
            "description": self.reference,
            "capture_method": "manual" if self.provider_id.capture_manually else "automatic",
            "payment_method_types": [stripe_payment_method_type(self.payment_method_id)],
            "confirm": True,
            "confirmation_token": self.invoice_pay_stripe_confirmation_token,
            "return_url": self._invoice_pay_stripe_return_url(),
            "expand": ["payment_method", "latest_charge"],
            "metadata": {"odoo_reference": self.reference, "invoice_pay_link": str(self.invoice_pay_link_id.id)},
        }
        if self.tokenize:
            params["customer"] = self._invoice_pay_stripe_create_customer()
            params["setup_future_usage"] = "off_session"
        return params

    def _invoice_pay_stripe_create_customer(self):
        """A Stripe Customer for a card the customer asked to save (the id; the same one on a retry)."""
        client = self.provider_id._invoice_pay_stripe_client()
        customer = client.v1.customers.create(
            params={
                "name": self.partner_name or "",
                "email": self.partner_email or "",
                "description": f"Odoo Partner: {self.partner_id.name} (id: {self.partner_id.id})",
            },
            options={"idempotency_key": payment_utils.generate_idempotency_key(self, scope="customers")},
        )
        return customer.id

    def _invoice_pay_stripe_find_intent(self):
        """The PaymentIntent Stripe made for this transaction, if an earlier answer was lost (dict or None).

        Stripe keeps an error answer under its idempotency key too: replaying the request
        would only give it back. Search may lag behind by a minute; the webhook books
        the payment meanwhile.
        """
        client = self.provider_id._invoice_pay_stripe_client()
        reference = self.reference.replace("\\", "\\\\").replace("'", "\\'")
        found = client.v1.payment_intents.search(params={
            "query": f"metadata['odoo_reference']:'{reference}'",
            "expand": ["data.payment_method", "data.latest_charge"],
        })
        intents = [intent for intent in found.to_dict().get("data", []) if intent.get("description") == self.reference]
        return intents[0] if intents else None

    def _invoice_pay_stripe_confirm(self):
        """Create and confirm the PaymentIntent of this committed transaction; what the page needs next.

        :return: ``status`` (Stripe's, or ``error``, or ``retry`` when Stripe's answer
            was lost: the same call may be made again, Stripe charges once),
            ``client_secret`` for 3-D Secure, ``payment_intent``, ``return_url`` and
            ``error`` (a message for the customer)
        """
        self.ensure_one()
        client = self.provider_id._invoice_pay_stripe_client()
        values = {"return_url": self._invoice_pay_stripe_return_url()}
        unknown = {**values, "status": "retry", "error": _(
            "The card processor did not answer. Please try again: you will not be charged twice."
        )}
        try:
            # An earlier answer was lost: what Stripe did is looked up, not asked again.
            intent = self.invoice_pay_stripe_attempted and self._invoice_pay_stripe_find_intent()
            if intent:
                return self._invoice_pay_stripe_take_intent(intent, values)
            intent = client.v1.payment_intents.create(
                params=self._invoice_pay_stripe_payment_intent_params(),
                options={"idempotency_key": payment_utils.generate_idempotency_key(self, scope="payment_intents")},
            ).to_dict()
        except stripe.CardError as error:
            # Declined: Stripe made the PaymentIntent and left it waiting for another card.
            message = error.user_message or _("Your card was declined.")
            self._set_error(message)
            return {**values, "status": "error", "error": message}
        except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError, stripe.IdempotencyError) as error:
            # Stripe may have charged: the transaction stays as it is, for Stripe's webhook or another try.
            _logger.warning("Transaction %s: Stripe's answer to the payment is unknown: %s", self.reference, error)
            self.invoice_pay_stripe_attempted = True
            return unknown
        except stripe.StripeError as error:
            if self.invoice_pay_stripe_attempted:
                _logger.warning("Transaction %s: Stripe's payment could not be looked up: %s", self.reference, error)
                return unknown
            _logger.warning("Stripe refused the payment of transaction %s: %s", self.reference, error)
            message = _("The payment could not be processed and nothing was charged. Please try again.")
            self._set_error(message)
            return {**values, "status": "error", "error": message}
        return self._invoice_pay_stripe_take_intent(intent, values)

    def _invoice_pay_stripe_take_intent(self, intent, values):
        """Update this transaction from its PaymentIntent; what the page needs next."""
        # payment_stripe reads the charge of a payment under its API version's name.
        latest_charge = intent.get("latest_charge")
        intent["charges"] = {"data": [latest_charge if isinstance(latest_charge, dict) else {}]}
        payment_data = {"reference": self.reference}
        StripeController._include_payment_intent_in_payment_data(intent, payment_data)
        self._process("stripe", payment_data)
        return {
            **values,
            "status": intent.get("status"),
            "client_secret": intent.get("client_secret") or "",
            "payment_intent": intent.get("id"),
        }
