"""Search text normalisation: what is indexed and what a typed query turns into."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from desk_app.core import search_text
from desk_app.core.search_text import (
    MAX_QUERY_TERMS,
    QueryTerm,
    index_text,
    index_tokens,
    query_terms,
)


def tokens_of(text: str) -> list[tuple[str, ...]]:
    return [term.tokens for term in query_terms(text)]


# --- index_tokens ----------------------------------------------------------------------------


def test_english_is_split_on_non_letters_and_case_folded():
    assert index_tokens("Hello, World! Order #4512 (urgent)") == [
        "hello",
        "world",
        "order",
        "4512",
        "urgent",
    ]


def test_underscore_and_punctuation_separate_words():
    assert index_tokens("snake_case kebab-case dot.ted") == [
        "snake",
        "case",
        "kebab",
        "case",
        "dot",
        "ted",
    ]


def test_russian_is_case_folded_including_yo():
    assert index_tokens("Фёдор ЁЛКИН Ёж") == ["фёдор", "ёлкин", "ёж"]
    assert index_tokens("ПРИВЕТ") == index_tokens("привет")
    assert index_tokens("ЁЖ") == index_tokens("ёж")


def test_full_width_letters_and_digits_become_ascii():
    assert index_tokens("ＡＢＣ　Ｌｔｄ　１２３") == ["abc", "ltd", "123"]


def test_ligatures_and_eszett_fold():
    assert index_tokens("ﬁle Straße") == ["file", "strasse"]


def test_japanese_runs_become_bigrams_plus_last_character():
    assert index_tokens("東京都") == ["東京", "京都", "都"]
    assert index_tokens("東") == ["東"]
    assert index_tokens("パスワード") == ["パス", "スワ", "ワー", "ード", "ド"]


def test_mixed_scripts_split_into_runs():
    assert index_tokens("iPhoneの設定") == ["iphone", "の設", "設定", "定"]
    assert index_tokens("注文12345") == ["注文", "文", "12345"]


def test_half_width_katakana_is_normalised():
    assert index_tokens("ﾊﾟｽﾜｰﾄﾞ") == index_tokens("パスワード")


def test_email_address_becomes_words():
    assert index_tokens("Ivan.Petrov+desk@Example.COM") == [
        "ivan",
        "petrov",
        "desk",
        "example",
        "com",
    ]


def test_index_text_joins_parts_and_skips_empty():
    assert index_text("Hello", None, "", "Мир 東京") == "hello мир 東京 京"
    assert index_text() == ""


# --- query_terms -----------------------------------------------------------------------------


def test_every_word_is_a_prefix_phrase():
    assert query_terms("refund order") == [
        QueryTerm(("refund",), prefix=True),
        QueryTerm(("order",), prefix=True),
    ]


def test_email_in_query_is_one_phrase():
    assert tokens_of("John.Smith@Example.com") == [("john", "smith", "example", "com")]


def test_russian_query_folds_like_the_index():
    assert tokens_of("ФЁДОР") == [("фёдор",)]
    assert tokens_of("Ёлкин") == tokens_of("ёлкин")


def test_japanese_query_is_the_indexed_form_of_each_word():
    # The phrase is exactly what the index holds for the word; its last token matches as a
    # prefix, so 東京 (東京 京*) is found inside 東京都 (東京 京都 都).
    assert tokens_of("東京") == [("東京", "京")]
    assert tokens_of("東京都") == [("東京", "京都", "都")]
    assert tokens_of("東") == [("東",)]
    assert tokens_of("注文12345") == [("注文", "文", "12345")]
    assert tokens_of("東京 ログイン") == [
        tuple(index_tokens("東京")),
        tuple(index_tokens("ログイン")),
    ]


def test_full_width_query_matches_ascii():
    assert tokens_of("ＡＢＣ") == [("abc",)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"refund"', [("refund",)]),
        ("refund*", [("refund",)]),
        ("NEAR(refund printer)", [("near", "refund"), ("printer",)]),
        ("refund AND printer", [("refund",), ("and",), ("printer",)]),
        ("refund OR printer", [("refund",), ("or",), ("printer",)]),
        ("-refund", [("refund",)]),
        ("body:refund", [("body", "refund")]),
        ("refund:*", [("refund",)]),
        ("a&b|c!d", [("a", "b", "c", "d")]),
        ("O'Brien", [("o", "brien")]),
        ("'; DROP TABLE tickets; --", [("drop",), ("table",), ("tickets",)]),
        ("\\", []),
        ("", []),
        ("   \t\n", []),
        ("\" * : & | ! ' ( ) ^ - + ~ < >", []),
    ],
)
def test_operators_never_leak_into_terms(text, expected):
    assert tokens_of(text) == expected


def test_query_term_count_is_bounded():
    terms = query_terms(" ".join(f"w{n}" for n in range(50)))
    assert len(terms) == MAX_QUERY_TERMS
    assert terms[0].tokens == ("w0",)


def test_japanese_punctuation_separates_words():
    # The katakana middle dot separates the parts of foreign names: ジョン・スミス is John Smith.
    assert index_tokens("ジョン・スミス") == ["ジョ", "ョン", "ン", "スミ", "ミス", "ス"]
    assert index_tokens("東京゠大阪") == ["東京", "京", "大阪", "阪"]
    for text in ("ジョン・スミス", "東京゠大阪"):
        assert not any("・" in t or "゠" in t for term in query_terms(text) for t in term.tokens)


@given(st.text())
@example("ジョン・スミス")
@example("\U0002ebe1")
def test_query_tokens_are_only_letters_and_digits(text):
    for term in query_terms(text):
        assert term.tokens
        for token in term.tokens:
            assert token
            assert all(ch.isalnum() for ch in token), token


@given(st.text())
@example("ジョン・スミス")
@example("\U0002ebe1")
def test_index_tokens_are_only_letters_and_digits(text):
    for token in index_tokens(text):
        assert token and all(ch.isalnum() for ch in token)
        # Already normalised: indexing a token again starts with the token itself (a CJK
        # bigram is followed by its trailing unigram, as at the end of any CJK run).
        assert index_tokens(token)[0] == token


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Nd"]), min_size=1))
def test_non_cjk_word_query_is_its_indexed_form(word):
    if any(0x3040 <= ord(ch) <= 0x9FFF or ord(ch) >= 0xAC00 for ch in word):
        return
    assert [list(t) for t in tokens_of(word)] == [index_tokens(word)][: len(tokens_of(word))]


@given(st.text(alphabet="東京都大阪パスワードログイン確認abc1", min_size=1, max_size=20))
def test_query_phrase_is_the_index_tokens_of_the_word(text):
    assert [list(term.tokens) for term in query_terms(text)] == [index_tokens(text)]


# --- the remembered-chunk fast path against the plain definition --------------------------------


def reference_tokens(text: str) -> list[str]:
    """index_tokens as first written: fold, split on non-letters, bigram CJK runs."""
    tokens: list[str] = []
    for word in re.split(r"[\W_]+", unicodedata.normalize("NFKC", text).casefold()):
        if not word:
            continue
        for cjk, other in re.findall(f"([{search_text._CJK}]+)|([^{search_text._CJK}]+)", word):
            if cjk:
                pairs = ["".join(pair) for pair in itertools.pairwise(cjk)]
                tokens += [*pairs, cjk[-1]]
            else:
                tokens.append(other)
    return tokens


def reference_text(*parts: str | None) -> str:
    tokens = reference_tokens("\n".join(part for part in parts if part))
    distinct = dict.fromkeys(tokens)
    stems = [s for s in dict.fromkeys(map(search_text.stem, distinct)) if s not in distinct]
    return " ".join(tokens + stems)


mixed_text = st.text(
    alphabet=st.sampled_from(
        list("abcxyz ABC Straße ﬁle 0123 .,;:!?-_@#\t\n\u00a0\u3000・゠。、「」")
        + list("доставкаДОСТАВКИЁёжзаказы")
        + list("東京都大阪パスワードログイン確認のをにｱｲｳﾊﾟ한국어")
    ),
    max_size=80,
)


@given(st.lists(st.one_of(st.none(), mixed_text), max_size=4))
@example(["refunds refunded REFUND", "доставка доставки", None, "東京都の返金"])
@example(["ﾊﾟｽﾜｰﾄﾞ　ＡＢＣ", "", "e-mail: Ivan.Petrov+desk@Example.COM"])
def test_index_text_is_the_plain_definition(parts):
    assert index_tokens("\n".join(p for p in parts if p)) == reference_tokens(
        "\n".join(p for p in parts if p)
    )
    assert index_text(*parts) == reference_text(*parts)
    assert index_text(*parts) == reference_text(*parts)  # again, from what was remembered


def test_remembered_chunks_are_bounded_and_forgetting_changes_nothing(monkeypatch):
    monkeypatch.setattr(search_text, "CHUNK_MEMORY", 50)
    texts = [f"Order {n} refunded, 東京{n}の注文 доставка-{n}" for n in range(200)]
    for text in texts:
        assert index_text(text) == reference_text(text)
        assert len(search_text._CHUNK_TOKENS) <= 50 + len(text.split())
