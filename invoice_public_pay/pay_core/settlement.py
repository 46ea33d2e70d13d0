"""How one provider confirmation is settled: what each invoice, the fee and the rest get.

A page payment reaches the books in one of three ways: confirmed at once (the
provider captures automatically), captured in one or several parts (manual
capture), or given back (refunds). Each confirmation is settled by one
:class:`SettlementPlan`, computed here on exact decimals; the Odoo layer only
turns its lines into journal items and reconciles them.

The fee is handed over as :class:`FeeComponent` parts (its income and each of
its taxes, as charged when the customer paid). Parts of the fee that follow a
partial capture or a refund are proportional to the *cumulative* amount
captured or refunded, so successive parts always add up to exactly the fee.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .money import round_money

#: Kinds of settlement lines: money for an invoice, part of the fee (income or a
#: tax), money that stays on the customer's account (an invoice paid meanwhile,
#: or the receivable side of a refund).
LINE_KINDS = frozenset({"invoice", "fee", "unapplied"})


class SettlementError(ValueError):
    """The confirmation cannot be settled as asked (a programming or data error)."""


@dataclass(frozen=True)
class FeeComponent:
    """One journal item of the fee as it was charged: its income or one of its taxes.

    ``key`` is the caller's identifier of the part (a snapshot line, say);
    ``amount`` is positive, in the payment currency.
    """

    key: int
    amount: Decimal


@dataclass(frozen=True)
class InvoiceClaim:
    """What the customer chose to pay on one invoice, and what it still owes now.

    ``assigned_before`` is what earlier captures of the same payment already
    assigned to the invoice (applied or not): a capture never assigns more than
    ``chosen`` in total.
    """

    invoice_id: int
    chosen: Decimal
    due_now: Decimal
    assigned_before: Decimal = Decimal(0)


@dataclass(frozen=True)
class SettlementLine:
    """One part of a settlement.

    ``kind`` is one of :data:`LINE_KINDS`. ``invoice_id`` names the invoice of an
    ``invoice`` line, and of an ``unapplied`` line whose invoice was paid
    meanwhile; ``fee_key`` names the :class:`FeeComponent` of a ``fee`` line.
    """

    kind: str
    amount: Decimal
    invoice_id: int | None = None
    fee_key: int | None = None

    def __post_init__(self):
        if self.kind not in LINE_KINDS:
            raise ValueError(f"unknown settlement line kind {self.kind!r}")


@dataclass(frozen=True)
class SettlementPlan:
    """The whole of one confirmation: its lines add up exactly to ``amount``."""

    amount: Decimal
    lines: tuple[SettlementLine, ...]

    def __post_init__(self):
        total = sum((line.amount for line in self.lines), Decimal(0))
        if total != self.amount:
            raise SettlementError(f"settlement lines add up to {total}, not {self.amount}")
        if any(line.amount < 0 for line in self.lines):
            raise SettlementError("settlement lines are never negative")

    def lines_of(self, kind: str) -> tuple[SettlementLine, ...]:
        """The lines of one kind, in plan order."""
        return tuple(line for line in self.lines if line.kind == kind)

    @property
    def invoice_amounts(self) -> dict[int, Decimal]:
        """Amount applied to each invoice, by invoice id."""
        return {line.invoice_id: line.amount for line in self.lines_of("invoice")}

    @property
    def fee_amount(self) -> Decimal:
        """The fee of this confirmation, taxes included."""
        return sum((line.amount for line in self.lines_of("fee")), Decimal(0))

    @property
    def unapplied_amount(self) -> Decimal:
        """What stays on the customer's account."""
        return sum((line.amount for line in self.lines_of("unapplied")), Decimal(0))


def plan_payment(
    amount: Decimal,
    claims: Sequence[InvoiceClaim],
    fee_components: Sequence[FeeComponent],
    decimal_places: int,
) -> SettlementPlan:
    """Settle a payment confirmed in full: a capture of everything at once."""
    return plan_capture(amount, amount, Decimal(0), claims, fee_components, decimal_places)


def plan_capture(
    captured: Decimal,
    authorized: Decimal,
    captured_before: Decimal,
    claims: Sequence[InvoiceClaim],
    fee_components: Sequence[FeeComponent],
    decimal_places: int,
    fee_taken_before: Mapping[int, Decimal] | None = None,
) -> SettlementPlan:
    """Settle ``captured`` out of an ``authorized`` payment of which ``captured_before`` was taken.

    The fee follows the capture in proportion (all of what remains of it on the
    capture that completes the authorized amount); ``fee_taken_before`` is what
    earlier captures took of each fee part, by key. The rest goes to the invoices
    in the order of ``claims`` (oldest due first), each up to what the customer
    chose minus what earlier captures assigned to it; what an invoice cannot take
    any more (paid meanwhile) stays unapplied, named after that invoice.
    """
    _check_amounts(captured, authorized, captured_before)
    if sum((component.amount for component in fee_components), Decimal(0)) > authorized:
        raise SettlementError("the fee is larger than the payment")
    lines = _proportional_fee_lines(
        fee_components, fee_taken_before or {}, authorized, captured_before, captured, decimal_places
    )
    remaining = captured - sum((line.amount for line in lines), Decimal(0))
    invoice_lines, unapplied_lines = [], []
    for claim in claims:
        if remaining <= 0:
            break
        assigned = min(remaining, max(claim.chosen - claim.assigned_before, Decimal(0)))
        if assigned <= 0:
            continue
        remaining -= assigned
        applied = min(assigned, max(claim.due_now, Decimal(0)))
        if applied > 0:
            invoice_lines.append(SettlementLine("invoice", applied, invoice_id=claim.invoice_id))
        if assigned > applied:
            unapplied_lines.append(SettlementLine("unapplied", assigned - applied, invoice_id=claim.invoice_id))
    if remaining > 0:
        unapplied_lines.append(SettlementLine("unapplied", remaining))
    return SettlementPlan(captured, tuple(invoice_lines + lines + unapplied_lines))


def plan_refund(
    refund: Decimal,
    paid: Decimal,
    refunded_before: Decimal,
    fee_components: Sequence[FeeComponent],
    decimal_places: int,
    fee_returned_before: Mapping[int, Decimal] | None = None,
) -> SettlementPlan:
    """Settle a refund of ``refund`` out of a confirmed ``paid`` (fee included).

    The fee comes back in proportion to the cumulative refunds (all of what
    remains of it on the refund that completes the payment); the rest is given
    back against the customer's account (``unapplied`` lines), never against the
    invoices, which stay paid. ``fee_components`` are the fee parts as booked by
    the confirmation refunded; ``fee_returned_before`` is what earlier refunds
    gave back of each part, by key.
    """
    _check_amounts(refund, paid, refunded_before)
    lines = _proportional_fee_lines(
        fee_components, fee_returned_before or {}, paid, refunded_before, refund, decimal_places
    )
    rest = refund - sum((line.amount for line in lines), Decimal(0))
    if rest > 0:
        lines.append(SettlementLine("unapplied", rest))
    return SettlementPlan(refund, tuple(lines))


def plan_fee_refund(
    refund: Decimal,
    fee_components: Sequence[FeeComponent],
    decimal_places: int,
    fee_returned_before: Mapping[int, Decimal] | None = None,
) -> SettlementPlan:
    """Settle a refund of the fee alone (the business waives it after the payment).

    ``refund`` comes back out of the fee's parts in proportion to what is left of
    each; it cannot be more than what is left of the fee. The invoices stay paid.
    """
    if isinstance(refund, bool) or not isinstance(refund, (Decimal, int)):
        raise TypeError(f"expected Decimal or int, got {refund!r}")
    remaining = _remaining_by_key(fee_components, fee_returned_before or {})
    left = sum((value for value in remaining.values() if value > 0), Decimal(0))
    if refund <= 0 or refund > left:
        raise SettlementError(f"a fee refund of {refund} is not within the {left} left of the fee")
    return SettlementPlan(refund, tuple(_share_fee_step(fee_components, remaining, refund, decimal_places)))


def _check_amounts(amount, whole, before):
    for value in (amount, whole, before):
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"expected Decimal or int, got {value!r}")
    if amount <= 0:
        raise SettlementError("only a positive amount can be settled")
    if before < 0 or before + amount > whole:
        raise SettlementError(f"{before} + {amount} is more than the {whole} available")


def _proportional_fee_lines(components, taken_before, whole, before, amount, decimal_places):
    # The fee follows the cumulative amount (rounded once: consecutive steps never
    # drift, and the step that reaches ``whole`` takes what is left of it).
    remaining = _remaining_by_key(components, taken_before)
    fee_total = sum((component.amount for component in components), Decimal(0))
    if before + amount >= whole:
        fee_reached = fee_total
    else:
        fee_reached = round_money(Fraction(fee_total) * Fraction(before + amount) / Fraction(whole), decimal_places)
    left = sum((value for value in remaining.values() if value > 0), Decimal(0))
    step = min(max(fee_reached - (fee_total - sum(remaining.values(), Decimal(0))), Decimal(0)), amount, left)
    return _share_fee_step(components, remaining, step, decimal_places)


def _remaining_by_key(components, taken_before):
    return {
        component.key: component.amount - taken_before.get(component.key, Decimal(0)) for component in components
    }


def _share_fee_step(components, remaining, step, decimal_places):
    # A step of the fee is shared among its parts in proportion to what is left of
    # each, rounded down, the units lost handed out largest remainder first.
    left = sum((value for value in remaining.values() if value > 0), Decimal(0))
    if not step or not left:
        return []
    unit = Fraction(1, 10**decimal_places)
    exact = {key: Fraction(value) * Fraction(step) / Fraction(left) for key, value in remaining.items() if value > 0}
    shares = {key: (value // unit) * unit for key, value in exact.items()}
    missing = int((Fraction(step) - sum(shares.values())) / unit)
    for key in sorted(exact, key=lambda key: shares[key] - exact[key])[:missing]:
        shares[key] += unit
    return [
        SettlementLine("fee", round_money(shares[component.key], decimal_places), fee_key=component.key)
        for component in components
        if shares.get(component.key)
    ]
