"""Splitting plain-text mail into new text, quoted history and signature."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from desk_app.core.quoting import Segment, new_text_of, split_quoted


def kinds(text: str) -> list[tuple[str, str]]:
    return [(segment.kind, segment.text) for segment in split_quoted(text)]


def test_plain_message_is_one_new_segment() -> None:
    assert split_quoted("Hello,\nmy order is late.\n") == [
        Segment("new", "Hello,\nmy order is late.\n")
    ]


def test_empty_text_has_no_segments() -> None:
    assert split_quoted("") == []


def test_english_gmail_attribution_and_quote() -> None:
    text = (
        "Thanks, that fixed it.\n\n"
        "On Mon, Jan 15, 2024 at 10:00 AM Desk Support <support@desk.example> wrote:\n\n"
        "> Please restart the app.\n> Regards\n"
    )
    assert kinds(text) == [
        ("new", "Thanks, that fixed it.\n\n"),
        (
            "quoted",
            "On Mon, Jan 15, 2024 at 10:00 AM Desk Support <support@desk.example> wrote:\n\n"
            "> Please restart the app.\n> Regards\n",
        ),
    ]


def test_attribution_wrapped_over_two_lines() -> None:
    text = (
        "Yes.\n"
        "On Mon, Jan 15, 2024 at 10:00 AM Desk Support <\n"
        "support@desk.example> wrote:\n"
        "> Is it working?\n"
    )
    assert kinds(text)[0] == ("new", "Yes.\n")
    assert kinds(text)[1][0] == "quoted"
    assert len(kinds(text)) == 2


def test_russian_attributions() -> None:
    for header in [
        "15 янв. 2024 г., в 10:00, Служба поддержки <support@desk.example> написал(а):",
        "Понедельник, 15 января 2024, 10:00 +03:00 от Иван Петров <ivan@example.ru>:",
        "пн, 15 янв. 2024 г. в 10:00, Desk Support <support@desk.example>:",
        "15.01.2024 10:00, Анна пишет:",
    ]:
        text = f"Спасибо, всё работает.\n\n{header}\n> Перезапустите приложение.\n"
        segments = kinds(text)
        assert segments[0] == ("new", "Спасибо, всё работает.\n\n"), header
        assert segments[1] == ("quoted", f"{header}\n> Перезапустите приложение.\n"), header


def test_japanese_attributions() -> None:
    for header in [
        "2024年1月15日(月) 10:00 Desk Support <support@desk.example>:",
        "2024/01/15 10:00、山田さんは書きました：",
        "On 2024/01/15 10:00, 山田 太郎 wrote:",
    ]:
        text = f"ありがとうございます。\n\n{header}\n> 再起動してください。\n"
        segments = kinds(text)
        assert segments[0] == ("new", "ありがとうございます。\n\n"), header
        assert segments[1][0] == "quoted", header
        assert len(segments) == 2, header


def test_japanese_fullwidth_quote_marks() -> None:
    assert kinds("はい。\n＞ 以前の文\n") == [("new", "はい。\n"), ("quoted", "＞ 以前の文\n")]


def test_outlook_original_message_block_and_everything_after_it() -> None:
    text = (
        "Please see below.\n\n"
        "-----Original Message-----\n"
        "From: Desk Support\n"
        "Sent: Monday, January 15, 2024 10:00 AM\n"
        "Subject: RE: order\n\n"
        "Not prefixed with > at all.\n"
    )
    segments = kinds(text)
    assert segments[0] == ("new", "Please see below.\n\n")
    assert segments[1][0] == "quoted"
    assert segments[1][1].startswith("-----Original Message-----")
    assert len(segments) == 2


def test_outlook_header_block_without_separator() -> None:
    for block in [
        "From: Desk Support <support@desk.example>\nSent: Monday, January 15, 2024 10:00\n"
        "To: Anna\nSubject: RE: order\n",
        "От: Служба поддержки <support@desk.example>\nОтправлено: 15 января 2024 г. 10:00\n"
        "Кому: Анна\nТема: RE: заказ\n",
        "差出人: サポート <support@desk.example>\n送信日時: 2024年1月15日 10:00\n"
        "宛先: 山田\n件名: RE: 注文\n",
    ]:
        text = f"OK\n\n________________________________\n{block}\nold text\n"
        segments = kinds(text)
        assert segments[0] == ("new", "OK\n\n"), block
        assert segments[1][1].startswith("____"), block
        assert len(segments) == 2


def test_a_from_line_in_new_text_is_not_a_header_block() -> None:
    text = "From: the warehouse in Osaka\nthe parcel never arrived.\n"
    assert kinds(text) == [("new", text)]


def test_sentence_ending_in_wrote_is_not_an_attribution() -> None:
    text = "Here is what I wrote:\nthe app crashes.\n"
    assert kinds(text) == [("new", text)]


def test_inline_replies_alternate() -> None:
    text = (
        "On Mon, Jan 15, 2024 at 10:00 AM Support <s@desk.example> wrote:\n"
        "> Which version?\n"
        "2.1\n"
        "> Which system?\n"
        "\n"
        "> And which language?\n"
        "Windows, Japanese\n"
    )
    assert [kind for kind, _ in kinds(text)] == ["quoted", "new", "quoted", "new"]
    assert kinds(text)[2][1] == "> Which system?\n\n> And which language?\n"


def test_rfc_signature_delimiter() -> None:
    text = "Thanks!\n-- \nAnna Schmidt\nACME GmbH\n"
    assert kinds(text) == [("new", "Thanks!\n"), ("signature", "-- \nAnna Schmidt\nACME GmbH\n")]


def test_signature_before_quoted_history() -> None:
    text = (
        "Thanks!\n-- \nAnna\n\nOn Mon, Jan 15, 2024 at 10:00 Support <s@x.example> wrote:\n> hi\n"
    )
    assert [kind for kind, _ in kinds(text)] == ["new", "signature", "quoted"]


def test_sign_offs_and_dashes_without_space_are_not_signatures() -> None:
    text = "Thanks,\nAnna\n--\nnot a delimiter\nBest regards\nС уважением, Иван\n"
    assert kinds(text) == [("new", text)]


def test_mobile_footers() -> None:
    for footer in [
        "Sent from my iPhone",
        "Отправлено с iPhone",
        "iPhoneから送信",
        "Get Outlook for iOS",
    ]:
        text = f"Yes, please.\n\n{footer}\n"
        assert kinds(text) == [("new", "Yes, please.\n\n"), ("signature", f"{footer}\n")], footer


def test_mobile_footer_in_the_middle_of_text_is_kept_as_new() -> None:
    text = "Sent from my iPhone\nbut the app crashed when I tried to pay.\n"
    assert kinds(text) == [("new", text)]


def test_mobile_footer_before_quote() -> None:
    text = (
        "OK\n\nSent from my iPhone\n\n"
        "On 15 Jan 2024, at 10:00, Support <s@x.example> wrote:\n> hi\n"
    )
    assert [kind for kind, _ in kinds(text)] == ["new", "signature", "quoted"]


def test_crlf_and_no_trailing_newline_are_preserved() -> None:
    text = "Hi\r\n\r\n> old\r\n> older"
    assert "".join(s.text for s in split_quoted(text)) == text
    assert kinds(text) == [("new", "Hi\r\n\r\n"), ("quoted", "> old\r\n> older")]


def test_new_text_of() -> None:
    text = "Thanks!\n-- \nAnna\n\nOn Mon, Jan 15, 2024 at 10:00 S <s@x.example> wrote:\n> hi\n"
    assert new_text_of(text) == "Thanks!"


_LINES = st.sampled_from(
    [
        "Hello",
        "",
        "> quoted",
        ">",
        "＞ 引用",
        "-- ",
        "--",
        "Sent from my iPhone",
        "iPhoneから送信",
        "On Mon, Jan 15, 2024 at 10:00 AM A <a@x.example> wrote:",
        "On Mon, Jan 15, 2024 at 10:00 AM A <",
        "a@x.example> wrote:",
        "15.01.2024 10:00, Анна пишет:",
        "2024年1月15日(月) 10:00 A <a@x.example>:",
        "-----Original Message-----",
        "From: A",
        "Sent: today 10:00",
        "Subject: x",
        "________________________________",
        "Привет",
        "こんにちは",
    ]
)


@given(
    st.lists(_LINES, max_size=30),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
def test_segments_rebuild_the_text_exactly(lines: list[str], newline: str, trailing: bool) -> None:
    text = newline.join(lines) + (newline if trailing else "")
    segments = split_quoted(text)
    assert "".join(segment.text for segment in segments) == text
    assert all(segment.text for segment in segments)
    assert all(a.kind != b.kind for a, b in itertools.pairwise(segments))


@given(st.text(max_size=500))
def test_segments_rebuild_arbitrary_text(text: str) -> None:
    assert "".join(segment.text for segment in split_quoted(text)) == text


def test_wrapped_attribution_after_a_sentence_with_a_date() -> None:
    text = (
        "I paid on 15 Jan.\n"
        "On Mon, Jan 15, 2024 at 10:00 AM Desk Support <\n"
        "support@desk.example> wrote:\n"
        "> Did you pay?\n"
    )
    assert kinds(text)[0] == ("new", "I paid on 15 Jan.\n")
    assert len(kinds(text)) == 2
