"""Exact money handling: parsing untrusted amounts and half-up rounding.

Every amount leaving this module is a ``Decimal`` quantized to the currency's
number of decimal places. Binary floats are only ever accepted at the edges and
are converted through their shortest ``repr`` so that ``0.1`` means 0.1.
"""

import math
import re
from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from fractions import Fraction

#: Longest accepted amount string (whitespace included) and the largest number
#: of integer digits accepted from any input type: far above any real invoice,
#: low enough to keep arbitrary-precision arithmetic cheap.
MAX_AMOUNT_LENGTH = 32

#: Precision of the context used for sums; with MAX_AMOUNT_LENGTH digits per
#: amount, thousands of additions stay far below it.
_EXACT_PRECISION = 120

_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?", re.ASCII)
_NOT_FINITE_WORD = re.compile(r"[+-]?(?:s?nan|inf|infinity)", re.IGNORECASE)

AMOUNT_ERROR_CODES = frozenset(
    {"not_a_number", "not_finite", "not_positive", "too_precise", "too_long"}
)


class AmountError(ValueError):
    """An amount typed or sent by a customer cannot be used.

    ``code`` is one of :data:`AMOUNT_ERROR_CODES` and is what callers translate
    into a message; ``value`` is the raw input, kept for logging and tests.
    """

    def __init__(self, code: str, value: object):
        if code not in AMOUNT_ERROR_CODES:
            raise ValueError(f"unknown amount error code {code!r}")
        self.code = code
        self.value = value
        # The raw input may be an arbitrarily long string; keep debug text short.
        super().__init__(f"{code}: {_short_repr(value)}")


def _short_repr(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_decimal_places(decimal_places):
    # A wrong precision is a programming error in the caller, not bad input,
    # so it must not be reported as an AmountError.
    if isinstance(decimal_places, bool) or not isinstance(decimal_places, int):
        raise TypeError(f"decimal_places must be an int, got {decimal_places!r}")
    if decimal_places < 0:
        raise ValueError(f"decimal_places must be >= 0, got {decimal_places!r}")


def exact_decimal_context() -> AbstractContextManager[Context]:
    """Return a context manager in which Decimal arithmetic cannot round silently.

    Sums of amounts must be exact whatever the caller's current context is;
    inside this context any rounding raises ``decimal.Inexact`` instead.
    """
    return localcontext(
        Context(
            prec=_EXACT_PRECISION,
            rounding=ROUND_HALF_UP,
            traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
        )
    )


def round_money(amount: Decimal | Fraction | int, decimal_places: int) -> Decimal:
    """Round ``amount`` half away from zero to ``decimal_places`` and quantize it.

    This matches Odoo's ``float_round`` in ``HALF-UP`` mode, without its binary
    float epsilon tricks. ``amount`` may be a ``Decimal``, an ``int`` or an exact
    ``Fraction`` (used for ratios such as fee shares so they are rounded once).
    Raises :class:`AmountError` ``not_finite`` for NaN or infinite decimals.
    """
    _check_decimal_places(decimal_places)
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int, Fraction)):
        raise TypeError(f"round_money expects Decimal, int or Fraction, got {amount!r}")
    if isinstance(amount, Decimal) and not amount.is_finite():
        raise AmountError("not_finite", amount)
    # Integer arithmetic on an exact fraction: independent of any Decimal
    # context precision, so large amounts are never rounded twice.
    scaled = Fraction(amount) * 10**decimal_places
    units, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        units += 1
    sign = "-" if scaled < 0 and units else ""
    # Building from a string is exact and sets the exponent to -decimal_places.
    return Decimal(f"{sign}{units}E-{decimal_places}")


def to_decimal(value: float | int | Decimal, decimal_places: int) -> Decimal:
    """Convert a trusted stored number (typically an Odoo float) to money.

    Floats go through ``repr`` so that a stored ``123.45`` becomes exactly
    ``Decimal('123.45')``; the result is rounded half-up to ``decimal_places``.
    Negative values are kept: balances and credit notes can be negative.
    """
    _check_decimal_places(decimal_places)
    if isinstance(value, bool) or not isinstance(value, (float, int, Decimal)):
        raise TypeError(f"to_decimal expects float, int or Decimal, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AmountError("not_finite", value)
        value = Decimal(repr(value))
    return round_money(value, decimal_places)


def parse_amount(value: object, decimal_places: int) -> Decimal:
    """Parse an untrusted positive amount and quantize it to ``decimal_places``.

    Accepts ``int``, ``float`` (read through ``repr``), ``Decimal`` and strings in
    plain decimal notation: optional surrounding whitespace, optional sign,
    digits, optionally a dot followed by digits. Trailing zeros beyond the
    precision are fine (``"12.500"`` is 12.50) but significant extra decimals are
    refused rather than rounded, so a customer never pays something other than
    what they typed. Raises :class:`AmountError`.
    """
    _check_decimal_places(decimal_places)
    number = _to_finite_decimal(value)
    if number <= 0:
        raise AmountError("not_positive", value)
    # Checked before any rounding: a huge exponent would otherwise make the
    # exact arithmetic below allocate enormous integers.
    if number.adjusted() >= MAX_AMOUNT_LENGTH:
        raise AmountError("too_long", value)
    if _has_more_decimals_than(number, decimal_places):
        raise AmountError("too_precise", value)
    return round_money(number, decimal_places)


def _to_finite_decimal(value):
    # bool is an int subclass, but True is never a meaningful amount.
    if isinstance(value, bool):
        raise AmountError("not_a_number", value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AmountError("not_finite", value)
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError("not_finite", value)
        return value
    if isinstance(value, str):
        return _parse_amount_text(value)
    raise AmountError("not_a_number", value)


def _parse_amount_text(text):
    if len(text) > MAX_AMOUNT_LENGTH:
        raise AmountError("too_long", text)
    stripped = text.strip()
    if _NOT_FINITE_WORD.fullmatch(stripped):
        raise AmountError("not_finite", text)
    # Decimal() alone would also accept exponents, underscores and non-ASCII
    # digits, none of which a customer should be able to send.
    if not _PLAIN_DECIMAL.fullmatch(stripped):
        raise AmountError("not_a_number", text)
    return Decimal(stripped)


def _has_more_decimals_than(number, decimal_places):
    # Inspecting digits avoids any context-dependent operation, so this stays
    # exact and cheap even for absurd exponents such as Decimal('1E-999999').
    _sign, digits, exponent = number.as_tuple()
    excess_places = -decimal_places - exponent
    if excess_places <= 0:
        return False
    return any(digits[-excess_places:])
