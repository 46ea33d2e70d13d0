"""Secret tokens of public pay links: creation, shape check, log masking."""

import re
import secrets

#: 32 random bytes = 256 bits, encoded as 43 URL-safe base64 characters.
TOKEN_BYTES = 32
TOKEN_LENGTH = 43

#: Path prefix of public pay links; what follows it is the secret token.
PAY_LINK_PREFIX = "/invoice-pay/"
TOKEN_MASK = "***"

# fullmatch rather than "$": "$" would also accept a trailing newline.
_WELL_FORMED_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")
_TOKEN_IN_PAY_LINK = re.compile(re.escape(PAY_LINK_PREFIX) + r"[^/?#\s'\"]+")


def generate_token() -> str:
    """Return a new unguessable pay link token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_well_formed_token(value: object) -> bool:
    """Tell whether ``value`` has the shape of a token from :func:`generate_token`.

    Lets the controller reject garbage before any database lookup; it says
    nothing about whether the token exists.
    """
    return isinstance(value, str) and _WELL_FORMED_TOKEN.fullmatch(value) is not None


def mask_pay_link_tokens(text: str) -> str:
    """Replace the token of every pay link path in ``text`` with ``***``.

    The token is whatever follows ``/invoice-pay/`` up to the next ``/``, ``?``,
    ``#``, whitespace, quote or the end, so ``GET /invoice-pay/abc/invoices?x=1``
    becomes ``GET /invoice-pay/***/invoices?x=1``. Meant for every log line, so
    text without a pay link is returned untouched without running the regex.
    """
    if PAY_LINK_PREFIX not in text:
        return text
    return _TOKEN_IN_PAY_LINK.sub(PAY_LINK_PREFIX + TOKEN_MASK, text)
