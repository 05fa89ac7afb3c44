"""Recognising customers: e-mail addresses and phone numbers normalised to one spelling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.core.errors import InvalidInput, UsageError
from desk_app.core.identities import normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ivan@example.com", "ivan@example.com"),
        ("  Ivan.Petrov@Example.COM  ", "ivan.petrov@example.com"),
        ("<ivan@example.com>", "ivan@example.com"),
        (" < Ivan@Example.com > ", "ivan@example.com"),
        ("first+tag@sub.example.co.uk", "first+tag@sub.example.co.uk"),
        ("ivan@пример.рф", "ivan@xn--e1afmkfd.xn--p1ai"),
        ("Ivan@ПРИМЕР.РФ", "ivan@xn--e1afmkfd.xn--p1ai"),
        ("ivan@xn--e1afmkfd.xn--p1ai", "ivan@xn--e1afmkfd.xn--p1ai"),
        ("IVAN@XN--E1AFMKFD.XN--P1AI", "ivan@xn--e1afmkfd.xn--p1ai"),
        ("tanaka@例え.jp", "tanaka@xn--r8jz45g.jp"),
        ("иван@пример.рф", "иван@xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_normalise_email(raw, expected):
    assert normalise_email(raw) == expected


def test_unicode_and_punycode_domains_are_the_same_customer():
    assert normalise_email("a@Пример.рф") == normalise_email("A@xn--e1afmkfd.xn--p1ai")
    assert normalise_email("a@例え.jp") == normalise_email("a@XN--R8JZ45G.jp")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ivan",
        "ivan@",
        "@example.com",
        "ivan@@example.com",
        "ivan@exa@mple.com",
        "ivan petrov@example.com",
        "ivan@exa mple.com",
        "ivan@example..com",
        "ivan@.example.com",
        "<>",
        "ivan@" + "a" * 64 + ".com",  # a DNS label is at most 63 characters
    ],
)
def test_bad_email_raises_invalid_input(raw):
    with pytest.raises(InvalidInput) as caught:
        normalise_email(raw)
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == 2
    assert repr(raw)[1:-1] in str(caught.value) or raw.strip() == ""


@given(st.text(max_size=80))
def test_normalise_email_either_normalises_or_refuses(raw):
    try:
        value = normalise_email(raw)
    except InvalidInput:
        return
    assert value == value.lower()
    assert value.count("@") == 1
    assert not any(ch.isspace() for ch in value)
    assert value.rpartition("@")[2].isascii()
    assert normalise_email(value) == value  # idempotent


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+81 3-1234-5678", None, "+81312345678"),
        ("03-1234-5678", "JP", "+81312345678"),
        ("090-1234-5678", "JP", "+819012345678"),
        ("+7 (495) 123-45-67", None, "+74951234567"),
        ("8 (495) 123-45-67", "RU", "+74951234567"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("+1 415 555 2671", "JP", "+14155552671"),  # an explicit country code wins
        ("+８１ ３ １２３４ ５６７８", None, "+81312345678"),  # full-width digits
    ],
)
def test_normalise_phone(raw, region, expected):
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("hello", None),
        ("", None),
        ("03-1234-5678", None),  # national format needs a region
        ("12", "US"),
        ("+1 2", None),
        ("+999 1234567", None),
    ],
)
def test_bad_phone_raises_invalid_input(raw, region):
    with pytest.raises(InvalidInput, match="phone number"):
        normalise_phone(raw, region)


@given(st.text(max_size=30), st.sampled_from([None, "US", "JP", "RU", "GB"]))
def test_normalise_phone_either_normalises_or_refuses(raw, region):
    try:
        value = normalise_phone(raw, region)
    except InvalidInput:
        return
    assert value.startswith("+")
    assert value[1:].isdigit()
    assert normalise_phone(value) == value
