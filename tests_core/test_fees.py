"""Tests for pay_core.fees: convenience fee and its refunded share."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pay_core.fees import (
    EEA_AND_UK,
    CardDetails,
    FeeRule,
    SurchargePolicy,
    compute_convenience_fee,
    compute_fee,
    surcharge_allowed,
)

D = Decimal


# --- compute_convenience_fee -----------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rule", "decimal_places", "expected"),
    [
        (D("100.00"), FeeRule(D("3")), 2, "3.00"),
        (D("100.00"), FeeRule(D("2.9"), D("0.30")), 2, "3.20"),
        # 33.33 * 3 % = 0.9999: rounded once, at the end.
        (D("33.33"), FeeRule(D("3")), 2, "1.00"),
        # 0.125 exactly: half-up, not banker's rounding.
        (D("12.50"), FeeRule(D("1")), 2, "0.13"),
        (D("10.00"), FeeRule(D("1"), min_fee=D("0.50")), 2, "0.50"),
        (D("1000.00"), FeeRule(D("3"), max_fee=D("25.00")), 2, "25.00"),
        (D("100.00"), FeeRule(D("3"), min_fee=D("1.00"), max_fee=D("5.00")), 2, "3.00"),
        (D("100.00"), FeeRule(D("0"), D("1.50")), 2, "1.50"),
        (D("100.00"), FeeRule(D("0")), 2, "0.00"),
        # min above max is a configuration mistake; the cap is applied last.
        (D("100.00"), FeeRule(D("1"), min_fee=D("10"), max_fee=D("5")), 2, "5.00"),
        (D("1000"), FeeRule(D("2.5")), 0, "25"),
        (D("10"), FeeRule(D("2.5")), 0, "0"),
        (D("20"), FeeRule(D("2.5")), 0, "1"),
        (D("1.000"), FeeRule(D("2.5")), 3, "0.025"),
        (D("1.020"), FeeRule(D("2.5")), 3, "0.026"),
        (D("100.00"), FeeRule(3, 1), 2, "4.00"),
    ],
)
def test_fee(amount, rule, decimal_places, expected):
    assert str(compute_convenience_fee(amount, rule, decimal_places)) == expected


@pytest.mark.parametrize("amount", [D("0"), D("-10.00"), D("-0"), 0])
def test_no_fee_on_non_positive_amount(amount):
    rule = FeeRule(D("3"), D("1"), min_fee=D("2"))
    assert str(compute_convenience_fee(amount, rule, 2)) == "0.00"


def test_no_rule_no_fee():
    assert str(compute_convenience_fee(D("100"), None, 2)) == "0.00"
    assert str(compute_convenience_fee(D("100"), None, 0)) == "0"


def test_fee_refuses_float_amounts():
    with pytest.raises(TypeError):
        compute_convenience_fee(100.0, FeeRule(D("3")), 2)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"percentage": D("-1")}, ValueError),
        ({"percentage": D("1"), "fixed_amount": D("-0.01")}, ValueError),
        ({"percentage": D("1"), "min_fee": D("-1")}, ValueError),
        ({"percentage": D("1"), "max_fee": D("-1")}, ValueError),
        ({"percentage": D("NaN")}, ValueError),
        ({"percentage": D("Infinity")}, ValueError),
        ({"percentage": 2.9}, TypeError),
        ({"percentage": "3"}, TypeError),
        ({"percentage": True}, TypeError),
        ({"percentage": None}, TypeError),
    ],
)
def test_fee_rule_validation(kwargs, error):
    with pytest.raises(error):
        FeeRule(**kwargs)


def test_fee_rule_normalises_ints_and_is_frozen():
    rule = FeeRule(3)
    assert isinstance(rule.percentage, Decimal)
    assert rule.fixed_amount == rule.min_fee == rule.max_fee == 0
    with pytest.raises(AttributeError):
        rule.percentage = D("4")


# --- properties ------------------------------------------------------------


@st.composite
def money(draw, decimal_places, min_units=0, max_units=10**9):
    """Amounts on the currency grid, drawn as integer numbers of units."""
    units = draw(st.integers(min_value=min_units, max_value=max_units))
    return Decimal(units).scaleb(-decimal_places)


@st.composite
def fee_cases(draw):
    """A precision and a consistent rule (min below max whenever both are set)."""
    decimal_places = draw(st.sampled_from([0, 2, 3]))
    percentage = draw(money(2, max_units=2000))  # 0 % to 20 %, two decimals
    fixed_amount = draw(money(decimal_places, max_units=10**4))
    min_fee = draw(money(decimal_places, max_units=10**5))
    max_fee = draw(money(decimal_places, max_units=10**6))
    assume(max_fee == 0 or min_fee <= max_fee)
    rule = FeeRule(percentage, fixed_amount, min_fee, max_fee)
    return decimal_places, rule


@given(case=fee_cases(), data=st.data())
def test_fee_bounds_precision_and_monotonicity(case, data):
    decimal_places, rule = case
    smaller = data.draw(money(decimal_places, min_units=1))
    larger = smaller + data.draw(money(decimal_places))
    fee = compute_convenience_fee(smaller, rule, decimal_places)
    assert fee >= 0
    assert fee.as_tuple().exponent == -decimal_places
    if rule.min_fee > 0:
        assert fee >= rule.min_fee
    if rule.max_fee > 0:
        assert fee <= rule.max_fee
    assert compute_convenience_fee(larger, rule, decimal_places) >= fee


# --- fee kinds: surcharge, flat, service -------------------------------------

SURCHARGE = FeeRule(D("3"), kind="surcharge")
CREDIT_US = CardDetails("credit", "US", "visa")


@pytest.mark.parametrize(
    ("card", "policy", "expected"),
    [
        (CREDIT_US, SurchargePolicy(), "3.00"),
        (CardDetails("debit", "US"), SurchargePolicy(), "0.00"),
        (CardDetails("prepaid", "US"), SurchargePolicy(), "0.00"),
        (CardDetails("unknown", "US"), SurchargePolicy(), "0.00"),
        (None, SurchargePolicy(), "0.00"),
        (CardDetails("credit", "US", wallet=True), SurchargePolicy(), "0.00"),
        (CardDetails("credit", "FR"), SurchargePolicy(), "0.00"),
        (CardDetails("credit", "gb"), SurchargePolicy(), "0.00"),
        (CardDetails("credit", "FR"), SurchargePolicy(block_eea_uk_cards=False), "3.00"),
        (CREDIT_US, SurchargePolicy(banned_by_state=True), "0.00"),
        (CREDIT_US, SurchargePolicy(company_in_eea_uk=True), "0.00"),
        (CREDIT_US, SurchargePolicy(cap_percentage=D("2")), "2.00"),
    ],
)
def test_surcharge_only_on_credit_cards_where_allowed(card, policy, expected):
    assert str(compute_fee(D("100.00"), SURCHARGE, 2, card, policy)) == expected


def test_surcharge_cap_includes_the_fixed_part_and_the_minimum():
    rule = FeeRule(D("2.5"), D("0.30"), min_fee=D("1.00"), kind="surcharge")
    # 2.5 % of 10.00 + 0.30 = 0.55, raised to the 1.00 minimum, capped at 3 % of 10.00.
    assert compute_fee(D("10.00"), rule, 2, CREDIT_US) == D("0.30")
    # 3 % of 0.99 is 0.0297: the cap is rounded down, never above 3 %.
    assert compute_fee(D("0.99"), SURCHARGE, 2, CREDIT_US) == D("0.02")
    assert compute_fee(D("1000.00"), rule, 2, CREDIT_US) == D("25.30")


def test_flat_fee_is_the_same_whatever_the_card_and_ignores_limits():
    rule = FeeRule(D("5"), D("2.00"), min_fee=D("3.00"), max_fee=D("1.00"), kind="flat")
    for card in (None, CREDIT_US, CardDetails("debit", "FR", wallet=True)):
        assert compute_fee(D("500.00"), rule, 2, card) == D("2.00")


def test_service_fee_works_as_before():
    rule = FeeRule(D("2.9"), D("0.30"), kind="service")
    assert compute_fee(D("100.00"), rule, 2) == compute_convenience_fee(D("100.00"), rule, 2) == D("3.20")


def test_unknown_kind_or_funding_is_refused():
    with pytest.raises(ValueError):
        FeeRule(D("1"), kind="tip")
    with pytest.raises(ValueError):
        CardDetails("charge")


def test_eea_and_uk_list():
    assert {"FR", "DE", "NO", "IS", "LI", "GB"} <= EEA_AND_UK
    assert not {"US", "CH", "CA"} & EEA_AND_UK
    assert surcharge_allowed(CREDIT_US, SurchargePolicy())


@given(
    amount=st.integers(min_value=1, max_value=10**9).map(lambda units: D(units).scaleb(-2)),
    percentage=st.integers(min_value=0, max_value=300).map(lambda value: D(value).scaleb(-2)),
    fixed=st.integers(min_value=0, max_value=10**4).map(lambda units: D(units).scaleb(-2)),
    minimum=st.integers(min_value=0, max_value=10**4).map(lambda units: D(units).scaleb(-2)),
)
def test_surcharge_never_exceeds_the_cap(amount, percentage, fixed, minimum):
    rule = FeeRule(percentage, fixed, min_fee=minimum, kind="surcharge")
    fee = compute_fee(amount, rule, 2, CREDIT_US)
    assert 0 <= fee <= amount * 3 / 100
