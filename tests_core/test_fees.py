"""Tests for pay_core.fees: convenience fee and its refunded share."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pay_core.fees import FeeRule, compute_convenience_fee

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
