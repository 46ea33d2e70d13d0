"""Secret tokens of public pay links: creation, shape check, digest, log masking."""

import hashlib
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
# Every spelling a server may receive and log: any letter case, "-" or "/" percent-encoded,
# repeated slashes or dot segments, a language prefix before it, or inside a query string
# (``?redirect=/invoice-pay/...``). Repeated prefixes are consumed whole, so the token after
# the last one is masked. The token runs to the next separator; anything percent-encoded in
# it is masked with it.
_TOKEN_IN_PAY_LINK = re.compile(
    r"(?P<prefix>(?:invoice(?:-|%2d)pay(?:/|%2f|\.)+)+)(?P<token>[^/?#&\s'\"]+)", re.IGNORECASE,
)


def generate_token() -> str:
    """Return a new unguessable pay link token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_well_formed_token(value: object) -> bool:
    """Tell whether ``value`` has the shape of a token from :func:`generate_token`.

    Lets the controller reject garbage before any database lookup; it says
    nothing about whether the token exists.
    """
    return isinstance(value, str) and _WELL_FORMED_TOKEN.fullmatch(value) is not None


def token_digest(token: str) -> str:
    """Return the SHA-256 of ``token`` in hexadecimal: what is kept of a replaced token.

    A token is 256 random bits: its digest cannot be turned back into it, so a
    stored digest recognises the token when it is shown again and opens nothing.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def mask_pay_link_tokens(text: str) -> str:
    """Replace the token of every pay link path in ``text`` with ``***``.

    The token is whatever follows ``invoice-pay/`` (in any of the spellings above)
    up to the next ``/``, ``?``, ``#``, ``&``, whitespace, quote or the end, so
    ``GET /INVOICE-PAY//abc/invoices?x=1`` becomes ``GET /INVOICE-PAY//***/invoices?x=1``.
    Meant for every log line: text without a pay link is returned as is (the same object).
    """
    return _TOKEN_IN_PAY_LINK.sub(rf"\g<prefix>{TOKEN_MASK}", text)
