"""Convenience fee charged on top of a payment.

Fees are computed on exact fractions and rounded once at the very end, so the
customer sees the same fee whatever order the terms are applied in.
"""

from dataclasses import dataclass, fields
from decimal import Decimal
from fractions import Fraction

from .money import round_money


@dataclass(frozen=True)
class FeeRule:
    """How the convenience fee of one payment method is computed.

    ``percentage`` is in percent (``Decimal('2.9')`` means 2.9 %). The amounts
    are already in the payment currency. A zero ``min_fee`` or ``max_fee`` means
    no floor or no cap. Values must be non-negative ``Decimal`` (or ``int``);
    floats are refused so binary approximations never reach a fee.
    """

    percentage: Decimal
    fixed_amount: Decimal = Decimal(0)
    min_fee: Decimal = Decimal(0)
    max_fee: Decimal = Decimal(0)

    def __post_init__(self):
        for field in fields(self):
            value = getattr(self, field.name)
            checked = _non_negative_decimal(field.name, value)
            # Frozen dataclass: normalising ints to Decimal needs the object hook.
            object.__setattr__(self, field.name, checked)


def compute_convenience_fee(amount: Decimal, rule: FeeRule | None, decimal_places: int) -> Decimal:
    """Return the fee for paying ``amount`` under ``rule``, quantized.

    ``amount * percentage / 100 + fixed_amount``, raised to ``min_fee`` and then
    lowered to ``max_fee`` when those are set, rounded half-up once. No rule or a
    non-positive amount gives a zero fee; the fee is never negative.
    """
    zero = round_money(Decimal(0), decimal_places)
    exact_amount = _exact(amount)
    if rule is None or exact_amount <= 0:
        return zero
    fee = exact_amount * _exact(rule.percentage) / 100 + _exact(rule.fixed_amount)
    if rule.min_fee > 0:
        fee = max(fee, _exact(rule.min_fee))
    if rule.max_fee > 0:
        fee = min(fee, _exact(rule.max_fee))
    return max(round_money(fee, decimal_places), zero)


def _exact(value):
    # Money in the core is Decimal; refusing floats here catches a caller that
    # forgot to convert a stored float before the fee is silently off by a cent.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"expected Decimal or int, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"expected a finite amount, got {value!r}")
    return Fraction(value)


def _non_negative_decimal(name, value):
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"FeeRule.{name} must be a Decimal, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"FeeRule.{name} must be finite, got {value!r}")
    if value < 0:
        raise ValueError(f"FeeRule.{name} must not be negative, got {value!r}")
    return Decimal(value)
