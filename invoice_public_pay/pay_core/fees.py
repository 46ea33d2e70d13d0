"""Fee charged on top of a payment, of the kinds card-network rules allow.

Three kinds (:data:`FEE_KINDS`): a ``surcharge`` is a percentage (with an
optional fixed part) on card payments, charged only on credit cards, capped,
and never where the law or the card's issuing region forbids it; a ``flat`` fee
is the same fixed amount whatever the method or card; a ``service`` fee is a
percentage and/or fixed amount on methods that are not cards.

Fees are computed on exact fractions and rounded once at the very end, so the
customer sees the same fee whatever order the terms are applied in.
"""

from dataclasses import dataclass, field, fields
from decimal import Decimal
from fractions import Fraction

from .money import round_money

FEE_KINDS = ("surcharge", "flat", "service")

CARD_FUNDINGS = ("credit", "debit", "prepaid", "unknown")

#: Countries of the European Economic Area and the United Kingdom, where
#: surcharges on consumer cards are banned (ISO 3166-1 alpha-2).
EEA_AND_UK = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO", "GB",
})

#: Default cap of a surcharge, in percent of the amount paid (Visa's in the US).
DEFAULT_SURCHARGE_CAP = Decimal(3)


@dataclass(frozen=True)
class FeeRule:
    """How the fee of one payment method is computed.

    ``percentage`` is in percent (``Decimal('2.9')`` means 2.9 %). The amounts
    are already in the payment currency. A zero ``min_fee`` or ``max_fee`` means
    no floor or no cap. Values must be non-negative ``Decimal`` (or ``int``);
    floats are refused so binary approximations never reach a fee. ``kind`` is
    one of :data:`FEE_KINDS` (a ``flat`` fee is its ``fixed_amount`` only).
    """

    percentage: Decimal
    fixed_amount: Decimal = Decimal(0)
    min_fee: Decimal = Decimal(0)
    max_fee: Decimal = Decimal(0)
    kind: str = "service"

    def __post_init__(self):
        if self.kind not in FEE_KINDS:
            raise ValueError(f"unknown fee kind {self.kind!r}")
        for rule_field in fields(self):
            if rule_field.name == "kind":
                continue
            value = getattr(self, rule_field.name)
            checked = _non_negative_decimal(rule_field.name, value)
            # Frozen dataclass: normalising ints to Decimal needs the object hook.
            object.__setattr__(self, rule_field.name, checked)


@dataclass(frozen=True)
class CardDetails:
    """What the provider reports of the card of one payment, before the amount is fixed.

    ``funding`` is one of :data:`CARD_FUNDINGS`; ``country`` the issuing country
    (ISO code) if known; ``wallet`` tells a card paid through Apple Pay, Google
    Pay and the like, whose sheet shows the amount before the card is known.
    ``reference`` is what the provider looked the card up by (the page's card
    entry): the fee the customer was shown is sealed with it.
    """

    funding: str = "unknown"
    country: str = ""
    brand: str = ""
    wallet: bool = False
    reference: str = field(default="", compare=False)

    def __post_init__(self):
        if self.funding not in CARD_FUNDINGS:
            raise ValueError(f"unknown card funding {self.funding!r}")


@dataclass(frozen=True)
class SurchargePolicy:
    """Where the business and the customer are, as far as surcharges go.

    ``cap_percentage``: the most a surcharge may be, in percent of the amount
    paid (fixed part and minimum included); ``banned_by_state``: the company's or
    the customer's state forbids surcharges; ``block_eea_uk_cards``: no
    surcharge on cards issued in the EEA or the UK; ``company_in_eea_uk``:
    surcharges are not available to the business at all.
    """

    cap_percentage: Decimal = DEFAULT_SURCHARGE_CAP
    banned_by_state: bool = False
    block_eea_uk_cards: bool = True
    company_in_eea_uk: bool = False


def surcharge_allowed(card: CardDetails | None, policy: SurchargePolicy) -> bool:
    """Whether a surcharge may be charged on this card under this policy."""
    if card is None or card.funding != "credit" or card.wallet:
        return False
    if policy.company_in_eea_uk or policy.banned_by_state:
        return False
    return not (policy.block_eea_uk_cards and card.country.upper() in EEA_AND_UK)


def compute_fee(
    amount: Decimal,
    rule: FeeRule | None,
    decimal_places: int,
    card: CardDetails | None = None,
    policy: SurchargePolicy | None = None,
) -> Decimal:
    """Return the fee of paying ``amount`` under ``rule`` with ``card``, quantized.

    ``flat``: the fixed amount. ``service``: as :func:`compute_convenience_fee`.
    ``surcharge``: zero unless :func:`surcharge_allowed`; otherwise computed like
    a service fee and then lowered to the policy's cap of ``amount`` (rounded
    down to the currency, so the cap is never exceeded by rounding).
    """
    zero = round_money(Decimal(0), decimal_places)
    if rule is None or _exact(amount) <= 0:
        return zero
    if rule.kind == "flat":
        return max(round_money(_exact(rule.fixed_amount), decimal_places), zero)
    if rule.kind == "service":
        return compute_convenience_fee(amount, rule, decimal_places)
    policy = policy or SurchargePolicy()
    if not surcharge_allowed(card, policy):
        return zero
    fee = compute_convenience_fee(amount, rule, decimal_places)
    unit = Fraction(1, 10**decimal_places)
    cap = (_exact(amount) * _exact(policy.cap_percentage) / 100 // unit) * unit
    return min(fee, round_money(cap, decimal_places))


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
