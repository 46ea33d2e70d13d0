"""Stripe helpers of the pay page that need no ORM: amounts in Stripe's units, card details.

The page reads the card before the amount is fixed: Stripe.js turns the card entry into
a ConfirmationToken, ``/quote`` reads its ``payment_method_preview`` with the official
SDK to price a credit card surcharge, and ``/transaction`` creates the PaymentIntent for
exactly the priced total and confirms it with that token (``payment.transaction``'s
``_invoice_pay_stripe_*`` methods). From then on the PaymentIntent is an ordinary one for
``payment_stripe``: its return route, webhooks, captures and refunds handle it.
"""

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment_stripe import const as stripe_const

from .pay_core.fees import CARD_FUNDINGS, CardDetails

#: Card wallets whose payment sheet shows the amount before the card is known (no
#: surcharge can be added after the customer saw it). Link is not one of them: it fills
#: in a saved card, which is priced like any card.
SHEET_WALLETS = frozenset({"apple_pay", "google_pay", "samsung_pay"})
#: A ConfirmationToken id as Stripe writes it; anything else is not sent to Stripe.
CONFIRMATION_TOKEN_PREFIX = "ctoken_"
MAX_STRIPE_ID_LENGTH = 255


def is_confirmation_token_id(value):
    """Whether ``value`` looks like a ConfirmationToken id (letters, digits, underscores)."""
    return (
        isinstance(value, str)
        and value.startswith(CONFIRMATION_TOKEN_PREFIX)
        and len(value) <= MAX_STRIPE_ID_LENGTH
        and value.isascii()
        and value.replace("_", "").isalnum()
    )


def stripe_payment_method_type(payment_method):
    """The Stripe type of an Odoo ``payment.method`` (its primary method for a card brand)."""
    code = payment_method.primary_payment_method_id.code or payment_method.code
    return stripe_const.PAYMENT_METHODS_MAPPING.get(code, code)


def stripe_minor_amount(amount, currency):
    """``amount`` in the minor units Stripe expects for ``currency`` (``payment_stripe``'s conversion)."""
    return payment_utils.to_minor_currency_units(
        amount, currency, arbitrary_decimal_number=stripe_const.CURRENCY_DECIMALS.get(currency.name),
    )


def card_details_from_stripe(card, reference=""):
    """:class:`CardDetails` of a Stripe ``card`` hash (of a PaymentMethod or its preview)."""
    if not card:
        return CardDetails(reference=reference)
    funding = card.get("funding")
    return CardDetails(
        funding=funding if funding in CARD_FUNDINGS else "unknown",
        country=(card.get("country") or "").upper()[:2],
        brand=card.get("brand") or "",
        wallet=(card.get("wallet") or {}).get("type") in SHEET_WALLETS,
        reference=reference,
    )
