"""Which open invoice receives how much of one payment.

Two ways in: the customer chose amounts per invoice (:func:`validate_allocations`)
or typed one sum to spread oldest first (:func:`spread_amount`). Both return
:class:`Allocation` lists sorted oldest first that never exceed any amount due.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .money import AmountError, exact_decimal_context, parse_amount

#: Default cap on entries per request; far above real use, it bounds the work a
#: single anonymous request can cause.
DEFAULT_MAX_ENTRIES = 2000

ALLOCATION_ERROR_CODES = frozenset(
    {
        "malformed",
        "empty",
        "too_many",
        "duplicate",
        "unknown_invoice",
        "blocked",
        "invalid_amount",
        "exceeds_due",
        "mixed_company",
        "mixed_currency",
    }
)

_ENTRY_KEYS = frozenset({"invoice_id", "amount"})


@dataclass(frozen=True)
class OpenInvoice:
    """What the core needs to know about one invoice the customer may pay.

    ``amount_due`` is expected at the currency precision (see
    :func:`pay_core.money.to_decimal`); ``blocked`` marks invoices that are shown
    but must not be paid online (e.g. disputed or already being paid).
    """

    invoice_id: int
    amount_due: Decimal
    company_id: int
    currency_id: int
    due_date: datetime.date | None
    invoice_date: datetime.date | None = None
    blocked: bool = False


@dataclass(frozen=True)
class Allocation:
    """Part of a payment assigned to one invoice."""

    invoice_id: int
    amount: Decimal


class AllocationError(ValueError):
    """The requested split of a payment over invoices is not acceptable.

    ``code`` is one of :data:`ALLOCATION_ERROR_CODES`; ``invoice_id`` names the
    offending invoice when there is one; ``amount_code`` carries the
    :class:`~pay_core.money.AmountError` code when ``code`` is ``invalid_amount``.
    """

    def __init__(self, code: str, invoice_id: int | None = None, amount_code: str | None = None):
        if code not in ALLOCATION_ERROR_CODES:
            raise ValueError(f"unknown allocation error code {code!r}")
        self.code = code
        self.invoice_id = invoice_id
        self.amount_code = amount_code
        super().__init__(f"{code} (invoice_id={invoice_id!r}, amount_code={amount_code!r})")


def oldest_first_key(invoice: OpenInvoice) -> tuple:
    """Sort key putting the invoices that should be paid first in front.

    Earliest due date first, then earliest invoice date, invoices without a
    date after those with one, and the id as a stable final tie-breaker.
    """
    return (
        invoice.due_date is None,
        invoice.due_date or datetime.date.min,
        invoice.invoice_date is None,
        invoice.invoice_date or datetime.date.min,
        invoice.invoice_id,
    )


def allocation_total(allocations: Iterable[Allocation]) -> Decimal:
    """Return the exact sum of the allocated amounts (``Decimal('0')`` if none)."""
    with exact_decimal_context():
        return sum((allocation.amount for allocation in allocations), Decimal(0))


def validate_allocations(
    raw_allocations,
    open_invoices: Mapping[int, OpenInvoice],
    decimal_places: int,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> list[Allocation]:
    """Check per-invoice amounts received as JSON and return them oldest first.

    ``raw_allocations`` must be a list of ``{"invoice_id": int, "amount": ...}``
    where the amount follows :func:`pay_core.money.parse_amount`. The whole list's
    structure is checked first (``malformed``, ``empty``, ``too_many``,
    ``duplicate``), then each entry in input order (``unknown_invoice``,
    ``blocked``, ``mixed_company``, ``mixed_currency``, ``invalid_amount``,
    ``exceeds_due``); the first problem found is raised as
    :class:`AllocationError`, so the same input always yields the same error.
    """
    _check_structure(raw_allocations, max_entries)
    first_invoice = None
    allocations = []
    for entry in raw_allocations:
        invoice = _payable_invoice(entry["invoice_id"], open_invoices)
        if first_invoice is None:
            first_invoice = invoice
        _check_same_company_and_currency(invoice, first_invoice)
        amount = _parse_allocated_amount(entry["amount"], invoice.invoice_id, decimal_places)
        if amount > invoice.amount_due:
            raise AllocationError("exceeds_due", invoice.invoice_id)
        allocations.append(Allocation(invoice.invoice_id, amount))
    allocations.sort(key=lambda allocation: oldest_first_key(open_invoices[allocation.invoice_id]))
    return allocations


def spread_amount(
    amount: object, invoices: Iterable[OpenInvoice], decimal_places: int
) -> list[Allocation]:
    """Spread one payment over ``invoices``, settling the oldest ones first.

    Blocked invoices and those with nothing due are skipped. ``amount`` may be
    raw input (parsed like :func:`pay_core.money.parse_amount`). Raises
    :class:`AllocationError` (``invalid_amount``, ``duplicate``,
    ``mixed_company``, ``mixed_currency``, ``exceeds_due`` when the amount is
    above the total payable). The allocations always sum exactly to the amount.
    """
    total_to_spread = _parse_allocated_amount(amount, None, decimal_places)
    payable = _payable_invoices(invoices)
    with exact_decimal_context():
        if total_to_spread > sum((invoice.amount_due for invoice in payable), Decimal(0)):
            raise AllocationError("exceeds_due")
        allocations = []
        remaining = total_to_spread
        for invoice in sorted(payable, key=oldest_first_key):
            if remaining <= 0:
                break
            share = min(remaining, invoice.amount_due)
            allocations.append(Allocation(invoice.invoice_id, share))
            remaining -= share
    return allocations


def _check_structure(raw_allocations, max_entries):
    # Everything here is about the shape of the request, checked for the whole
    # list before any entry is looked up, so a broken client is told so first.
    if not isinstance(raw_allocations, list):
        raise AllocationError("malformed")
    if not raw_allocations:
        raise AllocationError("empty")
    if len(raw_allocations) > max_entries:
        raise AllocationError("too_many")
    for entry in raw_allocations:
        if not isinstance(entry, dict) or entry.keys() != _ENTRY_KEYS:
            raise AllocationError("malformed")
        invoice_id = entry["invoice_id"]
        # JSON true would pass isinstance(int); digit strings are refused so
        # that ids are never silently coerced from another type.
        if isinstance(invoice_id, bool) or not isinstance(invoice_id, int):
            raise AllocationError("malformed")
    seen_ids = set()
    for entry in raw_allocations:
        invoice_id = entry["invoice_id"]
        if invoice_id in seen_ids:
            raise AllocationError("duplicate", invoice_id)
        seen_ids.add(invoice_id)


def _payable_invoice(invoice_id, open_invoices):
    invoice = open_invoices.get(invoice_id)
    if invoice is None:
        raise AllocationError("unknown_invoice", invoice_id)
    if invoice.blocked:
        raise AllocationError("blocked", invoice_id)
    return invoice


def _payable_invoices(invoices):
    # Only invoices that can actually receive money must agree on company and
    # currency; a blocked invoice elsewhere does not prevent paying the rest.
    payable = []
    seen_ids = set()
    for invoice in invoices:
        if invoice.invoice_id in seen_ids:
            raise AllocationError("duplicate", invoice.invoice_id)
        seen_ids.add(invoice.invoice_id)
        if invoice.blocked or invoice.amount_due <= 0:
            continue
        if payable:
            _check_same_company_and_currency(invoice, payable[0])
        payable.append(invoice)
    return payable


def _check_same_company_and_currency(invoice, reference):
    # One payment is one journal entry: a single company and a single currency.
    if invoice.company_id != reference.company_id:
        raise AllocationError("mixed_company", invoice.invoice_id)
    if invoice.currency_id != reference.currency_id:
        raise AllocationError("mixed_currency", invoice.invoice_id)


def _parse_allocated_amount(raw_amount, invoice_id, decimal_places):
    try:
        return parse_amount(raw_amount, decimal_places)
    except AmountError as error:
        raise AllocationError("invalid_amount", invoice_id, error.code) from error
