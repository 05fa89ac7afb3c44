"""Subject normalisation and Message-ID extraction for threading."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.core.threading_rules import (
    message_ids_in,
    normalise_message_id,
    normalise_subject,
)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Order late", "order late"),
        ("Re: Order late", "order late"),
        ("RE: RE: re: Order late", "order late"),
        ("Fwd: FW: Fw: Order late", "order late"),
        ("AW: WG: Bestellung", "bestellung"),
        ("SV: VS: Antw: Order", "order"),
        ("Re[2]: Order", "order"),
        ("Re(3): Order", "order"),
        ("Re^2: Order", "order"),
        ("RE : Commande", "commande"),
        ("TR: Commande", "commande"),
        ("Re：注文について", "注文について"),
        ("Ｒｅ：注文について", "注文について"),
        ("返信: 注文について", "注文について"),
        ("転送: 返信： 注文について", "注文について"),
        ("Отв: Заказ", "заказ"),
        ("Ответ: ОТВ: Заказ", "заказ"),
        ("Пересл: Re: Заказ", "заказ"),
        ("[#123] Order late", "order late"),
        ("[Support] Re: [#123] Re: Order late", "order late"),
        ("Re: [Support] Fwd: [Ticket #9] Order late", "order late"),
        ("【重要】 注文", "注文"),
        ("  Re:\tOrder \n  late  ", "order late"),
        ("Re:Order", "order"),
        ("Order [#123] late", "order [#123] late"),
        ("Regarding my order", "regarding my order"),
        ("Reply needed", "reply needed"),
        ("Fwdx: thing", "fwdx: thing"),
        ("Straße", "strasse"),
        ("Re:", ""),
        ("[Support]", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_subject(subject: str | None, expected: str) -> None:
    assert normalise_subject(subject) == expected


def test_reply_subjects_match_their_original() -> None:
    original = normalise_subject("Проблема с оплатой")
    for reply in [
        "Re: Проблема с оплатой",
        "RE: [#42] Проблема с  оплатой",
        "Отв: Проблема с оплатой",
    ]:
        assert normalise_subject(reply) == original


@given(st.text(max_size=200))
def test_normalise_subject_is_idempotent(subject: str) -> None:
    once = normalise_subject(subject)
    assert normalise_subject(once) == once


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a@x>", ["<a@x>"]),
        ("<a@x> <b@y>", ["<a@x>", "<b@y>"]),
        ("<a@x>,<b@y>, <c@z>", ["<a@x>", "<b@y>", "<c@z>"]),
        ("<a@x>\r\n\t<b@y>", ["<a@x>", "<b@y>"]),
        ("<a@x><b@y>", ["<a@x>", "<b@y>"]),
        ("<abc.123@\r\n mail.example.com>", ["<abc.123@mail.example.com>"]),
        ("<a@x> (Anna's message of Monday)", ["<a@x>"]),
        ('"Anna" <a@x>', ["<a@x>"]),
        ("<a@x> <a@x> <b@y>", ["<a@x>", "<b@y>"]),
        ("a@x b@y", ["<a@x>", "<b@y>"]),
        ("a@x, b@y", ["<a@x>", "<b@y>"]),
        ("<>", []),
        ("", []),
        (None, []),
        ("no ids here", []),
    ],
)
def test_message_ids_in(value: str | None, expected: list[str]) -> None:
    assert message_ids_in(value) == expected


def test_normalise_message_id() -> None:
    assert normalise_message_id("  <X@Y>  ") == "<X@Y>"
    assert normalise_message_id("bare@id") == "<bare@id>"
    assert normalise_message_id("no-at-sign") == "<no-at-sign>"
    assert normalise_message_id("") is None
    assert normalise_message_id(None) is None


@given(st.text(max_size=300))
def test_message_ids_are_always_bracketed_and_unique(value: str) -> None:
    ids = message_ids_in(value)
    assert len(ids) == len(set(ids))
    for item in ids:
        assert item.startswith("<") and item.endswith(">")
        assert len(item) > 2
        assert not any(ch.isspace() for ch in item)
