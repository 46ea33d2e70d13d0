"""Tests for pay_core.money: parsing untrusted amounts and half-up rounding."""

from decimal import Decimal, getcontext, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pay_core.money import (
    MAX_AMOUNT_LENGTH,
    AmountError,
    parse_amount,
    round_money,
    to_decimal,
)


def _error_code(value, decimal_places=2):
    """Return the AmountError code, checking the raw input is kept as is."""
    with pytest.raises(AmountError) as caught:
        parse_amount(value, decimal_places)
    assert caught.value.value is value
    return caught.value.code


# --- parse_amount: accepted inputs -----------------------------------------


@pytest.mark.parametrize(
    ("raw", "decimal_places", "expected"),
    [
        (10, 2, "10.00"),
        ("10", 2, "10.00"),
        ("12.5", 2, "12.50"),
        ("12.500", 2, "12.50"),
        ("  12.50\t\n", 2, "12.50"),
        ("+7.25", 2, "7.25"),
        ("0.01", 2, "0.01"),
        ("007.10", 2, "7.10"),
        (Decimal("3.1"), 2, "3.10"),
        (Decimal("3.100000"), 2, "3.10"),
        (Decimal("1E+3"), 2, "1000.00"),
        (0.1, 2, "0.10"),
        (19.99, 2, "19.99"),
        (1e20, 2, "100000000000000000000.00"),
        ("10.0", 0, "10"),
        ("10", 0, "10"),
        (10.0, 0, "10"),
        ("1.234", 3, "1.234"),
        ("1.2", 3, "1.200"),
        ("0.001", 3, "0.001"),
        ("9" * MAX_AMOUNT_LENGTH, 0, "9" * MAX_AMOUNT_LENGTH),
    ],
)
def test_parse_amount_accepts_and_quantizes(raw, decimal_places, expected):
    result = parse_amount(raw, decimal_places)
    assert isinstance(result, Decimal)
    # str() comparison also checks the exponent, i.e. the quantization.
    assert str(result) == expected


def test_float_goes_through_repr_not_binary_expansion():
    assert parse_amount(0.1, 1) == Decimal("0.1")
    # 1.15 is stored as 1.149999...; read from its repr it is still 1.15.
    assert parse_amount(1.15, 2) == Decimal("1.15")
    assert parse_amount(0.3, 2) == Decimal("0.30")


def test_float_sum_with_binary_noise_is_too_precise():
    # 0.1 + 0.2 == 0.30000000000000004: the client should have sent a string.
    assert _error_code(0.1 + 0.2) == "too_precise"


def test_result_does_not_depend_on_decimal_context_precision():
    with localcontext() as context:
        context.prec = 5
        assert str(parse_amount("12345678901234567890.12", 2)) == "12345678901234567890.12"
    assert getcontext().prec == 28


# --- parse_amount: every error code -----------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "1e3",
        "1E3",
        "1,000",
        "1,5",
        "0x10",
        "1_000",
        ".5",
        "5.",
        "1.2.3",
        "++1",
        "+-1",
        "1 000",
        "\u0661\u0662",  # Arabic-Indic digits, accepted by Decimal() itself
        "\uff11\uff12",  # full-width digits
        None,
        True,
        False,
        [1],
        {"amount": 1},
        b"12",
        Fraction(1, 2),
        1j,
    ],
)
def test_not_a_number(raw):
    assert _error_code(raw) == "not_a_number"


@pytest.mark.parametrize(
    "raw",
    [
        "NaN",
        "nan",
        " -nan ",
        "sNaN",
        "inf",
        "-inf",
        "Infinity",
        "+INFINITY",
        float("nan"),
        float("inf"),
        float("-inf"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
    ],
)
def test_not_finite(raw):
    assert _error_code(raw) == "not_finite"


@pytest.mark.parametrize(
    "raw",
    [
        "0",
        "0.00",
        "-0",
        "-0.00",
        "+0",
        "-5",
        " -12.50 ",
        0,
        -1,
        0.0,
        -0.0,
        -0.5,
        Decimal("0"),
        Decimal("-0"),
        Decimal("-3.25"),
        Decimal("0E+5"),
    ],
)
def test_not_positive(raw):
    assert _error_code(raw) == "not_positive"


@pytest.mark.parametrize(
    ("raw", "decimal_places"),
    [
        ("12.505", 2),
        ("0.001", 2),
        ("10.5", 0),
        ("0.0001", 3),
        ("1.23456789", 3),
        (Decimal("1E-999999"), 2),
        (0.005, 2),
        (1e-7, 2),
    ],
)
def test_too_precise(raw, decimal_places):
    assert _error_code(raw, decimal_places) == "too_precise"


@pytest.mark.parametrize(
    "raw",
    [
        "1" * (MAX_AMOUNT_LENGTH + 1),
        " " * 30 + "1.00",
        "0." + "0" * 40,  # refused for length before anything else
        "nan" + " " * 40,
        "1" * 10_000,
        10**MAX_AMOUNT_LENGTH,
        10**400,
        Decimal("1E+999999999"),
        1e308,
    ],
)
def test_too_long(raw):
    assert _error_code(raw) == "too_long"


def test_longest_accepted_string():
    text = " " * 10 + "1" * 19 + ".50"
    assert len(text) == MAX_AMOUNT_LENGTH
    assert parse_amount(text, 2) == Decimal("1111111111111111111.50")


def test_amount_error_is_a_value_error_with_short_debug_text():
    with pytest.raises(ValueError) as caught:
        parse_amount("x" * 10_000, 2)
    assert caught.value.code == "too_long"
    assert len(str(caught.value)) < 100


def test_amount_error_rejects_unknown_codes():
    with pytest.raises(ValueError):
        AmountError("no_such_code", 1)


@pytest.mark.parametrize("decimal_places", [-1, 2.0, "2", None, True])
def test_bad_decimal_places_is_a_programming_error(decimal_places):
    with pytest.raises((TypeError, ValueError)) as caught:
        parse_amount("1", decimal_places)
    assert not isinstance(caught.value, AmountError)


# --- round_money -----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "decimal_places", "expected"),
    [
        (Decimal("2.345"), 2, "2.35"),
        (Decimal("2.344999"), 2, "2.34"),
        (Decimal("-2.345"), 2, "-2.35"),
        (Decimal("0.5"), 0, "1"),
        (Decimal("1.5"), 0, "2"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("-2.5"), 0, "-3"),
        (Decimal("1.0005"), 3, "1.001"),
        (Decimal("7"), 3, "7.000"),
        (Decimal("-0.001"), 2, "0.00"),
        (Decimal("-0"), 2, "0.00"),
        (Decimal("9.995"), 2, "10.00"),
        (
            Decimal("99999999999999999999999999999999.995"),
            2,
            "100000000000000000000000000000000.00",
        ),
        (Fraction(1, 3), 2, "0.33"),
        (Fraction(2, 3), 2, "0.67"),
        (Fraction(1, 8), 2, "0.13"),
        (5, 2, "5.00"),
    ],
)
def test_round_money_half_up(amount, decimal_places, expected):
    assert str(round_money(amount, decimal_places)) == expected


def test_round_money_rejects_non_finite_and_floats():
    with pytest.raises(AmountError) as caught:
        round_money(Decimal("NaN"), 2)
    assert caught.value.code == "not_finite"
    with pytest.raises(TypeError):
        round_money(1.5, 2)


# --- to_decimal ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimal_places", "expected"),
    [
        (123.45, 2, "123.45"),
        (0.1 + 0.2, 2, "0.30"),
        (2.675, 2, "2.68"),  # binary 2.67499999... would round down
        (1.005, 2, "1.01"),
        (-1.005, 2, "-1.01"),
        (100, 2, "100.00"),
        (0.0, 2, "0.00"),
        (-0.0, 2, "0.00"),
        (Decimal("3.14159"), 3, "3.142"),
        (12.5, 0, "13"),
    ],
)
def test_to_decimal(value, decimal_places, expected):
    assert str(to_decimal(value, decimal_places)) == expected


def test_to_decimal_rejects_non_finite_and_non_numbers():
    with pytest.raises(AmountError):
        to_decimal(float("inf"), 2)
    with pytest.raises(TypeError):
        to_decimal("1.00", 2)
    with pytest.raises(TypeError):
        to_decimal(True, 2)


# --- properties ------------------------------------------------------------

places = st.integers(min_value=0, max_value=6)


@given(
    units=st.integers(min_value=1, max_value=10**15),
    decimal_places=places,
    padding=st.integers(min_value=0, max_value=3),
)
def test_plain_strings_round_trip(units, decimal_places, padding):
    exact = Decimal(units).scaleb(-decimal_places)
    text = format(exact, "f")
    if padding:
        # Trailing zeros after the precision do not change the value.
        text += ("" if decimal_places else ".") + "0" * padding
    text = " " * padding + text + " " * padding
    assert parse_amount(text, decimal_places) == exact
    assert parse_amount(text, decimal_places).as_tuple().exponent == -decimal_places


@given(
    value=st.decimals(min_value=-(10**12), max_value=10**12, places=8),
    decimal_places=places,
)
def test_round_money_is_within_half_a_unit(value, decimal_places):
    rounded = round_money(value, decimal_places)
    half_unit = Decimal(1).scaleb(-decimal_places) / 2
    assert abs(rounded - value) <= half_unit
    assert rounded.as_tuple().exponent == -decimal_places


@given(value=st.floats(min_value=0.01, max_value=1e12, allow_nan=False), decimal_places=places)
def test_parse_amount_of_a_float_matches_its_repr(value, decimal_places):
    as_written = Decimal(repr(value))
    try:
        parsed = parse_amount(value, decimal_places)
    except AmountError as error:
        assert error.code == "too_precise"
        assert round_money(as_written, decimal_places) != as_written
    else:
        assert parsed == as_written
