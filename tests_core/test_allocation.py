"""Tests for pay_core.allocation: validating and spreading payments over invoices."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pay_core.allocation import (
    Allocation,
    AllocationError,
    OpenInvoice,
    allocation_total,
    oldest_first_key,
    spread_amount,
    validate_allocations,
)

JAN = datetime.date(2025, 1, 1)
FEB = datetime.date(2025, 2, 1)
MAR = datetime.date(2025, 3, 1)


def make_invoice(invoice_id, amount_due, due_date=None, **overrides):
    """Build an OpenInvoice of company 1 / currency 1 unless overridden."""
    values = {
        "invoice_id": invoice_id,
        "amount_due": Decimal(amount_due),
        "company_id": 1,
        "currency_id": 1,
        "due_date": due_date,
    }
    values.update(overrides)
    return OpenInvoice(**values)


def by_id(*invoices):
    """Index invoices the way the Odoo layer passes them."""
    return {invoice.invoice_id: invoice for invoice in invoices}


@pytest.fixture
def open_invoices():
    """One invoice per situation: payable, blocked, other company, other currency."""
    return by_id(
        make_invoice(1, "100.00", MAR),
        make_invoice(2, "50.50", JAN),
        make_invoice(3, "20.00", FEB),
        make_invoice(4, "80.00", JAN, blocked=True),
        make_invoice(5, "10.00", FEB, company_id=2),
        make_invoice(6, "10.00", FEB, currency_id=2),
    )


def raised(raw, invoices, decimal_places=2, **kwargs):
    """Return the AllocationError raised by validate_allocations."""
    with pytest.raises(AllocationError) as caught:
        validate_allocations(raw, invoices, decimal_places, **kwargs)
    return caught.value


# --- validate_allocations: accepted ----------------------------------------


def test_valid_allocations_are_returned_oldest_first(open_invoices):
    raw = [
        {"invoice_id": 1, "amount": "100"},
        {"invoice_id": 3, "amount": 5},
        {"invoice_id": 2, "amount": "  0.50 "},
    ]
    assert validate_allocations(raw, open_invoices, 2) == [
        Allocation(2, Decimal("0.50")),
        Allocation(3, Decimal("5.00")),
        Allocation(1, Decimal("100.00")),
    ]


def test_exact_amount_due_is_accepted_one_cent_more_is_not(open_invoices):
    result = validate_allocations([{"invoice_id": 2, "amount": "50.50"}], open_invoices, 2)
    assert result == [Allocation(2, Decimal("50.50"))]
    error = raised([{"invoice_id": 2, "amount": "50.51"}], open_invoices)
    assert (error.code, error.invoice_id, error.amount_code) == ("exceeds_due", 2, None)


def test_float_amount_from_json_is_accepted(open_invoices):
    assert validate_allocations([{"invoice_id": 2, "amount": 50.5}], open_invoices, 2) == [
        Allocation(2, Decimal("50.50"))
    ]


@pytest.mark.parametrize(
    ("decimal_places", "amount_due", "exact", "too_much"),
    [(0, "1000", "1000", "1001"), (2, "10.00", "10.00", "10.01"), (3, "1.250", "1.25", "1.251")],
)
def test_boundaries_for_each_precision(decimal_places, amount_due, exact, too_much):
    invoices = by_id(make_invoice(7, amount_due))
    result = validate_allocations([{"invoice_id": 7, "amount": exact}], invoices, decimal_places)
    assert result[0].amount == Decimal(amount_due)
    assert result[0].amount.as_tuple().exponent == -decimal_places
    assert raised([{"invoice_id": 7, "amount": too_much}], invoices, decimal_places).code == (
        "exceeds_due"
    )


def test_max_entries_is_inclusive():
    invoices = by_id(*(make_invoice(i, "1.00") for i in range(1, 4)))
    raw = [{"invoice_id": i, "amount": "1"} for i in range(1, 4)]
    assert len(validate_allocations(raw, invoices, 2, max_entries=3)) == 3
    assert raised(raw, invoices, max_entries=2).code == "too_many"


def test_default_cap_is_two_thousand():
    invoices = by_id(*(make_invoice(i, "1.00") for i in range(1, 2002)))
    raw = [{"invoice_id": i, "amount": "0.01"} for i in range(1, 2002)]
    assert raised(raw, invoices).code == "too_many"
    assert len(validate_allocations(raw[:2000], invoices, 2)) == 2000


# --- validate_allocations: every error code --------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {"invoice_id": 1, "amount": "1"},
        ({"invoice_id": 1, "amount": "1"},),
        "[]",
        [None],
        [[1, "1"]],
        [{"invoice_id": 1}],
        [{"amount": "1"}],
        [{"invoice_id": 1, "amount": "1", "note": "x"}],
        [{"invoice_id": "1", "amount": "1"}],
        [{"invoice_id": 1.0, "amount": "1"}],
        [{"invoice_id": True, "amount": "1"}],
        [{"invoice_id": None, "amount": "1"}],
    ],
)
def test_malformed(raw, open_invoices):
    error = raised(raw, open_invoices)
    assert (error.code, error.invoice_id, error.amount_code) == ("malformed", None, None)


def test_structure_is_checked_for_the_whole_list_before_entries(open_invoices):
    # The first entry is unknown, but the broken second entry is reported.
    raw = [{"invoice_id": 999, "amount": "1"}, {"invoice_id": "3", "amount": "1"}]
    assert raised(raw, open_invoices).code == "malformed"


def test_empty(open_invoices):
    assert raised([], open_invoices).code == "empty"


def test_duplicate(open_invoices):
    raw = [
        {"invoice_id": 1, "amount": "1"},
        {"invoice_id": 999, "amount": "1"},
        {"invoice_id": 1, "amount": "2"},
    ]
    error = raised(raw, open_invoices)
    assert (error.code, error.invoice_id) == ("duplicate", 1)


@pytest.mark.parametrize(
    ("raw", "code", "invoice_id"),
    [
        ([{"invoice_id": 999, "amount": "1"}], "unknown_invoice", 999),
        ([{"invoice_id": 4, "amount": "1"}], "blocked", 4),
        ([{"invoice_id": 1, "amount": "1"}, {"invoice_id": 5, "amount": "1"}], "mixed_company", 5),
        ([{"invoice_id": 1, "amount": "1"}, {"invoice_id": 6, "amount": "1"}], "mixed_currency", 6),
        ([{"invoice_id": 1, "amount": "100.01"}], "exceeds_due", 1),
    ],
)
def test_entry_errors(raw, code, invoice_id, open_invoices):
    error = raised(raw, open_invoices)
    assert (error.code, error.invoice_id, error.amount_code) == (code, invoice_id, None)


@pytest.mark.parametrize(
    ("amount", "amount_code"),
    [
        ("abc", "not_a_number"),
        (None, "not_a_number"),
        ("", "not_a_number"),
        ("1e2", "not_a_number"),
        ("NaN", "not_finite"),
        ("-0", "not_positive"),
        ("0.00", "not_positive"),
        (-5, "not_positive"),
        ("1.001", "too_precise"),
        (0.1 + 0.2, "too_precise"),
        ("1" * 40, "too_long"),
        (10**50, "too_long"),
    ],
)
def test_invalid_amount_carries_the_amount_code(amount, amount_code, open_invoices):
    error = raised([{"invoice_id": 1, "amount": amount}], open_invoices)
    assert (error.code, error.invoice_id, error.amount_code) == ("invalid_amount", 1, amount_code)


def test_first_error_in_input_order_wins(open_invoices):
    raw = [
        {"invoice_id": 1, "amount": "1"},
        {"invoice_id": 2, "amount": "bad"},
        {"invoice_id": 999, "amount": "1"},
    ]
    assert raised(raw, open_invoices).code == "invalid_amount"
    assert raised(list(reversed(raw)), open_invoices).code == "unknown_invoice"


def test_mixing_is_judged_against_the_first_entry(open_invoices):
    raw = [{"invoice_id": 5, "amount": "1"}, {"invoice_id": 1, "amount": "1"}]
    error = raised(raw, open_invoices)
    assert (error.code, error.invoice_id) == ("mixed_company", 1)


def test_error_repr_is_debug_text_only():
    error = AllocationError("blocked", 4)
    assert isinstance(error, ValueError)
    assert "blocked" in str(error)
    with pytest.raises(ValueError):
        AllocationError("not_a_code")


# --- ordering --------------------------------------------------------------


def test_oldest_first_key_orders_dates_then_ids():
    invoices = [
        make_invoice(1, "1", None, invoice_date=None),
        make_invoice(2, "1", None, invoice_date=JAN),
        make_invoice(3, "1", FEB, invoice_date=None),
        make_invoice(4, "1", FEB, invoice_date=JAN),
        make_invoice(5, "1", JAN, invoice_date=MAR),
        make_invoice(6, "1", FEB, invoice_date=JAN),
    ]
    ordered = sorted(invoices, key=oldest_first_key)
    assert [invoice.invoice_id for invoice in ordered] == [5, 4, 6, 3, 2, 1]


# --- spread_amount ---------------------------------------------------------


def test_spread_pays_oldest_first_and_skips_blocked(open_invoices):
    payable = [open_invoices[i] for i in (1, 2, 3, 4)]
    assert spread_amount("60", payable, 2) == [
        Allocation(2, Decimal("50.50")),
        Allocation(3, Decimal("9.50")),
    ]


def test_spread_of_the_exact_total_settles_everything(open_invoices):
    payable = [open_invoices[i] for i in (1, 2, 3, 4)]
    result = spread_amount(Decimal("170.50"), payable, 2)
    assert [(a.invoice_id, a.amount) for a in result] == [
        (2, Decimal("50.50")),
        (3, Decimal("20.00")),
        (1, Decimal("100.00")),
    ]
    error = _spread_error("170.51", payable)
    assert (error.code, error.invoice_id) == ("exceeds_due", None)


def test_spread_skips_invoices_with_nothing_due():
    invoices = [make_invoice(1, "0", JAN), make_invoice(2, "-5", JAN), make_invoice(3, "5", FEB)]
    assert spread_amount(5, invoices, 0) == [Allocation(3, Decimal("5"))]


def test_spread_with_three_decimals():
    invoices = [make_invoice(1, "0.125", JAN), make_invoice(2, "1.000", FEB)]
    assert spread_amount("0.5", invoices, 3) == [
        Allocation(1, Decimal("0.125")),
        Allocation(2, Decimal("0.375")),
    ]


def _spread_error(amount, invoices, decimal_places=2):
    """Return the AllocationError raised by spread_amount."""
    with pytest.raises(AllocationError) as caught:
        spread_amount(amount, invoices, decimal_places)
    return caught.value


@pytest.mark.parametrize(
    ("amount", "amount_code"),
    [("x", "not_a_number"), ("inf", "not_finite"), ("0", "not_positive"), ("1.005", "too_precise")],
)
def test_spread_invalid_amount(amount, amount_code, open_invoices):
    error = _spread_error(amount, [open_invoices[1]])
    assert (error.code, error.invoice_id, error.amount_code) == (
        "invalid_amount",
        None,
        amount_code,
    )


def test_spread_errors(open_invoices):
    assert _spread_error("1", [open_invoices[1], open_invoices[5]]).code == "mixed_company"
    assert _spread_error("1", [open_invoices[1], open_invoices[6]]).code == "mixed_currency"
    assert _spread_error("1", [open_invoices[1], open_invoices[1]]).code == "duplicate"
    assert _spread_error("1", []).code == "exceeds_due"
    assert _spread_error("1", [open_invoices[4]]).code == "exceeds_due"


def test_blocked_invoice_of_another_company_does_not_prevent_spreading():
    invoices = [make_invoice(1, "5", JAN), make_invoice(2, "5", JAN, company_id=2, blocked=True)]
    assert spread_amount("5", invoices, 2) == [Allocation(1, Decimal("5.00"))]


def test_allocation_total():
    assert allocation_total([]) == Decimal(0)
    allocations = [Allocation(1, Decimal("0.10")), Allocation(2, Decimal("0.20"))]
    assert allocation_total(allocations) == Decimal("0.30")


# --- properties ------------------------------------------------------------


@st.composite
def invoice_sets(draw):
    """Open invoices in one company and currency, with amounts at the precision."""
    decimal_places = draw(st.sampled_from([0, 2, 3]))
    count = draw(st.integers(min_value=1, max_value=12))
    invoices = []
    for invoice_id in range(1, count + 1):
        units = draw(st.integers(min_value=1, max_value=10**9))
        due_date = draw(st.none() | st.dates(min_value=JAN, max_value=MAR))
        invoices.append(
            make_invoice(
                invoice_id,
                Decimal(units).scaleb(-decimal_places),
                due_date,
                blocked=draw(st.booleans()) if invoice_id > 1 else False,
            )
        )
    return decimal_places, invoices


@given(data=st.data(), invoice_set=invoice_sets())
def test_validated_allocations_stay_within_due_and_sum_to_the_request(data, invoice_set):
    decimal_places, invoices = invoice_set
    unit = Decimal(1).scaleb(-decimal_places)
    raw = []
    requested = Decimal(0)
    for invoice in invoices:
        if invoice.blocked or not data.draw(st.booleans()):
            continue
        units = data.draw(st.integers(min_value=1, max_value=int(invoice.amount_due / unit)))
        amount = units * unit
        requested += amount
        raw.append({"invoice_id": invoice.invoice_id, "amount": format(amount, "f")})
    assume(raw)
    result = validate_allocations(raw, by_id(*invoices), decimal_places)
    due = {invoice.invoice_id: invoice.amount_due for invoice in invoices}
    assert all(0 < allocation.amount <= due[allocation.invoice_id] for allocation in result)
    assert allocation_total(result) == requested
    assert result == sorted(result, key=lambda a: oldest_first_key(by_id(*invoices)[a.invoice_id]))


@given(data=st.data(), invoice_set=invoice_sets())
def test_spread_never_exceeds_due_and_sums_exactly(data, invoice_set):
    decimal_places, invoices = invoice_set
    unit = Decimal(1).scaleb(-decimal_places)
    payable_total = sum(invoice.amount_due for invoice in invoices if not invoice.blocked)
    units = data.draw(st.integers(min_value=1, max_value=int(payable_total / unit)))
    amount = units * unit
    result = spread_amount(amount, invoices, decimal_places)
    invoices_by_id = by_id(*invoices)
    assert allocation_total(result) == amount
    assert all(0 < a.amount <= invoices_by_id[a.invoice_id].amount_due for a in result)
    assert not any(invoices_by_id[a.invoice_id].blocked for a in result)
    # Only the last (youngest) paid invoice may be partially paid.
    assert all(a.amount == invoices_by_id[a.invoice_id].amount_due for a in result[:-1])
    with pytest.raises(AllocationError) as caught:
        spread_amount(payable_total + unit, invoices, decimal_places)
    assert caught.value.code == "exceeds_due"
