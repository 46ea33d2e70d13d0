"""Tests for pay_core.credits: applying open credits to invoices, exactly."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pay_core.allocation import OpenInvoice
from pay_core.credits import (
    CreditApplication,
    CreditApplicationError,
    OpenCredit,
    applied_total,
    plan_credit_application,
)


def credit(credit_line_id, amount_open, **overrides):
    values = {"credit_line_id": credit_line_id, "amount_open": Decimal(amount_open), "company_id": 1, "currency_id": 1}
    values.update(overrides)
    return OpenCredit(**values)


def invoice(invoice_id, amount_due, **overrides):
    values = {"invoice_id": invoice_id, "amount_due": Decimal(amount_due), "company_id": 1, "currency_id": 1,
              "due_date": None}
    values.update(overrides)
    return OpenInvoice(**values)


def index(records, key):
    return {getattr(record, key): record for record in records}


CREDITS = index([credit(10, "100.00"), credit(11, "30.00"), credit(12, "50.00", currency_id=2),
                 credit(13, "50.00", company_id=2)], "credit_line_id")
INVOICES = index([invoice(1, "80.00"), invoice(2, "45.50"), invoice(3, "10.00", blocked=True)], "invoice_id")


def plan(pairs):
    return plan_credit_application(pairs, CREDITS, INVOICES, 2)


def pair(credit_line_id, invoice_id, amount):
    return {"credit_line_id": credit_line_id, "invoice_id": invoice_id, "amount": amount}


def error_of(pairs):
    with pytest.raises(CreditApplicationError) as info:
        plan(pairs)
    return info.value.code, info.value.credit_line_id, info.value.invoice_id


def test_partial_credit_on_partial_invoice():
    assert plan([pair(10, 1, "25.10")]) == [CreditApplication(10, 1, Decimal("25.10"))]


def test_one_credit_over_several_invoices_up_to_its_open_amount():
    applications = plan([pair(10, 1, "54.50"), pair(10, 2, 45.5)])
    assert applications == [CreditApplication(10, 1, Decimal("54.50")), CreditApplication(10, 2, Decimal("45.50"))]
    assert applied_total(applications) == Decimal("100.00")


def test_several_credits_on_one_invoice_up_to_its_amount_due():
    applications = plan([pair(10, 1, "50"), pair(11, 1, "30")])
    assert [application.amount for application in applications] == [Decimal("50.00"), Decimal("30.00")]


@pytest.mark.parametrize(("pairs", "expected"), [
    ([pair(10, 1, "80.01")], ("exceeds_due", 10, 1)),
    ([pair(10, 1, "100.01")], ("exceeds_credit", 10, 1)),
    ([pair(11, 1, "30.01")], ("exceeds_credit", 11, 1)),
    ([pair(10, 1, "60"), pair(10, 2, "40.01")], ("exceeds_credit", 10, 2)),
    ([pair(10, 1, "60"), pair(11, 1, "20.01")], ("exceeds_due", 11, 1)),
    ([pair(99, 1, "1")], ("unknown_credit", 99, 1)),
    ([pair(10, 99, "1")], ("unknown_invoice", 10, 99)),
    ([pair(10, 3, "1")], ("blocked", 10, 3)),
    ([pair(12, 1, "1")], ("mixed_currency", 12, 1)),
    ([pair(13, 1, "1")], ("mixed_company", 13, 1)),
    ([pair(10, 1, "0")], ("invalid_amount", 10, 1)),
    ([pair(10, 1, "-5")], ("invalid_amount", 10, 1)),
    ([pair(10, 1, "1.001")], ("invalid_amount", 10, 1)),
    ([pair(10, 1, "NaN")], ("invalid_amount", 10, 1)),
    ([pair(10, 1, "1"), pair(10, 1, "2")], ("duplicate", 10, 1)),
    ([pair(10, 1, "1"), pair(12, 1, "1")], ("mixed_currency", 12, 1)),
    ([pair(10, 1, "1"), pair(13, 2, "1")], ("mixed_company", 13, 2)),
])
def test_refusals_name_the_pair(pairs, expected):
    assert error_of(pairs) == expected


@pytest.mark.parametrize("pairs", [
    None, {}, "x", [None], [{"credit_line_id": 10, "invoice_id": 1}],
    [{"credit_line_id": "10", "invoice_id": 1, "amount": "1"}],
    [{"credit_line_id": True, "invoice_id": 1, "amount": "1"}],
    [{"credit_line_id": 10, "invoice_id": 1.0, "amount": "1"}],
    [{"credit_line_id": 10, "invoice_id": 1, "amount": "1", "extra": 1}],
])
def test_malformed_requests(pairs):
    assert error_of(pairs)[0] == "malformed"


def test_empty_and_too_many():
    assert error_of([])[0] == "empty"
    with pytest.raises(CreditApplicationError) as info:
        plan_credit_application([pair(10, 1, "1"), pair(11, 1, "1")], CREDITS, INVOICES, 2, max_pairs=1)
    assert info.value.code == "too_many"


def test_precision_per_currency():
    credits = index([credit(20, "1000", currency_id=7)], "credit_line_id")
    invoices = index([invoice(5, "1000", currency_id=7)], "invoice_id")
    assert plan_credit_application([pair(20, 5, "300")], credits, invoices, {7: 0})[0].amount == Decimal("300")
    with pytest.raises(CreditApplicationError) as info:
        plan_credit_application([pair(20, 5, "300.5")], credits, invoices, {7: 0})
    assert info.value.amount_code == "too_precise"


cents = st.integers(min_value=1, max_value=10**7)


@given(
    credit_cents=st.lists(cents, min_size=1, max_size=4),
    invoice_cents=st.lists(cents, min_size=1, max_size=4),
    wanted=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), cents), min_size=1, max_size=8),
)
def test_accepted_plans_never_exceed_a_credit_or_an_invoice(credit_cents, invoice_cents, wanted):
    credits = index([credit(100 + i, Decimal(c) / 100) for i, c in enumerate(credit_cents)], "credit_line_id")
    invoices = index([invoice(i, Decimal(c) / 100) for i, c in enumerate(invoice_cents)], "invoice_id")
    pairs, seen = [], set()
    for credit_index, invoice_index, amount in wanted:
        key = (100 + credit_index % len(credit_cents), invoice_index % len(invoice_cents))
        if key not in seen:
            seen.add(key)
            pairs.append(pair(*key, str(Decimal(amount) / 100)))
    try:
        applications = plan_credit_application(pairs, credits, invoices, 2)
    except CreditApplicationError as error:
        assert error.code in ("exceeds_credit", "exceeds_due")
        return
    assert [(a.credit_line_id, a.invoice_id) for a in applications] == [
        (p["credit_line_id"], p["invoice_id"]) for p in pairs
    ]
    for credit_line_id, open_credit in credits.items():
        assert applied_total(a for a in applications if a.credit_line_id == credit_line_id) <= open_credit.amount_open
    for invoice_id, open_invoice in invoices.items():
        assert applied_total(a for a in applications if a.invoice_id == invoice_id) <= open_invoice.amount_due
    assert applied_total(applications) == sum((Decimal(p["amount"]) for p in pairs), Decimal(0))
