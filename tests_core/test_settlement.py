"""Tests for pay_core.settlement: payments, partial captures and refunds settled exactly."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pay_core.settlement import (
    FeeComponent,
    InvoiceClaim,
    SettlementError,
    SettlementLine,
    SettlementPlan,
    plan_capture,
    plan_fee_refund,
    plan_payment,
    plan_refund,
)

D = Decimal
INCOME, TAX = 1, 2


def claims(*triples):
    return [InvoiceClaim(invoice_id, D(chosen), D(due)) for invoice_id, chosen, due in triples]


def fee(income, tax=None):
    components = [FeeComponent(INCOME, D(income))]
    if tax is not None:
        components.append(FeeComponent(TAX, D(tax)))
    return components


# --- full payments -----------------------------------------------------------


def test_payment_gives_each_invoice_exactly_its_chosen_amount_and_the_fee_its_parts():
    plan = plan_payment(D("259.03"), claims((1, "0.99", "400.00"), (2, "250.50", "250.50")), fee("6.28", "1.26"), 2)
    assert plan.invoice_amounts == {1: D("0.99"), 2: D("250.50")}
    assert plan.lines_of("fee") == (
        SettlementLine("fee", D("6.28"), fee_key=INCOME),
        SettlementLine("fee", D("1.26"), fee_key=TAX),
    )
    assert plan.fee_amount == D("7.54")
    assert plan.unapplied_amount == 0


def test_invoice_paid_meanwhile_leaves_its_part_unapplied_under_its_name():
    plan = plan_payment(D("650.50"), claims((1, "400.00", "100.00"), (2, "250.50", "0")), [], 2)
    assert plan.invoice_amounts == {1: D("100.00")}
    assert plan.lines_of("unapplied") == (
        SettlementLine("unapplied", D("300.00"), invoice_id=1),
        SettlementLine("unapplied", D("250.50"), invoice_id=2),
    )


def test_payment_without_fee_or_claims_is_all_unapplied():
    plan = plan_payment(D("10.00"), [], [], 2)
    assert plan.lines == (SettlementLine("unapplied", D("10.00")),)


# --- partial captures --------------------------------------------------------


def test_partial_capture_pays_oldest_first_with_the_fee_in_proportion():
    # 0.99 + 250.50 chosen, fee 7.54 (6.28 income + 1.26 tax): total 259.03.
    components = fee("6.28", "1.26")
    invoices = claims((1, "0.99", "0.99"), (2, "250.50", "250.50"))
    plan = plan_capture(D("100.00"), D("259.03"), D(0), invoices, components, 2)
    # 6.28 * 100 / 259.03 = 2.4244 -> 2.42; 1.26 * 100 / 259.03 = 0.4864 -> 0.49
    assert plan.lines_of("fee") == (
        SettlementLine("fee", D("2.42"), fee_key=INCOME),
        SettlementLine("fee", D("0.49"), fee_key=TAX),
    )
    assert plan.invoice_amounts == {1: D("0.99"), 2: D("96.10")}


def test_successive_captures_never_exceed_any_chosen_amount_and_end_on_the_whole_fee():
    components = fee("6.28", "1.26")
    chosen = {1: D("0.99"), 2: D("250.50")}
    assigned = {1: D(0), 2: D(0)}
    fee_taken = {INCOME: D(0), TAX: D(0)}
    captured_before = D(0)
    for captured in (D("100.00"), D("59.03"), D("100.00")):
        plan = plan_capture(
            captured, D("259.03"), captured_before,
            [InvoiceClaim(key, chosen[key], chosen[key] - assigned[key], assigned[key]) for key in (1, 2)],
            components, 2, fee_taken_before=fee_taken,
        )
        for invoice_id, amount in plan.invoice_amounts.items():
            assigned[invoice_id] += amount
        for line in plan.lines_of("fee"):
            fee_taken[line.fee_key] += line.amount
        captured_before += captured
        assert all(assigned[key] <= chosen[key] for key in chosen)
    assert assigned == chosen
    assert fee_taken == {INCOME: D("6.28"), TAX: D("1.26")}


def test_capture_beyond_the_authorized_amount_is_refused():
    with pytest.raises(SettlementError):
        plan_capture(D("10.00"), D("100.00"), D("95.00"), [], [], 2)
    with pytest.raises(SettlementError):
        plan_capture(D("0"), D("100.00"), D(0), [], [], 2)


def test_amounts_must_be_decimal():
    with pytest.raises(TypeError):
        plan_payment(10.0, [], [], 2)


# --- refunds -----------------------------------------------------------------


def test_full_refund_gives_back_the_whole_fee_and_the_rest_to_the_customer_account():
    plan = plan_refund(D("259.03"), D("259.03"), D(0), fee("6.28", "1.26"), 2)
    assert plan.fee_amount == D("7.54")
    assert plan.lines_of("unapplied") == (SettlementLine("unapplied", D("251.49")),)
    assert plan.invoice_amounts == {}


def test_partial_refunds_reverse_the_fee_in_proportion_and_the_last_one_the_rest():
    components = fee("6.28", "1.26")
    first = plan_refund(D("100.00"), D("259.03"), D(0), components, 2)
    returned = {line.fee_key: line.amount for line in first.lines_of("fee")}
    second = plan_refund(D("159.03"), D("259.03"), D("100.00"), components, 2, fee_returned_before=returned)
    assert first.fee_amount == D("2.91")
    assert first.fee_amount + second.fee_amount == D("7.54")
    income = [line.amount for plan in (first, second) for line in plan.lines_of("fee") if line.fee_key == INCOME]
    assert sum(income) == D("6.28")


@pytest.mark.parametrize(
    ("fee", "paid", "refund", "decimal_places", "expected"),
    [
        (D("3.00"), D("103.00"), D("103.00"), 2, "3.00"),
        (D("3.00"), D("103.00"), D("51.50"), 2, "1.50"),
        (D("3.00"), D("103.00"), D("10.00"), 2, "0.29"),  # 0.2912...
        (D("1.00"), D("3.00"), D("1.00"), 2, "0.33"),
        (D("1.00"), D("3.00"), D("2.00"), 2, "0.67"),
        (D("0.01"), D("100.00"), D("50.00"), 2, "0.01"),  # 0.005 half-up
        (D("0.01"), D("100.00"), D("49.99"), 2, "0"),
        (D("3"), D("103"), D("50"), 0, "1"),
        (D("0.00"), D("100.00"), D("100.00"), 2, "0"),
    ],
)
def test_first_refund_fee_share(fee, paid, refund, decimal_places, expected):
    plan = plan_refund(refund, paid, D(0), [FeeComponent(INCOME, fee)], decimal_places)
    assert plan.fee_amount == D(expected)
    assert plan.unapplied_amount == refund - D(expected)


def test_refund_over_what_was_paid_is_refused():
    with pytest.raises(SettlementError):
        plan_refund(D("60.00"), D("100.00"), D("50.00"), [], 2)


def test_plan_lines_must_add_up():
    with pytest.raises(SettlementError):
        SettlementPlan(D("10.00"), (SettlementLine("invoice", D("9.99"), invoice_id=1),))
    with pytest.raises(ValueError):
        SettlementLine("bonus", D("1.00"))


# --- properties --------------------------------------------------------------

cents = st.integers(min_value=1, max_value=10**8).map(lambda value: D(value).scaleb(-2))


@given(
    amounts=st.lists(cents, min_size=1, max_size=6),
    fee_parts=st.lists(st.integers(min_value=0, max_value=10**5).map(lambda value: D(value).scaleb(-2)), max_size=3),
    cuts=st.lists(st.integers(min_value=1, max_value=99), max_size=4),
)
def test_captures_add_up_to_exactly_the_chosen_amounts_and_the_fee(amounts, fee_parts, cuts):
    components = [FeeComponent(index, amount) for index, amount in enumerate(fee_parts)]
    total = sum(amounts, D(0)) + sum(fee_parts, D(0))
    # Capture in several steps at the given percentages of the total, then the rest.
    steps, reached = [], D(0)
    for cut in sorted(set(cuts)):
        point = (total * cut / 100).quantize(D("0.01"))
        if reached < point < total:
            steps.append(point - reached)
            reached = point
    steps.append(total - reached)
    assigned = dict.fromkeys(range(len(amounts)), D(0))
    fee_taken = dict.fromkeys(range(len(fee_parts)), D(0))
    captured_before = D(0)
    for captured in steps:
        plan = plan_capture(
            captured, total, captured_before,
            [InvoiceClaim(key, amount, amount - assigned[key], assigned[key]) for key, amount in enumerate(amounts)],
            components, 2, fee_taken_before=fee_taken,
        )
        assert sum((line.amount for line in plan.lines), D(0)) == captured
        assert all(line.amount > 0 for line in plan.lines)
        assert plan.unapplied_amount == 0
        for invoice_id, amount in plan.invoice_amounts.items():
            assigned[invoice_id] += amount
        for line in plan.lines_of("fee"):
            fee_taken[line.fee_key] += line.amount
        captured_before += captured
    assert assigned == dict(enumerate(amounts))
    assert fee_taken == dict(enumerate(fee_parts))


@given(
    paid=cents,
    fee_parts=st.lists(st.integers(min_value=0, max_value=10**4).map(lambda value: D(value).scaleb(-2)), max_size=3),
    cuts=st.lists(st.integers(min_value=1, max_value=99), max_size=4),
)
def test_refunds_add_up_to_exactly_the_fee(paid, fee_parts, cuts):
    components = [FeeComponent(index, amount) for index, amount in enumerate(fee_parts)]
    paid = paid + sum(fee_parts, D(0))
    refunded, fee_back = D(0), D(0)
    returned = dict.fromkeys(range(len(fee_parts)), D(0))
    points = sorted({(paid * cut / 100).quantize(D("0.01")) for cut in cuts} | {paid})
    for point in points:
        if point <= refunded:
            continue
        plan = plan_refund(point - refunded, paid, refunded, components, 2, fee_returned_before=returned)
        assert plan.invoice_amounts == {}
        assert all(line.amount > 0 for line in plan.lines)
        for line in plan.lines_of("fee"):
            returned[line.fee_key] += line.amount
        fee_back += plan.fee_amount
        refunded = point
    assert fee_back == sum(fee_parts, D(0))
    assert returned == dict(enumerate(fee_parts))


# --- fee-only refunds ----------------------------------------------------------


def test_fee_only_refund_takes_everything_out_of_the_fee_in_proportion():
    components = fee("6.28", "1.26")
    plan = plan_fee_refund(D("7.54"), components, 2)
    assert plan.lines == (
        SettlementLine("fee", D("6.28"), fee_key=INCOME),
        SettlementLine("fee", D("1.26"), fee_key=TAX),
    )
    half = plan_fee_refund(D("3.77"), components, 2)
    assert half.fee_amount == D("3.77")
    assert half.unapplied_amount == 0


def test_fee_only_refund_is_limited_to_what_is_left_of_the_fee():
    components = fee("6.28", "1.26")
    first = plan_refund(D("100.00"), D("259.03"), D(0), components, 2)
    returned = {line.fee_key: line.amount for line in first.lines_of("fee")}
    rest = plan_fee_refund(D("4.63"), components, 2, fee_returned_before=returned)
    assert rest.fee_amount == D("4.63")
    with pytest.raises(SettlementError):
        plan_fee_refund(D("4.64"), components, 2, fee_returned_before=returned)
    with pytest.raises(SettlementError):
        plan_fee_refund(D("0"), components, 2)
    # A later refund of the rest of the payment gives back no fee twice.
    after = {key: returned.get(key, D(0)) + amount for key, amount in
             ((line.fee_key, line.amount) for line in rest.lines_of("fee"))}
    last = plan_refund(D("154.40"), D("259.03"), D("104.63"), components, 2, fee_returned_before=after)
    assert last.fee_amount == 0
    assert last.unapplied_amount == D("154.40")
