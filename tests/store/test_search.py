"""Full-text search on both databases: three languages, customers, AND semantics, and input
that must never become query syntax."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk_app.store import Queries
from desk_app.store.authorisation import READ_OTHER_DEPARTMENTS
from desk_app.store.template_store import TemplateStore


@dataclass
class Corpus:
    ids: dict[str, int]
    queries: Queries

    def find(self, text: str) -> set[str]:
        names = {ticket_id: name for name, ticket_id in self.ids.items()}
        return {names[row.id] for row in self.queries.search(text)}


@pytest.fixture
def corpus(db, team, service_for, clock) -> Corpus:
    system = service_for(None)
    anna = service_for(team.anna)
    ids: dict[str, int] = {}

    def new(name: str, **kwargs: object) -> None:
        clock.advance(minutes=1)
        ids[name] = system.create_ticket(**kwargs).ticket_id

    new(
        "refund",
        subject="Refund for order 4512",
        customer_email="john.smith@example.com",
        customer_name="John Smith",
        body="I was charged twice for my subscription.",
    )
    new(
        "printer",
        subject="Printer jams",
        customer_email="mary@contoso.example",
        customer_name="Mary Jones",
        body="The printer in room 12 jams on every page.",
    )
    new(
        "russian",
        subject="Ошибка при оплате",
        customer_email="fyodor@example.ru",
        customer_name="Фёдор Ёлкин",
        body="Здравствуйте! Не проходит оплата картой, ПОЖАЛУЙСТА помогите.",
    )
    new(
        "japanese",
        subject="パスワードの再設定",
        customer_email="tanaka@example.jp",
        customer_name="田中 一郎",
        body="東京都の本社からログインできません。ご確認をお願いします。",
    )
    new(
        "order_jp",
        subject="注文12345について",
        customer_phone="+81 3-1234-5678",
        body="配送状況を教えてください",
    )
    new(
        "wide",
        subject="ＡＢＣ　Ｌｔｄ invoice",
        customer_email="acct@abc.example",
        body="Full-width company name",
    )
    clock.advance(minutes=1)
    anna.add_note(ids["printer"], "Replaced the fuser unit, see KB-7781.")
    return Corpus(ids, Queries(db, team.anna, clock))


WORDS = [
    # English: subject words, message words, prefixes, case.
    ("refund", {"refund"}),
    ("REFUND", {"refund"}),
    ("refu", {"refund"}),
    ("4512", {"refund"}),
    ("charged twice", {"refund"}),
    ("subscription", {"refund"}),
    ("jams", {"printer"}),
    ("fuser", {"printer"}),  # an internal note
    ("kb-7781", {"printer"}),
    ("KB 7781", {"printer"}),
    ("invoice", {"wide"}),
    # Full-width letters match their ordinary forms, and the other way round.
    ("abc", {"wide"}),
    ("ＡＢＣ", {"wide"}),
    ("ｉｎｖｏｉｃｅ", {"wide"}),
    # Russian: case-insensitive, ё and Ё.
    ("оплате", {"russian"}),
    ("ОПЛАТА", {"russian"}),
    ("пожалуйста", {"russian"}),
    ("Ошибк", {"russian"}),
    ("фёдор", {"russian"}),
    ("ФЁДОР", {"russian"}),
    ("Ёлкин", {"russian"}),
    ("ёлкин", {"russian"}),
    # Japanese: words inside sentences with no spaces, and single-kanji prefixes.
    ("東京", {"japanese"}),
    ("本社", {"japanese"}),
    ("京都", {"japanese"}),  # 東京都 contains 京都 as characters
    ("ログイン", {"japanese"}),
    ("確認", {"japanese"}),
    ("パスワード", {"japanese"}),
    ("再設定", {"japanese"}),
    ("東", {"japanese"}),
    ("田中", {"japanese"}),
    ("一郎", {"japanese"}),
    ("配送", {"order_jp"}),
    ("注文", {"order_jp"}),
    ("12345", {"order_jp"}),
    # Customers: name, e-mail address, domain, phone.
    ("john", {"refund"}),
    ("smith", {"refund"}),
    ("john.smith@example.com", {"refund"}),
    ("JOHN.SMITH@EXAMPLE.COM", {"refund"}),
    ("contoso", {"printer"}),
    ("mary@contoso.example", {"printer"}),
    ("tanaka@example.jp", {"japanese"}),
    ("81312345678", {"order_jp"}),
    # Nothing there.
    ("nonexistentword", set()),
    ("大阪", set()),
    ("москва", set()),
]


def test_search_finds_words(corpus):
    # One corpus for all cases keeps this fast; every mismatch is reported at once.
    wrong = {text: corpus.find(text) for text, expected in WORDS if corpus.find(text) != expected}
    assert wrong == {}


def test_search_word_after_japanese_without_space(corpus):
    # "注文12345" is typed exactly as in the subject "注文12345について".
    assert corpus.find("注文12345") == {"order_jp"}


def test_all_words_must_match_within_one_document(corpus):
    assert corpus.find("printer room") == {"printer"}
    assert corpus.find("printer refund") == set()
    assert corpus.find("оплата картой") == {"russian"}
    assert corpus.find("東京 ログイン") == {"japanese"}
    assert corpus.find("東京 printer") == set()


def test_all_words_must_match_across_subject_messages_and_customer(corpus):
    # A ticket matches when every word is found somewhere in it: subject, messages, customer.
    assert corpus.find("refund charged") == {"refund"}  # subject + first message
    assert corpus.find("refund smith") == {"refund"}  # subject + customer name
    assert corpus.find("jams fuser") == {"printer"}  # message + internal note
    assert corpus.find("パスワード 田中") == {"japanese"}


def test_search_results_are_newest_first_and_limited(db, team, service_for, clock):
    system = service_for(None)
    ids = []
    for n in range(5):
        clock.advance(minutes=1)
        ids.append(
            system.create_ticket(
                subject=f"Shipping delay {n}", customer_email=f"c{n}@example.com"
            ).ticket_id
        )
    clock.advance(minutes=1)
    service_for(team.anna).add_note(ids[1], "still shipping")
    queries = Queries(db, team.anna, clock)
    assert [r.id for r in queries.search("shipping")] == [ids[1], ids[4], ids[3], ids[2], ids[0]]
    assert [r.id for r in queries.search("shipping", limit=2)] == [ids[1], ids[4]]


def test_search_follows_customer_edits_and_merges(db, team, service_for):
    system = service_for(None)
    anna = service_for(team.anna)
    first = system.create_ticket(subject="One", customer_email="old@example.com")
    second = system.create_ticket(subject="Two", customer_email="other@example.com")
    queries = Queries(db, team.anna)
    anna.edit_customer(first.customer_id, name="Zebulon Quux", add_emails=["new@example.org"])
    assert [r.id for r in queries.search("zebulon")] == [first.ticket_id]
    assert [r.id for r in queries.search("new@example.org")] == [first.ticket_id]
    anna.merge_customers(second.customer_id, first.customer_id)
    assert {r.id for r in queries.search("other@example.com")} == {
        first.ticket_id,
        second.ticket_id,
    }
    assert {r.id for r in queries.search("zebulon")} == {first.ticket_id, second.ticket_id}


HOSTILE = [
    "",
    "   ",
    "\t\n",
    '"',
    '""',
    '"refund',
    "refund\"'",
    "*",
    "refund*",
    "* OR *",
    "refund OR printer",
    "refund AND",
    "AND",
    "OR",
    "NOT",
    "NEAR(",
    "NEAR(refund printer, 2)",
    "refund NEAR printer",
    "-refund",
    "refund -printer",
    "'",
    "'refund'",
    "O'Brien",
    "\\",
    "refund\\",
    ":*",
    "refund:*",
    "refund:A",
    "body:refund",
    "&|!",
    "refund & printer",
    "refund | printer",
    "!refund",
    "(refund",
    "refund)",
    "^refund",
    "{refund}",
    "[refund]",
    "refund;DROP TABLE tickets;--",
    "%",
    "_",
    "\x00",
    "\u200b",
    "😀",
    "ー",
    "a" * 5000,
    "東" * 5000,
    " ".join(["refund"] * 2500),
    "x" + "-" * 4998 + "y",
]


def test_hostile_input_never_raises(corpus):
    for text in HOSTILE:
        rows = corpus.queries.search(text)
        assert isinstance(rows, list), text
        assert all(row.id in corpus.ids.values() for row in rows)
    # Operators and punctuation are plain separators: the words around them still match, and
    # operator words are just words.
    for text in ("-refund", "'refund'", "refund:*", "!refund", "(refund", "refund\\"):
        assert corpus.find(text) == {"refund"}, text
    for text in ("refund OR printer", "refund | printer", "refund -printer", "NOT"):
        assert corpus.find(text) == set(), text
    for text in ("", "   ", "\t\n", '"', "*", "&|!", ":*", "\\", "'", "%", "_", "\x00"):
        assert corpus.queries.search(text) == [], repr(text)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=60))
def test_any_text_is_safe_to_search(corpus, text):
    rows = corpus.queries.search(text)
    assert all(row.id in corpus.ids.values() for row in rows)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    word=st.text(
        alphabet=st.characters(categories=["Lu", "Ll", "Lo", "Nd"]), min_size=1, max_size=12
    )
)
def test_typed_words_find_themselves(db, team, service_for, word):
    """Whatever word is stored can be found again by typing it."""
    created = service_for(None).create_ticket(
        subject=f"probe {word}", customer_email="probe@example.com"
    )
    assert created.ticket_id in {r.id for r in Queries(db, None).search(word, limit=500)}


def test_russian_and_english_inflections_find_each_other(db, team):
    from desk_app.store import Queries, Service

    system = Service(db, None)
    delivery = system.create_ticket(
        subject="Вопрос о доставке",
        customer_email="olga@example.ru",
        body="Доставки до сих пор нет, заказы задерживаются.",
    )
    refund = system.create_ticket(
        subject="Money back", customer_email="sam@example.com", body="I was refunded twice."
    )
    queries = Queries(db, None)

    def found(text: str) -> set[int]:
        return {row.id for row in queries.search(text)}

    assert delivery.ticket_id in found("доставка")
    assert delivery.ticket_id in found("Заказ задерживается")
    assert refund.ticket_id in found("refunds")
    assert refund.ticket_id in found("refunding twice")
    assert delivery.ticket_id not in found("refunds")


def test_search_pages_cover_every_match_once_and_the_count_is_separate(
    db, team, service_for, clock
):
    system = service_for(None)
    ids = []
    for n in range(7):
        clock.advance(minutes=1)
        department = "Billing" if n in (2, 5) else "Support"
        ids.append(
            system.create_ticket(
                subject=f"Parcel lost {n}",
                customer_email=f"p{n}@example.com",
                department=department,
            ).ticket_id
        )
    system.create_ticket(subject="Other", customer_email="o@example.com")
    queries = Queries(db, team.anna, clock)
    pages, before = [], None
    while True:
        page = queries.search_page("parcel", 3, before)
        pages.append([row.id for row in page.rows])
        if page.next_before is None:
            break
        before = page.next_before
    # Newest tickets first, page by page; a page of three exactly ends where the next begins.
    assert pages == [ids[6:3:-1], ids[3:0:-1], ids[0:1]]
    assert queries.search_count("parcel") == 7
    assert queries.search_count("zzzz") == 0 and queries.search_count("  ") == 0
    assert queries.search_page("  ", 3).rows == [] and queries.search_page("parcel", 0).rows == []

    # An agent kept out of Billing: neither its rows nor its count show; the pages still
    # say where the next one starts, so a short page is not taken for the end.
    TemplateStore(db, team.admin).set_team_setting(READ_OTHER_DEPARTMENTS, False)
    anna = Queries(db, team.anna, clock)
    first = anna.search_page("parcel", 3)
    assert [row.id for row in first.rows] == [ids[6], ids[4]]
    assert first.next_before == ids[4]
    assert anna.search_count("parcel") == 5
    assert Queries(db, team.lead, clock).search_count("parcel") == 7
