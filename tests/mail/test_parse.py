"""parse_message with real encoded bytes: the charsets our customers write in, broken MIME,
hostile content and automatic mail."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk_app.mail.parse import ParsedMessage, parse_message

JA_BODY = "いつもお世話になっております。\n注文した商品がまだ届いていません。①②③"
JA_SUBJECT = "注文番号１２３について"
RU_BODY = "Здравствуйте!\nЗаказ до сих пор не пришёл, помогите разобраться."
RU_SUBJECT = "Вопрос по заказу"


def raw_message(headers: list[tuple[str, bytes | str]], body: bytes) -> bytes:
    lines = []
    for name, value in headers:
        encoded = value.encode("ascii") if isinstance(value, str) else value
        lines.append(name.encode("ascii") + b": " + encoded)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


def plain(
    body: bytes,
    charset: str | None,
    *,
    subject: str = "Hello",
    extra: list[tuple[str, bytes | str]] | None = None,
    cte: str = "8bit",
) -> bytes:
    content_type = "text/plain" + (f"; charset={charset}" if charset else "")
    headers: list[tuple[str, bytes | str]] = [
        ("From", "Customer <customer@example.com>"),
        ("To", "support@desk.example"),
        ("Subject", subject),
        ("Date", "Mon, 15 Jan 2024 10:00:00 +0900"),
        ("Message-ID", "<m1@example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", content_type),
        ("Content-Transfer-Encoding", cte),
        *(extra or []),
    ]
    return raw_message(headers, body)


# --- charsets in bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        (JA_BODY.replace("①②③", ""), "iso-2022-jp"),
        (JA_BODY, "shift_jis"),
        (JA_BODY, "cp932"),
        (JA_BODY.replace("①②③", ""), "euc-jp"),
        (RU_BODY, "koi8-r"),
        (RU_BODY, "windows-1251"),
        (RU_BODY + " 日本語 ✓", "utf-8"),
    ],
)
def test_declared_charsets_in_bodies(text: str, charset: str) -> None:
    codec = "cp932" if charset == "shift_jis" else charset
    parsed = parse_message(plain(text.encode(codec), charset))
    assert not parsed.failed
    assert parsed.text == text
    assert parsed.warnings == []


def test_shift_jis_label_with_nec_extensions_is_read_as_cp932() -> None:
    # ①②③ exist only in CP932, which Japanese mailers label Shift_JIS.
    parsed = parse_message(plain(JA_BODY.encode("cp932"), "Shift_JIS"))
    assert parsed.text == JA_BODY


def test_iso_2022_jp_label_with_circled_digits_is_read_with_a_superset() -> None:
    body = "番号は①です".encode("iso2022_jp_3")
    parsed = parse_message(plain(body, "ISO-2022-JP", cte="7bit"))
    assert parsed.text == "番号は①です"


def test_iso_2022_jp_body_without_charset_is_detected_from_escape_sequences() -> None:
    body = JA_BODY.replace("①②③", "").encode("iso-2022-jp")
    assert b"\x1b$B" in body
    parsed = parse_message(plain(body, None, cte="7bit"))
    assert parsed.text == JA_BODY.replace("①②③", "")
    assert parsed.warnings == []


def test_iso_2022_jp_body_labelled_us_ascii_is_detected() -> None:
    body = "お世話になっております".encode("iso-2022-jp")
    parsed = parse_message(plain(body, "us-ascii", cte="7bit"))
    assert parsed.text == "お世話になっております"


@pytest.mark.parametrize(
    ("text", "codec", "name"),
    [
        (RU_BODY, "cp1251", "Windows-1251"),
        (RU_BODY, "koi8-r", "KOI8-R"),
        (JA_BODY, "cp932", "Shift_JIS"),
        (JA_BODY.replace("①②③", ""), "euc-jp", "EUC-JP"),
    ],
)
def test_undeclared_8bit_bodies_are_guessed_with_a_warning(
    text: str, codec: str, name: str
) -> None:
    parsed = parse_message(plain(text.encode(codec), None))
    assert parsed.text == text
    assert any(name in warning for warning in parsed.warnings), parsed.warnings


def test_undeclared_utf8_body_needs_no_warning() -> None:
    parsed = parse_message(plain(RU_BODY.encode("utf-8"), None))
    assert parsed.text == RU_BODY
    assert parsed.warnings == []


def test_utf8_body_mislabelled_as_windows_1251_is_read_as_utf8() -> None:
    parsed = parse_message(plain(RU_BODY.encode("utf-8"), "windows-1251"))
    assert parsed.text == RU_BODY


def test_unknown_charset_label_falls_back_with_a_warning() -> None:
    parsed = parse_message(plain(RU_BODY.encode("utf-8"), "x-no-such-charset"))
    assert parsed.text == RU_BODY
    assert any("unknown character set" in warning for warning in parsed.warnings)


def test_invalid_bytes_in_declared_charset_are_replaced_with_a_warning() -> None:
    body = "日本".encode("euc-jp") + b"\xff\xfe\xfd" + "語".encode("euc-jp")
    parsed = parse_message(plain(body, "euc-jp"))
    assert parsed.text.startswith("日本")
    assert "\ufffd" in parsed.text
    assert parsed.warnings


@pytest.mark.parametrize("cte", ["base64", "quoted-printable"])
@pytest.mark.parametrize(
    ("text", "charset"),
    [(JA_BODY, "shift_jis"), (RU_BODY, "koi8-r"), (RU_BODY, "windows-1251")],
)
def test_transfer_encoded_bodies(text: str, charset: str, cte: str) -> None:
    message = EmailMessage()
    message["From"] = "customer@example.com"
    message["Subject"] = "x"
    message.set_content(text, charset="cp932" if charset == "shift_jis" else charset, cte=cte)
    raw = message.as_bytes().replace(b'charset="cp932"', b'charset="Shift_JIS"')
    assert parse_message(raw).text.rstrip("\n") == text


# --- charsets in headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        (JA_SUBJECT, "iso-2022-jp"),
        (JA_SUBJECT, "shift_jis"),
        (JA_SUBJECT, "euc-jp"),
        (RU_SUBJECT, "koi8-r"),
        (RU_SUBJECT, "windows-1251"),
        (RU_SUBJECT + " 日本", "utf-8"),
    ],
)
def test_encoded_word_subjects(text: str, charset: str) -> None:
    parsed = parse_message(plain(b"x", "us-ascii", subject=b_word(text, charset)))
    assert parsed.subject == text


def test_q_encoded_subject_and_mixed_plain_text() -> None:
    subject = "Re: =?koi8-r?Q?=F7=CF=D0=D2=CF=D3?= about order"
    parsed = parse_message(plain(b"x", None, subject=subject))
    assert parsed.subject == "Re: Вопрос about order"


def test_encoded_words_without_spaces_and_glued_to_text() -> None:
    word = b_word("Привет", "utf-8")
    parsed = parse_message(plain(b"x", None, subject=f"Re:{word}{word}!"))
    assert parsed.subject == "Re:ПриветПривет!"


def test_encoded_words_split_in_the_middle_of_a_character() -> None:
    data = "日本語".encode()
    first = base64.b64encode(data[:4]).decode()
    second = base64.b64encode(data[4:]).decode()
    subject = f"=?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?="
    assert parse_message(plain(b"x", None, subject=subject)).subject == "日本語"


def test_iso_2022_jp_encoded_words_across_folded_lines() -> None:
    half = len(JA_SUBJECT) // 2
    subject = (
        b_word(JA_SUBJECT[:half], "iso-2022-jp")
        + "\r\n\t"
        + b_word(JA_SUBJECT[half:], "iso-2022-jp")
    )
    assert parse_message(plain(b"x", None, subject=subject)).subject == JA_SUBJECT


def test_raw_iso_2022_jp_in_subject_without_encoded_words() -> None:
    raw = plain(b"x", None, subject=JA_SUBJECT.encode("iso-2022-jp"))  # type: ignore[arg-type]
    assert parse_message(raw).subject == JA_SUBJECT


def test_malformed_encoded_words_do_not_break_the_subject() -> None:
    subject = "=?utf-8?B?!!!?= =?unknown-cs?Q?abc?= =?utf-8?Q?caf=C3=A9 ok?= =?broken"
    parsed = parse_message(plain(b"x", None, subject=subject))
    assert "café ok" in parsed.subject
    assert "=?broken" in parsed.subject


@pytest.mark.parametrize(
    ("text", "codec"),
    [(RU_SUBJECT, "cp1251"), (RU_SUBJECT, "utf-8"), (JA_SUBJECT, "cp932")],
)
def test_8bit_raw_headers(text: str, codec: str) -> None:
    raw = raw_message(
        [
            ("From", "Иван Петров <IVAN@Example.RU>".encode(codec, "replace")),
            ("Subject", text.encode(codec)),
            ("Content-Type", f"text/plain; charset={codec}"),
        ],
        "тело".encode(codec, "replace"),
    )
    parsed = parse_message(raw)
    assert parsed.subject == text
    assert parsed.from_address == "ivan@example.ru"


def test_8bit_koi8_headers_use_the_body_charset_as_a_hint() -> None:
    raw = raw_message(
        [
            ("From", "Иван <ivan@example.ru>".encode("koi8-r")),
            ("Subject", "Иван".encode("koi8-r")),
            ("Content-Type", "text/plain; charset=koi8-r"),
        ],
        RU_BODY.encode("koi8-r"),
    )
    parsed = parse_message(raw)
    assert (parsed.subject, parsed.from_name) == ("Иван", "Иван")


def test_addresses_names_dates_and_ids() -> None:
    raw = raw_message(
        [
            ("From", f"{b_word('山田 太郎', 'iso-2022-jp')} <Taro.Yamada@EXAMPLE.jp>"),
            ("To", "Support <support@desk.example>, other@Example.com"),
            ("Cc", '"Doe, Jane" <jane@example.com>'),
            ("Cc", "bob@example.com"),
            ("Reply-To", "Replies <Replies@Example.jp>"),
            ("Date", "Tue, 16 Jan 2024 09:30:00 +0900 (JST)"),
            ("Message-ID", "  <ABC.123@mail.example.jp>  "),
            ("In-Reply-To", "<parent@desk.example> (message from Support)"),
            ("References", "<a@x>\r\n <b@x>,<parent@desk.example>"),
            ("Subject", "Re: hello"),
        ],
        b"body",
    )
    parsed = parse_message(raw)
    assert parsed.from_name == "山田 太郎"
    assert parsed.from_address == "taro.yamada@example.jp"
    assert parsed.to == ["support@desk.example", "other@example.com"]
    assert parsed.cc == ["jane@example.com", "bob@example.com"]
    assert parsed.reply_to == "replies@example.jp"
    assert parsed.date == datetime(2024, 1, 16, 0, 30, tzinfo=UTC)
    assert parsed.message_id == "<ABC.123@mail.example.jp>"
    assert parsed.in_reply_to == "<parent@desk.example>"
    assert parsed.references == ["<a@x>", "<b@x>", "<parent@desk.example>"]


def test_message_id_without_brackets_is_normalised() -> None:
    raw = raw_message([("From", "a@example.com"), ("Message-ID", "bare-id@example.com")], b"x")
    assert parse_message(raw).message_id == "<bare-id@example.com>"


def test_bad_date_gives_none_and_a_warning() -> None:
    raw = raw_message([("From", "a@example.com"), ("Date", "yesterday at noon")], b"x")
    parsed = parse_message(raw)
    assert parsed.date is None
    assert any("date" in warning for warning in parsed.warnings)


def test_date_without_zone_is_utc() -> None:
    raw = raw_message([("From", "a@example.com"), ("Date", "15 Jan 2024 10:00:00 -0000")], b"x")
    assert parse_message(raw).date == datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def test_subject_is_one_line_without_control_characters() -> None:
    subject = b_word("Hello\r\nBcc: victim@example.com\x00\x1b[31m\u202eevil", "utf-8")
    parsed = parse_message(plain(b"x", None, subject=subject))
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert not any(ord(ch) < 32 or ch == "\u202e" for ch in parsed.subject)
    assert parsed.subject.startswith("Hello Bcc: victim@example.com")


def test_html_in_subject_is_kept_as_text() -> None:
    subject = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
    parsed = parse_message(plain(b"x", None, subject=subject))
    # The subject is plain text; the UI escapes it. It must arrive unchanged, not half-parsed.
    assert parsed.subject == subject


def test_a_100kb_header_line_is_shortened_with_a_warning() -> None:
    raw = plain(b"body text", None, subject="A" * 100_000)
    parsed = parse_message(raw)
    assert not parsed.failed
    assert len(parsed.subject) == 500
    assert any("subject" in warning for warning in parsed.warnings)
    assert parsed.text == "body text"


def test_a_100kb_to_header_does_not_stall() -> None:
    to = ", ".join(f"user{i}@example.com" for i in range(5_000))
    raw = raw_message([("From", "a@example.com"), ("To", to)], b"x")
    parsed = parse_message(raw)
    assert len(parsed.to) == 5_000


# --- structure and attachments -------------------------------------------------------------


def alternative(text: str, html: str, charset: str = "utf-8") -> MIMEMultipart:
    outer = MIMEMultipart("alternative")
    outer.attach(MIMEText(text, "plain", charset))
    outer.attach(MIMEText(html, "html", charset))
    return outer


def test_alternative_prefers_text_part_and_sanitises_html() -> None:
    message = alternative(
        "Привет, текст", "<p>Привет, <b>HTML</b></p><script>alert(1)</script>", "koi8-r"
    )
    message["From"] = "a@example.com"
    parsed = parse_message(message.as_bytes())
    assert parsed.text.strip() == "Привет, текст"
    assert parsed.html == "<p>Привет, <b>HTML</b></p>"
    assert parsed.attachments == []


def test_html_only_message_gets_text_derived_from_html() -> None:
    message = MIMEText("<p>Первый абзац</p><p>Второй<br>строка</p><ul><li>один</li></ul>", "html")
    message["From"] = "a@example.com"
    parsed = parse_message(message.as_bytes())
    assert parsed.text == "Первый абзац\n\nВторой\nстрока\n\n- один"
    assert parsed.html is not None


def test_attachments_with_rfc2231_and_rfc2047_names() -> None:
    message = MIMEMultipart()
    message["From"] = "a@example.com"
    message.attach(MIMEText("see attached", "plain", "utf-8"))
    names = {
        "見積書.pdf": ("iso-2022-jp", "rfc2231"),
        "Счёт.xlsx": ("koi8-r", "rfc2231"),
        "請求書.txt": ("shift_jis", "rfc2047"),
        "Договор.docx": ("windows-1251", "rfc2047"),
        "émoji 😀.png": ("utf-8", "rfc2231"),
    }
    for name, (charset, style) in names.items():
        part = MIMEApplication(name.encode("utf-8"), "octet-stream")
        if style == "rfc2231":
            part.add_header("Content-Disposition", "attachment", filename=(charset, "", name))
        else:
            part.add_header(
                "Content-Disposition", f'attachment; filename="{b_word(name, charset)}"'
            )
        message.attach(part)
    parsed = parse_message(message.as_bytes())
    assert [a.filename for a in parsed.attachments] == list(names)
    assert [a.content for a in parsed.attachments] == [n.encode() for n in names]
    assert parsed.text.strip() == "see attached"


def test_raw_8bit_shift_jis_filename() -> None:
    raw = raw_message(
        [
            ("From", "a@example.com"),
            ("Content-Type", 'multipart/mixed; boundary="B"'),
        ],
        b"--B\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\n"
        + "本文".encode("cp932")
        + b"\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        + b'filename="'
        + "見積書.pdf".encode("cp932")
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--B--\r\n',
    )
    parsed = parse_message(raw)
    assert parsed.text.strip() == "本文"
    assert parsed.attachments[0].filename == "見積書.pdf"
    assert parsed.attachments[0].content == b"%PDF-"


def test_rfc2231_without_charset_is_decoded() -> None:
    raw = raw_message(
        [("From", "a@example.com"), ("Content-Type", 'multipart/mixed; boundary="B"')],
        b"--B\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename*=''%E6%97%A5%E6%9C%AC.txt\r\n\r\nx\r\n--B--",
    )
    assert parse_message(raw).attachments[0].filename == "日本.txt"


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("con.txt", "_con.txt"),
        ("a\x00b.exe", "ab.exe"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("..\\..\\windows\\system32\\evil.dll", "evil.dll"),
        ("<script>x.html", "_script_x.html"),
    ],
)
def test_hostile_attachment_names(hostile: str, expected: str) -> None:
    message = MIMEMultipart()
    message["From"] = "a@example.com"
    part = MIMEApplication(b"data")
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", hostile))
    message.attach(part)
    assert parse_message(message.as_bytes()).attachments[0].filename == expected


def test_300_character_attachment_name_is_shortened_keeping_extension() -> None:
    message = MIMEMultipart()
    message["From"] = "a@example.com"
    part = MIMEApplication(b"data")
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "я" * 300 + ".pdf"))
    message.attach(part)
    name = parse_message(message.as_bytes()).attachments[0].filename
    assert name.endswith(".pdf") and len(name) <= 150 and len(name.encode()) <= 240


def test_oversize_attachment_is_dropped_with_a_warning_naming_it() -> None:
    message = MIMEMultipart()
    message["From"] = "a@example.com"
    message.attach(MIMEText("hello", "plain"))
    for name, size in [("small.bin", 100), ("huge.iso", 3_000)]:
        part = MIMEApplication(b"\0" * size)
        part.add_header("Content-Disposition", "attachment", filename=name)
        message.attach(part)
    parsed = parse_message(message.as_bytes(), max_attachment_bytes=1_000)
    assert [a.filename for a in parsed.attachments] == ["small.bin"]
    assert any("huge.iso" in w and "3 KB" in w for w in parsed.warnings), parsed.warnings


def test_inline_cid_image_is_kept_and_referenced() -> None:
    related = MIMEMultipart("related")
    related.attach(MIMEText('<p>Logo: <img src="cid:logo@x"></p>', "html"))
    image = MIMEApplication(b"\x89PNG", "png")
    image.replace_header("Content-Type", "image/png")
    image.add_header("Content-ID", "<logo@x>")
    related.attach(image)
    related["From"] = "a@example.com"
    parsed = parse_message(related.as_bytes())
    assert parsed.html is not None and 'src="cid:logo@x"' in parsed.html
    (attachment,) = parsed.attachments
    assert (attachment.content_id, attachment.inline, attachment.content_type) == (
        "logo@x",
        True,
        "image/png",
    )
    assert attachment.filename == "attachment.png"


def test_nested_message_rfc822_is_an_attachment_with_its_subject_as_name() -> None:
    inner = EmailMessage()
    inner["From"] = "someone@example.com"
    inner["Subject"] = "Исходное письмо"
    inner["Message-ID"] = "<inner@example.com>"
    inner.set_content("inner body")
    outer = EmailMessage()
    outer["From"] = "a@example.com"
    outer["Subject"] = "Fwd: Исходное письмо"
    outer.set_content("see the forwarded message")
    outer.add_attachment(inner)
    parsed = parse_message(outer.as_bytes())
    assert parsed.text.strip() == "see the forwarded message"
    (attachment,) = parsed.attachments
    assert attachment.filename == "Исходное письмо.eml"
    assert attachment.content_type == "message/rfc822"
    assert b"inner body" in attachment.content
    assert parse_message(attachment.content).subject == "Исходное письмо"
    assert parsed.auto_kind is None and parsed.bounced_message_id is None


# --- malformed MIME ----------------------------------------------------------------------


def multipart_raw(body: bytes, boundary: str = "BOUND") -> bytes:
    return raw_message(
        [
            ("From", "Customer <customer@example.com>"),
            ("Subject", "Broken"),
            ("Content-Type", f'multipart/mixed; boundary="{boundary}"'),
        ],
        body,
    )


def test_truncated_multipart_keeps_what_arrived() -> None:
    raw = multipart_raw(
        b"--BOUND\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Первая часть".encode()
        + b"\r\n--BOUND\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="a.pdf"\r\n\r\nJVBERi0xLjQKJ'
    )
    parsed = parse_message(raw)
    assert not parsed.failed
    assert parsed.text.strip() == "Первая часть"
    assert parsed.attachments[0].filename == "a.pdf"
    assert any("cut off" in w for w in parsed.warnings)


def test_missing_closing_boundary() -> None:
    raw = multipart_raw(b"--BOUND\r\nContent-Type: text/plain\r\n\r\nonly part\r\n")
    parsed = parse_message(raw)
    assert parsed.text.strip() == "only part"
    assert any("cut off" in w for w in parsed.warnings)


def test_boundary_that_never_appears_shows_the_body_as_text() -> None:
    raw = multipart_raw("Текст без частей".encode(), boundary="NEVER")
    parsed = parse_message(raw)
    assert not parsed.failed
    assert "Текст без частей" in parsed.text
    assert any("several parts" in w for w in parsed.warnings)


def test_multipart_without_boundary_parameter() -> None:
    raw = raw_message(
        [("From", "a@example.com"), ("Content-Type", "multipart/mixed")], b"just text"
    )
    assert "just text" in parse_message(raw).text


def test_bad_base64_recovers_the_readable_part() -> None:
    good = base64.b64encode("Привет, это тело письма".encode()).decode()
    damaged = good[:20] + "!!!*" + good[20:] + "A"
    parsed = parse_message(plain(damaged.encode(), "utf-8", cte="base64"))
    assert parsed.text.startswith("Привет")
    assert any("base64" in w for w in parsed.warnings)


def test_bad_quoted_printable_is_kept_readable() -> None:
    body = b"caf=C3=A9 =ZZ broken =\r\nsoft break and =E2=82 half"
    parsed = parse_message(plain(body, "utf-8", cte="quoted-printable"))
    assert parsed.text.startswith("café =ZZ broken soft break")


def test_zero_byte_message() -> None:
    parsed = parse_message(b"")
    assert parsed.failed
    assert parsed.warnings == ["the message is empty"]
    assert parsed.text == ""


def test_binary_garbage_is_failed_but_shown() -> None:
    garbage = bytes(range(256)) * 4
    parsed = parse_message(garbage)
    assert parsed.failed
    assert parsed.warnings
    assert "\x00" not in parsed.text


def test_garbage_with_recognisable_headers_keeps_subject_and_sender() -> None:
    raw = b"\x00\xff\xfe\r\nSubject: " + b_word("Помогите", "utf-8").encode() + b"\r\n"
    raw += b"From: Anna <anna@example.com>\r\n\r\nbody"
    parsed = parse_message(raw)
    assert parsed.subject == "Помогите"
    assert parsed.from_address == "anna@example.com"


def test_deeply_nested_multipart_does_not_raise() -> None:
    body = b""
    for depth in range(2_000):
        body += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (depth, depth)
    raw = b"From: a@example.com\r\nSubject: deep\r\n" + body + b"Content-Type: text/plain\r\n\r\nx"
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMessage)
    assert parsed.subject == "deep"


def test_nul_bytes_never_reach_the_text() -> None:
    parsed = parse_message(plain(b"a\x00b", None))
    assert parsed.text == "ab"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2_000))
def test_parse_message_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMessage)
    parsed.text.encode("utf-8")
    parsed.subject.encode("utf-8")


_MIME_BITS = st.sampled_from(
    [
        b"From: a@example.com\r\n",
        b"Subject: =?utf-8?B?0J/RgNC4?=\r\n",
        b"Subject: =?iso-2022-jp?B?GyRCRnxLXBsoQg==?=\r\n",
        b"Content-Type: multipart/mixed; boundary=X\r\n",
        b'Content-Type: multipart/alternative; boundary="X"\r\n',
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=X\r\n",
        b"Content-Type: text/plain; charset=koi8-r\r\n",
        b"Content-Type: text/html; charset=iso-2022-jp\r\n",
        b"Content-Disposition: attachment; filename*=utf-8''%E6%97\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Type: message/delivery-status\r\n",
        b"\r\n",
        b"--X\r\n",
        b"--X--\r\n",
        b"\x1b$B$3$s\x1b(B\r\n",
        b"\xf0\xd2\xc9\xd7\xc5\xd4\r\n",
        b"<script>alert(1)</script><img src=x onerror=alert(1)>\r\n",
        b"=E2=82=AC==\r\n",
        b"0J/RgNC4!!\r\n",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(_MIME_BITS, max_size=40))
def test_parse_message_never_raises_on_mime_shaped_input(bits: list[bytes]) -> None:
    parsed = parse_message(b"".join(bits))
    assert isinstance(parsed, ParsedMessage)
    if parsed.html is not None:
        assert "<script" not in parsed.html and "onerror" not in parsed.html


# --- XSS and remote content in bodies -------------------------------------------------------


def test_html_body_vectors_are_neutralised() -> None:
    html = (
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
        '<base href="https://evil.example/">'
        '<p onclick="alert(1)">Hi <a href="javascript:alert(1)">click</a></p>'
        '<img src="https://tracker.example/p.gif" onerror="alert(2)">'
        '<svg onload="alert(3)"></svg><iframe src="https://evil.example"></iframe>'
        '<form action="https://evil.example"><input name="password"></form>'
        '<div style="background:url(https://tracker.example/bg.png)">styled</div>'
    )
    message = MIMEText(html, "html", "utf-8")
    message["From"] = "a@example.com"
    parsed = parse_message(message.as_bytes())
    assert parsed.html is not None
    lowered = parsed.html.lower()
    for needle in ["<meta", "<base", "onclick", "javascript:", "onerror", "<svg", "onload"]:
        assert needle not in lowered
    for needle in ["<iframe", "<form", "<input", "url("]:
        assert needle not in lowered
    assert 'src="https://tracker.example/p.gif"' in parsed.html
    assert "alert" not in parsed.text


# --- automatic mail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ([("Auto-Submitted", "auto-replied")], "auto_reply"),
        ([("Auto-Submitted", "auto-generated")], "auto_reply"),
        ([("Auto-Submitted", "no")], None),
        ([("X-Autoreply", "yes")], "auto_reply"),
        ([("X-Autorespond", "Out of office")], "auto_reply"),
        ([("Precedence", "auto_reply")], "auto_reply"),
        ([("Precedence", "bulk")], "bulk"),
        ([("Precedence", "junk")], "bulk"),
        ([("Precedence", "list")], "bulk"),
        ([("List-Id", "Newsletter <news.example.com>")], "bulk"),
        ([("List-Unsubscribe", "<mailto:unsub@example.com>")], "bulk"),
        ([("X-Failed-Recipients", "gone@example.com")], "bounce"),
        ([], None),
    ],
)
def test_automatic_mail_by_headers(headers: list[tuple[str, str]], kind: str | None) -> None:
    raw = plain(b"I am away until Monday.", "utf-8", extra=list(headers))
    assert parse_message(raw).auto_kind == kind


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.jp"])
def test_daemon_senders_are_bounces(sender: str) -> None:
    raw = raw_message(
        [("From", f"Mail Delivery System <{sender}>"), ("Subject", "Undelivered Mail")],
        b"This is the mail system.\r\n\r\n"
        b"--- original message ---\r\nMessage-ID: <ours-42@desk.example>\r\nSubject: Re: x\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.auto_kind == "bounce"
    assert parsed.bounced_message_id == "<ours-42@desk.example>"


def dsn(returned: str) -> bytes:
    report = 'Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="DSN"\r\n'
    original = (
        "From: support@desk.example\r\nTo: gone@example.com\r\n"
        "Subject: Re: =?utf-8?B?0JfQsNC60LDQtw==?=\r\n"
        "Message-ID: <reply-7@desk.example>\r\n"
    )
    returned_part = f"Content-Type: {returned}\r\n\r\n{original}" + (
        "\r\nbody of the reply\r\n" if returned == "message/rfc822" else ""
    )
    text = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@desk.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        "Message-ID: <dsn-1@mx.example.com>\r\n"
        f"MIME-Version: 1.0\r\n{report}\r\n"
        "--DSN\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
        "--DSN\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--DSN\r\n{returned_part}--DSN--\r\n"
    )
    return text.encode("ascii")


@pytest.mark.parametrize("returned", ["message/rfc822", "text/rfc822-headers"])
def test_dsn_bounce_names_the_original_message(returned: str) -> None:
    parsed = parse_message(dsn(returned))
    assert parsed.auto_kind == "bounce"
    assert parsed.bounced_message_id == "<reply-7@desk.example>"
    assert parsed.message_id == "<dsn-1@mx.example.com>"
    assert "inform you" in parsed.text
    status = [a for a in parsed.attachments if a.filename == "delivery-status.txt"]
    assert status and b"5.1.1" in status[0].content


def test_report_from_ordinary_sender_is_still_a_bounce() -> None:
    raw = dsn("text/rfc822-headers").replace(b"MAILER-DAEMON@", b"notifications@")
    assert parse_message(raw).auto_kind == "bounce"


def test_read_receipt_is_an_auto_reply() -> None:
    raw = raw_message(
        [
            ("From", "customer@example.com"),
            (
                "Content-Type",
                'multipart/report; report-type=disposition-notification; boundary="R"',
            ),
        ],
        b"--R\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n--R--\r\n",
    )
    assert parse_message(raw).auto_kind == "auto_reply"


def test_an_unreadable_from_header_is_kept_as_written_with_a_warning():
    """Issue 14 item 8: the sender is known by the header as written, and the message says
    the address could not be read."""
    raw = raw_message(
        [
            ("From", b_word("Отдел продаж", "utf-8") + " <sales at example dot ru>"),
            ("To", "support@desk.test"),
            ("Subject", "Hello"),
            ("Message-ID", "<u1@example.ru>"),
        ],
        b"Body\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.from_address is None and not parsed.failed
    assert parsed.from_header == "Отдел продаж <sales at example dot ru>"
    assert parsed.warnings[0] == (
        "the sender's address could not be read (From: Отдел продаж <sales at example dot ru>)"
    )
    no_from = parse_message(raw_message([("Subject", "x"), ("To", "a@b.c")], b"Body\r\n"))
    assert no_from.from_address is None and no_from.from_header == ""
    assert "no From header" in no_from.warnings[0]
    readable = parse_message(raw_message([("From", "Ivan <ivan@example.ru>")], b"Body\r\n"))
    assert readable.from_header == "Ivan <ivan@example.ru>" and not readable.warnings


def test_an_unparseable_message_keeps_its_from_header_too():
    from desk_app.mail.parse import _fallback

    parsed = _fallback(b"From: ???\r\nSubject: broken\r\n\r\n\x00", "could not be decoded")
    assert parsed.failed and parsed.from_address is None and parsed.from_header == "???"
    assert any("(From: ???)" in warning for warning in parsed.warnings)
