"""Tests for pay_core.tokens: pay link token creation, shape check and masking."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pay_core.tokens import (
    TOKEN_BYTES,
    generate_token,
    is_well_formed_token,
    mask_pay_link_tokens,
    token_digest,
)

TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_generated_tokens_are_well_formed_and_unique():
    tokens = {generate_token() for _ in range(500)}
    assert len(tokens) == 500
    assert TOKEN_BYTES == 32
    for token in tokens:
        assert len(token) == 43
        assert is_well_formed_token(token)


@pytest.mark.parametrize(
    "value",
    [
        None,
        43,
        b"A" * 43,
        "",
        "A" * 42,
        "A" * 44,
        "A" * 42 + "=",
        "A" * 42 + "+",
        "A" * 42 + "/",
        "A" * 42 + " ",
        "A" * 43 + "\n",
        "\n" + "A" * 43,
        "A" * 42 + "\u00e9",
        "A" * 42 + "\u0661",
        ["A" * 43],
    ],
)
def test_malformed_tokens(value):
    assert not is_well_formed_token(value)


def test_token_alphabet_is_url_safe():
    assert is_well_formed_token("-_" + "aZ9" * 13 + "xy")


def test_token_digest_is_sha256_hex_and_never_the_token():
    token = generate_token()
    digest = token_digest(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert len(digest) == 64
    assert token not in digest
    assert token_digest(token) == digest
    assert token_digest(generate_token()) != digest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /invoice-pay/abc/invoices?x=1", "GET /invoice-pay/***/invoices?x=1"),
        ("GET /invoice-pay/abc HTTP/1.1", "GET /invoice-pay/*** HTTP/1.1"),
        ("/invoice-pay/abc", "/invoice-pay/***"),
        ("/invoice-pay/abc?x=1", "/invoice-pay/***?x=1"),
        ("/invoice-pay/abc#top", "/invoice-pay/***#top"),
        ("href='/invoice-pay/abc'", "href='/invoice-pay/***'"),
        ('href="/invoice-pay/abc">', 'href="/invoice-pay/***">'),
        ("https://x.test/invoice-pay/abc/pay\n", "https://x.test/invoice-pay/***/pay\n"),
        (
            "/invoice-pay/one and /invoice-pay/two/x",
            "/invoice-pay/*** and /invoice-pay/***/x",
        ),
        ("/invoice-pay/", "/invoice-pay/"),
        ("/invoice-pay//x", "/invoice-pay//***"),
        ("GET /INVOICE-PAY/abc HTTP/1.1", "GET /INVOICE-PAY/*** HTTP/1.1"),
        ("GET /Invoice-Pay///abc/invoices", "GET /Invoice-Pay///***/invoices"),
        ("GET /fr_BE/invoice-pay/abc", "GET /fr_BE/invoice-pay/***"),
        ("GET /invoice%2Dpay%2Fabc%2Finvoices", "GET /invoice%2Dpay%2F***"),
        ("GET /invoice-pay/./abc", "GET /invoice-pay/./***"),
        ("/web/login?redirect=%2Finvoice-pay%2Fabc&x=1", "/web/login?redirect=%2Finvoice-pay%2F***&x=1"),
        ("Location: http://x.test/invoice-pay/abc", "Location: http://x.test/invoice-pay/***"),
        ("/invoice-pay/invoice-pay/abc", "/invoice-pay/invoice-pay/***"),
        ("nothing to hide here", "nothing to hide here"),
        ("/invoice-payment/abc", "/invoice-payment/abc"),
        ("", ""),
    ],
)
def test_mask_pay_link_tokens(text, expected):
    assert mask_pay_link_tokens(text) == expected


def test_text_without_pay_link_is_returned_as_is():
    text = "werkzeug: 127.0.0.1 GET /web 200"
    assert mask_pay_link_tokens(text) is text


@given(
    prefix=st.text(max_size=30),
    token=st.text(alphabet=TOKEN_ALPHABET, min_size=1, max_size=60),
    suffix=st.sampled_from(["", "/", "/invoices?x=1", "?a=b", "#f", " 200", '"', "'"]),
)
def test_token_never_survives_masking(prefix, token, suffix):
    masked = mask_pay_link_tokens(prefix + "/invoice-pay/" + token + suffix)
    assert "/invoice-pay/" + token not in masked
    assert masked.endswith("/invoice-pay/***" + suffix)
