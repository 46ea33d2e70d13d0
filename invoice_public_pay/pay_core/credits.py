"""Which open credit the customer applies to which invoice, and how much.

A credit (a credit note, a payment not matched yet) is applied exactly: each
invoice's amount due drops by the amount chosen for it, the credit's open amount
by the total. :func:`plan_credit_application` checks the customer's pairs against
what is open and returns them as :class:`CreditApplication` values; the Odoo layer
books one journal entry with a pair of lines per application.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .allocation import OpenInvoice
from .money import AmountError, exact_decimal_context, parse_amount

#: Far above real use; bounds the work of one anonymous request.
DEFAULT_MAX_PAIRS = 500

CREDIT_ERROR_CODES = frozenset(
    {
        "malformed",
        "empty",
        "too_many",
        "duplicate",
        "unknown_credit",
        "unknown_invoice",
        "blocked",
        "mixed_company",
        "mixed_currency",
        "invalid_amount",
        "exceeds_credit",
        "exceeds_due",
    }
)

_ENTRY_KEYS = frozenset({"credit_line_id", "invoice_id", "amount"})


@dataclass(frozen=True)
class OpenCredit:
    """One open credit in the customer's favour: its open receivable line.

    ``amount_open`` is positive, at the currency precision.
    """

    credit_line_id: int
    amount_open: Decimal
    company_id: int
    currency_id: int


@dataclass(frozen=True)
class CreditApplication:
    """Part of one credit applied to one invoice."""

    credit_line_id: int
    invoice_id: int
    amount: Decimal


class CreditApplicationError(ValueError):
    """The credits the customer asked to apply cannot be applied.

    ``code`` is one of :data:`CREDIT_ERROR_CODES`; ``credit_line_id`` and
    ``invoice_id`` name the offending pair where there is one; ``amount_code``
    is the :class:`~pay_core.money.AmountError` code of ``invalid_amount``.
    """

    def __init__(self, code: str, credit_line_id=None, invoice_id=None, amount_code: str | None = None):
        if code not in CREDIT_ERROR_CODES:
            raise ValueError(f"unknown credit application error code {code!r}")
        self.code = code
        self.credit_line_id = credit_line_id
        self.invoice_id = invoice_id
        self.amount_code = amount_code
        super().__init__(f"{code} (credit={credit_line_id!r}, invoice={invoice_id!r}, amount_code={amount_code!r})")


def plan_credit_application(
    raw_pairs,
    open_credits: Mapping[int, OpenCredit],
    open_invoices: Mapping[int, OpenInvoice],
    decimal_places: Mapping[int, int] | int,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> list[CreditApplication]:
    """Check the credit-invoice pairs received as JSON; return them in input order.

    ``raw_pairs`` is a list of ``{"credit_line_id": int, "invoice_id": int, "amount": ...}``
    (amounts as :func:`pay_core.money.parse_amount` reads them). ``open_invoices``
    give what each invoice may still take (its amount due less what a processing
    payment reserves). All pairs are of one company and currency. ``decimal_places``
    is one precision, or one per currency id.
    The structure of the whole list is checked first, then each pair in order; the
    totals per credit and per invoice last. The first problem is raised as
    :class:`CreditApplicationError`, so the same input always gives the same error.
    """
    _check_structure(raw_pairs, max_pairs)
    applications = []
    first_credit = None
    for entry in raw_pairs:
        credit = open_credits.get(entry["credit_line_id"])
        if credit is None:
            raise CreditApplicationError("unknown_credit", entry["credit_line_id"], entry["invoice_id"])
        # One application is one journal entry: one company, one currency.
        first_credit = first_credit or credit
        if credit.company_id != first_credit.company_id:
            raise CreditApplicationError("mixed_company", credit.credit_line_id, entry["invoice_id"])
        if credit.currency_id != first_credit.currency_id:
            raise CreditApplicationError("mixed_currency", credit.credit_line_id, entry["invoice_id"])
        invoice = open_invoices.get(entry["invoice_id"])
        if invoice is None:
            raise CreditApplicationError("unknown_invoice", credit.credit_line_id, entry["invoice_id"])
        if invoice.blocked:
            raise CreditApplicationError("blocked", credit.credit_line_id, invoice.invoice_id)
        if invoice.company_id != credit.company_id:
            raise CreditApplicationError("mixed_company", credit.credit_line_id, invoice.invoice_id)
        if invoice.currency_id != credit.currency_id:
            raise CreditApplicationError("mixed_currency", credit.credit_line_id, invoice.invoice_id)
        places = decimal_places if isinstance(decimal_places, int) else decimal_places[credit.currency_id]
        try:
            amount = parse_amount(entry["amount"], places)
        except AmountError as error:
            raise CreditApplicationError(
                "invalid_amount", credit.credit_line_id, invoice.invoice_id, error.code,
            ) from error
        applications.append(CreditApplication(credit.credit_line_id, invoice.invoice_id, amount))
    _check_totals(applications, open_credits, open_invoices)
    return applications


def _check_structure(raw_pairs, max_pairs):
    if not isinstance(raw_pairs, list):
        raise CreditApplicationError("malformed")
    if not raw_pairs:
        raise CreditApplicationError("empty")
    if len(raw_pairs) > max_pairs:
        raise CreditApplicationError("too_many")
    for entry in raw_pairs:
        if not isinstance(entry, dict) or entry.keys() != _ENTRY_KEYS:
            raise CreditApplicationError("malformed")
        for key in ("credit_line_id", "invoice_id"):
            # JSON true passes isinstance(int); digit strings are not coerced either.
            if isinstance(entry[key], bool) or not isinstance(entry[key], int):
                raise CreditApplicationError("malformed")
    seen = set()
    for entry in raw_pairs:
        pair = (entry["credit_line_id"], entry["invoice_id"])
        if pair in seen:
            raise CreditApplicationError("duplicate", *pair)
        seen.add(pair)


def _check_totals(applications, open_credits, open_invoices):
    # Per credit and per invoice, the sum of the pairs, in input order: the first
    # pair that goes over names the credit or invoice.
    with exact_decimal_context():
        used = {}
        taken = {}
        for application in applications:
            used[application.credit_line_id] = used.get(application.credit_line_id, Decimal(0)) + application.amount
            if used[application.credit_line_id] > open_credits[application.credit_line_id].amount_open:
                raise CreditApplicationError("exceeds_credit", application.credit_line_id, application.invoice_id)
            taken[application.invoice_id] = taken.get(application.invoice_id, Decimal(0)) + application.amount
            if taken[application.invoice_id] > open_invoices[application.invoice_id].amount_due:
                raise CreditApplicationError("exceeds_due", application.credit_line_id, application.invoice_id)


def applied_total(applications) -> Decimal:
    """The exact sum of the amounts applied (``Decimal('0')`` if none)."""
    with exact_decimal_context():
        return sum((application.amount for application in applications), Decimal(0))
