"""Raw RFC 5322 bytes to a ParsedMessage: headers decoded, the readable body found, HTML
sanitised, attachments named safely, automatic mail recognised.

`parse_message` never raises. Mail that cannot be read comes back with `failed=True`, a best
effort subject and sender, the raw bytes shown as text, and warnings in plain English for the
agent; the caller keeps the raw bytes, so nothing is lost.

Headers are read from the parser's raw values and decoded here rather than through the header
registry of `policy.default`: real mail carries encoded-words without spaces, ISO-2022-JP and
undeclared 8-bit text in headers, and the registry's parser is both slower on huge headers and
less forgiving.
"""

from __future__ import annotations

import binascii
import codecs
import email
import logging
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Literal

from desk_app.core.errors import InvalidInput
from desk_app.core.identities import normalise_email
from desk_app.core.threading_rules import message_ids_in, normalise_message_id
from desk_app.mail.headers import RememberedHeaders
from desk_app.mail.sanitise import html_to_text, safe_filename, sanitise_html

log = logging.getLogger(__name__)

AutoKind = Literal["auto_reply", "bounce", "bulk"]
DEFAULT_MAX_ATTACHMENT_BYTES = 25_000_000
MAX_SUBJECT_CHARS = 500
MAX_NAME_CHARS = 200
MAX_NESTING = 40
# Beyond this an address header is not a list of recipients but an attack on the parser.
MAX_ADDRESS_HEADER_CHARS = 262_144


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # safe to show and to save (see sanitise.safe_filename)
    content_type: str
    content: bytes
    content_id: str | None  # without angle brackets, as a "cid:" URL names it
    inline: bool

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None  # "<id>"
    in_reply_to: str | None  # "<id>"
    references: list[str]
    subject: str
    from_name: str
    from_address: str | None  # lower-cased
    to: list[str]
    cc: list[str]
    reply_to: str | None
    date: datetime | None  # aware, UTC
    text: str
    html: str | None  # sanitised
    attachments: list[ParsedAttachment]
    auto_kind: AutoKind | None
    bounced_message_id: str | None
    warnings: list[str] = field(default_factory=list)
    failed: bool = False
    # The From (else Sender) header as text, on one line: what the sender is known by when
    # no address can be read from it ("" when the mail has neither header).
    from_header: str = ""


# --- charsets ---------------------------------------------------------------------------

_CHARSET_ALIASES = {
    # Japanese mailers label CP932 (with NEC and IBM extensions) as Shift_JIS.
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    # WHATWG practice: ISO-8859-1 and ASCII labels mean Windows-1252.
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-mac-cyrillic": "mac_cyrillic",
    "unicode-1-1-utf-7": "utf_7",
}
# When the declared charset cannot decode the bytes, its supersets usually can: ISO-2022-JP
# mail often carries half-width katakana or NEC circled digits.
_SUPERSETS = {
    "iso2022_jp": ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3", "iso2022_jp_2004"),
    "euc_jp": ("euc_jis_2004",),
    "cp932": ("shift_jis_2004",),
    "koi8_r": ("koi8_u",),
    "cp949": ("johab",),
}
_ASCII_LABELS = {"ascii", "us-ascii", "us_ascii", "ansi_x3.4-1968", "646"}
_SINGLE_BYTE = {"cp1252", "cp1251", "koi8_r", "koi8_u", "mac_cyrillic"}
# Codecs that are not character sets at all: a label naming them is treated as unknown.
_NOT_CHARSETS = re.compile(r"escape|idna|punycode|rot|undefined|oem|mbcs", re.IGNORECASE)
_ISO2022JP_ESCAPE = re.compile(rb"\x1b(?:\$[@B]|\(\s?[BJI]|\$\(D)")
_GUESSES = ("cp932", "euc_jp", "cp1251", "koi8_r", "cp1252")
_CHARSET_NAMES = {
    "cp932": "Shift_JIS",
    "euc_jp": "EUC-JP",
    "cp1251": "Windows-1251",
    "koi8_r": "KOI8-R",
    "cp1252": "Windows-1252",
    "utf-8": "UTF-8",
}


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, or None if there is no usable one."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    cleaned = _CHARSET_ALIASES.get(cleaned, cleaned)
    if _NOT_CHARSETS.search(cleaned):
        return None
    try:
        info = codecs.lookup(cleaned)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    name = info.name
    if name in {"latin-1", "iso8859-1"}:
        return "cp1252"
    return name


def _char_score(ch: str) -> float:
    code = ord(ch)
    if 0x3040 <= code <= 0x30FF:  # hiragana, katakana
        return 2.0
    if 0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F:
        return 1.0
    if 0x0430 <= code <= 0x044F or code == 0x0451:  # Cyrillic lower case
        return 1.0
    if 0x0410 <= code <= 0x042F or code == 0x0401:
        return 0.5
    if 0x00C0 <= code <= 0x00FF:
        return 0.5
    return 0.0


def _guess_codec(data: bytes) -> str | None:
    """The likeliest legacy charset of undeclared 8-bit bytes (None if none decodes)."""
    high = sum(1 for byte in data if byte >= 0x80) or 1
    best: tuple[float, str] | None = None
    for codec in _GUESSES:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = sum(_char_score(ch) for ch in text if ord(ch) >= 0x80) / high
        if best is None or score > best[0]:
            best = (score, codec)
    return best[1] if best else None


@dataclass
class _Decoder:
    """Decodes bytes to text, remembering the charsets this message declares as hints for
    the parts and headers that declare none."""

    hints: list[str] = field(default_factory=list)

    def undeclared(self, data: bytes) -> tuple[str, str | None]:
        """Text of bytes with no (or a useless) charset label, and the guess used if any."""
        if _ISO2022JP_ESCAPE.search(data):
            return self._decode_chain(data, "iso2022_jp"), None
        if data.isascii():
            return data.decode("ascii"), None
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
        for hint in self.hints:
            try:
                return data.decode(hint), hint
            except (UnicodeError, LookupError):
                continue
        guess = _guess_codec(data)
        if guess is None:
            return data.decode("utf-8", "replace"), "utf-8"
        return data.decode(guess), guess

    def declared(self, data: bytes, label: str | None) -> tuple[str, str | None]:
        """Text of bytes in a declared charset. The second value, when set, completes a
        warning sentence whose subject is the text ("... was read as KOI8-R")."""
        codec = _codec(label)
        if codec is None or codec == "ascii" or (label or "").lower() in _ASCII_LABELS:
            text, guess = self.undeclared(data)
            if label and codec is None:
                return text, (
                    f'declared an unknown character set "{_printable(label)}" and was read '
                    f"as {_charset_name(guess or 'utf-8')}"
                )
            if guess:
                return text, (
                    "did not say which character set it uses and was read as "
                    f"{_charset_name(guess)}"
                )
            return text, None
        if codec.startswith("iso2022_jp"):
            return self._decode_chain(data, codec), None
        if codec in _SINGLE_BYTE and not data.isascii():
            # Mail labelled with a legacy charset but written in UTF-8 is common; genuine
            # legacy text is practically never valid UTF-8 with multi-byte sequences.
            try:
                return data.decode("utf-8"), None
            except UnicodeDecodeError:
                pass
        for candidate in (codec, *_SUPERSETS.get(codec, ())):
            try:
                return data.decode(candidate), None
            except (UnicodeError, LookupError):
                continue
        try:
            return data.decode("utf-8"), (
                f"was labelled {_printable(label or '')} but written in UTF-8"
            )
        except UnicodeDecodeError:
            pass
        try:
            text = data.decode(codec, "replace")
        except (UnicodeError, LookupError):
            text = data.decode("utf-8", "replace")
        return text, (
            f"had characters that are not valid {_printable(label or '')}; "
            "they were replaced with \ufffd"
        )

    @staticmethod
    def _decode_chain(data: bytes, codec: str) -> str:
        for candidate in (codec, *_SUPERSETS.get("iso2022_jp", ())):
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
        return data.decode("iso2022_jp_2004", "replace")


def _charset_name(codec: str) -> str:
    return _CHARSET_NAMES.get(codec, codec.upper())


def _printable(value: str) -> str:
    return "".join(ch for ch in value if ch.isprintable())[:60]


# --- headers ----------------------------------------------------------------------------

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAK = re.compile(r"[\r\n]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)(?:\*[^?\s]*)?\?([bBqQ])\?(.*?)\?=", re.DOTALL)
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_SURROGATE = re.compile("[\udc80-\udcff]")
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]"
)
_WHITESPACE = re.compile(r"\s+")
_ADDRESS_LIKE = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[^\s<>\"'(),;:@]+")


def _unfold(value: str) -> str:
    return _LINE_BREAK.sub(" ", _FOLD.sub("", value))


def _to_bytes(text: str) -> bytes:
    """The original bytes of a str the parser made with the surrogateescape handler."""
    try:
        return text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _lenient_base64(data: bytes) -> tuple[bytes, bool]:
    """Decode base64 however damaged; the flag says whether it was."""
    compact = b"".join(data.split())
    cleaned = _NOT_BASE64.sub(b"", compact.rstrip(b"="))
    damaged = len(cleaned) != len(compact.rstrip(b"="))
    remainder = len(cleaned) % 4
    if remainder == 1:
        cleaned = cleaned[:-1]
        damaged = True
    elif remainder:
        cleaned += b"=" * (4 - remainder)
    try:
        return binascii.a2b_base64(cleaned), damaged
    except binascii.Error:
        return b"", True


def _decode_word(encoding: str, text: str) -> bytes:
    data = _to_bytes(text)
    if encoding in "bB":
        return _lenient_base64(data)[0]
    return _Q_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))


def _decode_header(value: str, decoder: _Decoder) -> tuple[str, str | None]:
    """Decode RFC 2047 encoded-words (also ones glued to text or to each other, and ones
    split mid-character) and undeclared 8-bit or ISO-2022-JP text; second value is the
    charset guessed for 8-bit text, if any."""
    value = _unfold(value)
    pieces: list[tuple[str | None, bytes | str]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        previous_is_word = bool(pieces) and pieces[-1][0] is not None
        if between and not (previous_is_word and between.isspace()):
            pieces.append((None, between))
        charset = match.group(1).lower()
        data = _decode_word(match.group(2), match.group(3))
        if previous_is_word and not (between and not between.isspace()):
            last_charset, last_data = pieces[-1]
            if last_charset == charset and isinstance(last_data, bytes):
                pieces[-1] = (charset, last_data + data)
                position = match.end()
                continue
        pieces.append((charset, data))
        position = match.end()
    if position < len(value):
        pieces.append((None, value[position:]))
    out: list[str] = []
    guessed: str | None = None
    for charset, piece in pieces:
        if charset is None:
            assert isinstance(piece, str)
            raw = _to_bytes(piece)
            if raw.isascii() and not _ISO2022JP_ESCAPE.search(raw):
                out.append(piece)
                continue
            text, guess = decoder.undeclared(raw)
            guessed = guessed or guess
            out.append(text)
        else:
            assert isinstance(piece, bytes)
            out.append(decoder.declared(piece, charset)[0])
    return "".join(out), guessed


def _one_line(text: str, limit: int) -> str:
    cleaned = _WHITESPACE.sub(" ", _INVISIBLE.sub(" ", text)).strip()
    cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
    return cleaned[:limit].rstrip()


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _raw_headers(message: Message, name: str) -> list[str]:
    return [str(value) for key, value in message.raw_items() if key.lower() == name]


def _header_without_8bit(value: str, decoder: _Decoder) -> str:
    """A raw header value with undeclared 8-bit bytes decoded, encoded-words left alone
    (they must be decoded after the value is split into its parts)."""
    value = _unfold(value)
    if not _SURROGATE.search(value):
        return value
    return decoder.undeclared(_to_bytes(value))[0]


def _normalise_address(address: str) -> str | None:
    value = address.strip().strip("<>").strip()
    if "@" not in value or any(ch.isspace() for ch in value):
        return None
    try:
        return normalise_email(value)
    except InvalidInput:
        return value.lower()


def _addresses(values: Iterable[str], decoder: _Decoder) -> list[tuple[str, str]]:
    """(display name, address) pairs, names decoded, addresses lower-cased."""
    found: list[tuple[str, str]] = []
    for raw in values:
        value = _header_without_8bit(raw, decoder)[:MAX_ADDRESS_HEADER_CHARS]
        pairs = getaddresses([value])
        if not any("@" in address for _, address in pairs):
            pairs = [("", match) for match in _ADDRESS_LIKE.findall(value)]
        for name, address in pairs:
            normalised = _normalise_address(address)
            if normalised is None:
                continue
            decoded_name = _one_line(_decode_header(name, decoder)[0], MAX_NAME_CHARS)
            found.append((decoded_name.strip("\"' "), normalised))
    return found


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(_unfold(value).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        # RFC 5322: "-0000" means the zone is unknown; UTC is the honest reading.
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --- body -------------------------------------------------------------------------------


def _size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.0f} KB"
    return f"{size} bytes"


def _legacy_view(part: Message, decoder: _Decoder) -> Message:
    """A compat32 Message holding only the part's content headers, so the string-based
    parameter parsing (RFC 2231 included) reads them without the header registry."""
    legacy = Message()
    legacy.set_default_type(part.get_default_type())
    for name in ("content-type", "content-disposition"):
        raw = _raw_header(part, name)
        if raw is not None:
            legacy[name] = _header_without_8bit(raw, decoder)
    return legacy


_PLAIN_FALLBACK_NAME = {"message/rfc822": "message.eml", "text/plain": "text.txt"}
_DEFECT_WARNINGS = {
    "CloseBoundaryNotFoundDefect": (
        "the message ends before its last part is complete; it may have been cut off"
    ),
}


class _BodyCollector:
    def __init__(self, decoder: _Decoder, max_attachment_bytes: int) -> None:
        self.decoder = decoder
        self.max_attachment_bytes = max_attachment_bytes
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.warnings: list[str] = []
        self.is_delivery_report = False
        self.bounced_message_id: str | None = None
        self.is_read_receipt = False
        self.delivery_status: list[str] = []

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def payload_bytes(self, part: Message, label: str) -> bytes:
        payload = part.get_payload()
        if not isinstance(payload, str):
            return b""
        encoding = (_raw_header(part, "content-transfer-encoding") or "").strip().lower()
        if encoding == "base64":
            decoded, damaged = _lenient_base64(_to_bytes(payload))
            if damaged:
                self.warn(
                    f"{label} had damaged base64 encoding; some of it may be missing or wrong"
                )
            return decoded
        # get_payload() without decode=True re-decodes 8-bit text with the declared charset
        # and replaces what does not fit; with decode=True it returns the original bytes
        # (quoted-printable decoded leniently).
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else _to_bytes(payload)

    def text_of(self, part: Message, legacy: Message, label: str) -> str:
        data = self.payload_bytes(part, label)
        text, problem = self.decoder.declared(data, legacy.get_content_charset())
        if problem:
            self.warn(f"{label} {problem}")
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")

    def walk(self, part: Message, depth: int = 0, related: bool = False) -> None:
        if depth > MAX_NESTING:
            self.warn("the message is nested too deeply; its innermost parts were not read")
            return
        legacy = _legacy_view(part, self.decoder)
        content_type = legacy.get_content_type()
        for defect in part.defects:
            warning = _DEFECT_WARNINGS.get(type(defect).__name__)
            if warning:
                self.warn(warning)
        if content_type == "message/delivery-status":
            self.add_delivery_status(part)
            return
        if content_type == "message/rfc822" or (
            content_type.startswith("message/") and isinstance(part.get_payload(), list)
        ):
            self.add_message(part, legacy, content_type)
            return
        if content_type.startswith("multipart/"):
            children = part.get_payload()
            if not isinstance(children, list):
                # No boundary, or a boundary that never appears: the body is all there is.
                self.warn(
                    "the message said it had several parts but they could not be found; "
                    "its body is shown as plain text"
                )
                self.plain.append(self.text_of(part, Message(), "the message body"))
                return
            subtype = content_type.partition("/")[2]
            if subtype == "report":
                report_type = str(legacy.get_param("report-type") or "").lower()
                self.is_delivery_report |= report_type == "delivery-status"
                self.is_read_receipt |= report_type == "disposition-notification"
            if subtype == "alternative":
                self.walk_alternative([c for c in children if isinstance(c, Message)], depth)
                return
            for child in children:
                if isinstance(child, Message):
                    self.walk(child, depth + 1, related or subtype == "related")
            return
        self.add_leaf(part, legacy, content_type, related)

    def walk_alternative(self, children: list[Message], depth: int) -> None:
        plain: Message | None = None
        html: Message | None = None
        for child in children:
            if not isinstance(child, Message):
                continue
            legacy = _legacy_view(child, self.decoder)
            content_type = legacy.get_content_type()
            if self.is_attachment(legacy):
                self.add_leaf(child, legacy, content_type, False)
            elif content_type == "text/plain":
                plain = plain or child
            elif content_type == "text/html":
                html = child
            elif content_type.startswith("multipart/"):
                self.walk(child, depth + 1)
            elif not content_type.startswith("text/") or content_type == "text/calendar":
                self.add_leaf(child, legacy, content_type, False)
            # Other renderings (text/enriched, Apple's text/watch-html) repeat the body.
        for chosen in (plain, html):
            if chosen is not None:
                self.walk(chosen, depth + 1)

    @staticmethod
    def is_attachment(legacy: Message) -> bool:
        disposition = (legacy.get("content-disposition") or "").split(";")[0].strip().lower()
        return disposition == "attachment" or legacy.get_filename() is not None

    def add_leaf(self, part: Message, legacy: Message, content_type: str, related: bool) -> None:
        if content_type == "text/plain" and not self.is_attachment(legacy):
            self.plain.append(self.text_of(part, legacy, "the message text"))
            return
        if content_type == "text/html" and not self.is_attachment(legacy):
            self.html.append(self.text_of(part, legacy, "the HTML text"))
            return
        if content_type in {"text/rfc822-headers", "message/rfc822-headers"}:
            headers = self.text_of(part, legacy, "the returned message headers")
            self.note_bounced_id(HeaderParser().parsestr(headers, headersonly=True))
        if content_type == "message/delivery-status":
            self.is_delivery_report = True
        name = self.filename(part, legacy, content_type)
        label = f'the attachment "{name}"'
        data = self.payload_bytes(part, label)
        disposition = (legacy.get("content-disposition") or "").split(";")[0].strip().lower()
        content_id = normalise_message_id(_raw_header(part, "content-id"))
        self.keep(
            name,
            content_type,
            data,
            content_id[1:-1] if content_id else None,
            disposition == "inline" or (related and content_id is not None),
        )

    def add_message(self, part: Message, legacy: Message, content_type: str) -> None:
        inner = part.get_payload()
        attached = inner[0] if isinstance(inner, list) and inner else None
        if not isinstance(attached, Message):
            return
        self.note_bounced_id(attached)
        generator_policy = policy.default.clone(refold_source="none", linesep="\r\n")
        try:
            data = attached.as_bytes(policy=generator_policy)
        except Exception:  # an unusual message inside; store what the parser kept
            data = _to_bytes(str(attached.get_payload()))
        name = legacy.get_filename()
        if not name:
            subject = _raw_header(attached, "subject")
            decoded = _decode_header(subject, self.decoder)[0] if subject else ""
            name = f"{_one_line(decoded, 100)}.eml" if decoded.strip() else "message.eml"
        self.keep(
            safe_filename(self.decode_filename(name), default="message.eml"),
            content_type,
            data,
            None,
            False,
        )

    def add_delivery_status(self, part: Message) -> None:
        self.is_delivery_report = True
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks = [
                "".join(f"{name}: {_unfold(str(value))}\n" for name, value in block.raw_items())
                for block in payload
                if isinstance(block, Message)
            ]
            data = "\n".join(blocks).encode("utf-8", "surrogateescape")
        else:
            data = self.payload_bytes(part, "the delivery report")
        self.delivery_status.append(self.decoder.undeclared(data)[0].strip())
        self.keep("delivery-status.txt", "message/delivery-status", data, None, False)

    def note_bounced_id(self, original: Message) -> None:
        if self.bounced_message_id is None:
            self.bounced_message_id = normalise_message_id(_raw_header(original, "message-id"))

    def decode_filename(self, name: str) -> str:
        if any(0x80 <= ord(ch) <= 0xFF for ch in name) and all(ord(ch) <= 0xFF for ch in name):
            # RFC 2231 without (or with an unknown) charset comes back as Latin-1 characters.
            name = self.decoder.undeclared(name.encode("latin-1"))[0]
        return _decode_header(name, self.decoder)[0]

    def filename(self, part: Message, legacy: Message, content_type: str) -> str:
        raw_name = legacy.get_filename() or legacy.get_param("name")
        name = self.decode_filename(str(raw_name)) if isinstance(raw_name, str) else ""
        if not name.strip():
            extension = mimetypes.guess_extension(content_type) or ""
            fallback = _PLAIN_FALLBACK_NAME.get(content_type, f"attachment{extension}")
            return safe_filename(fallback)
        return safe_filename(name)

    def keep(
        self, name: str, content_type: str, data: bytes, content_id: str | None, inline: bool
    ) -> None:
        if len(data) > self.max_attachment_bytes:
            self.warn(
                f'the attachment "{name}" ({_size_text(len(data))}) is larger than the '
                f"{_size_text(self.max_attachment_bytes)} limit and was not kept"
            )
            return
        self.attachments.append(ParsedAttachment(name, content_type, data, content_id, inline))


# --- automatic mail ---------------------------------------------------------------------

_DAEMON_SENDERS = {"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"}
_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply")
_BOUNCE_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


def _auto_kind(
    message: Message, from_address: str | None, collector: _BodyCollector
) -> AutoKind | None:
    def header(name: str) -> str:
        return _unfold(_raw_header(message, name) or "").strip().lower()

    local_part = (from_address or "").partition("@")[0]
    if (
        collector.is_delivery_report
        or local_part in _DAEMON_SENDERS
        or _raw_header(message, "x-failed-recipients") is not None
    ):
        return "bounce"
    auto_submitted = header("auto-submitted")
    precedence = header("precedence") or header("x-precedence")
    if (
        (auto_submitted and not auto_submitted.startswith("no"))
        or any(_raw_header(message, name) is not None for name in _AUTO_REPLY_HEADERS)
        or header("x-autogenerated") == "reply"
        or precedence == "auto_reply"
        or collector.is_read_receipt
    ):
        return "auto_reply"
    if (
        precedence in {"bulk", "junk", "list"}
        or _raw_header(message, "list-id") is not None
        or _raw_header(message, "list-unsubscribe") is not None
    ):
        return "bulk"
    return None


# --- the whole message ------------------------------------------------------------------

_KNOWN_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "content-type",
    "sender",
    "reply-to",
    "delivered-to",
}


def _charset_hints(message: Message) -> list[str]:
    hints: list[str] = []
    for part in message.walk():
        label = _charset_param(_raw_header(part, "content-type") or "")
        codec = _codec(label)
        if codec and codec not in hints and codec not in {"ascii", "utf-8"}:
            hints.append(codec)
    return hints


def _charset_param(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*\"?([^\s\";]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


# Parsing asks for a part's Content-Type four or five times and the stock registry parses it
# afresh each time: see mail/headers.py.
_POLICY = policy.default.clone(header_factory=RememberedHeaders())


def _parse_tree(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=_POLICY)
    except RecursionError:
        raise
    except Exception:
        # The header registry rejected something while the parser looked at it; the
        # string-based compat32 policy reads the same structure without it.
        log.debug("policy.default could not parse a message; retrying with compat32")
        return email.message_from_bytes(raw, policy=policy.compat32)


def _parse(raw: bytes, max_attachment_bytes: int) -> ParsedMessage:
    if not raw.strip():
        return _fallback(raw, "the message is empty")
    message = _parse_tree(raw)
    if not {key.lower() for key in message} & _KNOWN_HEADERS:
        return _fallback(raw, "this does not look like an e-mail message; it is shown as raw text")
    decoder = _Decoder(hints=_charset_hints(message))
    warnings: list[str] = []

    raw_subject = _raw_header(message, "subject") or ""
    subject, subject_guess = _decode_header(raw_subject, decoder)
    subject = _one_line(subject, len(subject))
    if len(subject) > MAX_SUBJECT_CHARS:
        warnings.append(
            f"the subject was {len(subject):,} characters long; only the first "
            f"{MAX_SUBJECT_CHARS} are kept"
        )
        subject = subject[:MAX_SUBJECT_CHARS].rstrip()
    raw_from = _raw_headers(message, "from")[:1]
    senders = _addresses(raw_from, decoder)
    if not senders:
        senders = _addresses(_raw_headers(message, "sender")[:1], decoder)
    raw_from = raw_from or _raw_headers(message, "sender")[:1]
    from_name, from_address = senders[0] if senders else ("", None)
    from_header = _header_text(raw_from[0], decoder) if raw_from else ""
    if from_address is None:
        warnings.append(_unreadable_sender(from_header))
    reply_to = _addresses(_raw_headers(message, "reply-to")[:1], decoder)

    collector = _BodyCollector(decoder, max_attachment_bytes)
    collector.walk(message)
    html = "\n".join(collector.html) if collector.html else None
    sanitised = sanitise_html(html) if html is not None else None
    text = "\n\n".join(collector.plain) if collector.plain else ""
    if not text.strip() and sanitised:
        text = html_to_text(sanitised)

    auto_kind = _auto_kind(message, from_address, collector)
    if auto_kind == "bounce" and collector.delivery_status:
        # The status names the failed recipient and the server's reason: the part of a
        # bounce an agent actually needs.
        text = "\n\n".join([text.rstrip(), *collector.delivery_status]).strip("\n")
    message_id = normalise_message_id(_raw_header(message, "message-id"))
    bounced = collector.bounced_message_id if auto_kind == "bounce" else None
    if auto_kind == "bounce" and bounced is None:
        for candidate in _BOUNCE_MESSAGE_ID.findall(text):
            if candidate != message_id:
                bounced = candidate
                break
    if subject_guess:
        warnings.append(
            "the subject had characters in an undeclared character set; "
            f"it was read as {_charset_name(subject_guess)}"
        )
    raw_date = _raw_header(message, "date")
    date = _parse_date(raw_date)
    if raw_date and date is None:
        warnings.append("the message's date could not be read")
    in_reply_to = message_ids_in(_raw_header(message, "in-reply-to"))
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=message_ids_in(" ".join(_raw_headers(message, "references"))),
        subject=subject,
        from_name=from_name,
        from_address=from_address,
        to=[address for _, address in _addresses(_raw_headers(message, "to"), decoder)],
        cc=[address for _, address in _addresses(_raw_headers(message, "cc"), decoder)],
        reply_to=reply_to[0][1] if reply_to else None,
        date=date,
        text=_clean_text(text),
        html=_clean_text(sanitised) if sanitised is not None else None,
        attachments=collector.attachments,
        auto_kind=auto_kind,
        bounced_message_id=bounced,
        warnings=warnings + collector.warnings,
        failed=False,
        from_header=from_header,
    )


MAX_FROM_HEADER_CHARS = 998  # RFC 5322's line limit: more is not a header worth keeping


def _header_text(value: str, decoder: _Decoder) -> str:
    return _one_line(_decode_header(value, decoder)[0], MAX_FROM_HEADER_CHARS)


def _unreadable_sender(from_header: str) -> str:
    """The warning for a mail whose sender's address could not be read, quoting the header
    (shown as plain text) so the agent can see who it may be from."""
    if not from_header:
        return "the sender's address could not be read: the e-mail has no From header"
    shown = from_header if len(from_header) <= 200 else from_header[:200] + "…"
    return f"the sender's address could not be read (From: {shown})"


def _clean_text(text: str) -> str:
    # No NUL (PostgreSQL text refuses it) and no lone surrogates (not encodable as UTF-8).
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


_RAW_SUBJECT = re.compile(rb"^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_RAW_FROM = re.compile(rb"^From:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def _fallback(raw: bytes, reason: str) -> ParsedMessage:
    """What can be shown of a message that could not be parsed: its bytes as text, and the
    subject and sender if lines that look like those headers can be found."""
    warnings = [reason]
    subject = ""
    from_name, from_address = "", None
    from_header = ""
    text = ""
    try:
        decoder = _Decoder()
        head = raw[:262_144]
        subject_match = _RAW_SUBJECT.search(head)
        if subject_match:
            value = subject_match.group(1).decode("ascii", "surrogateescape")
            subject = _one_line(_decode_header(value, decoder)[0], MAX_SUBJECT_CHARS)
        from_match = _RAW_FROM.search(head)
        if from_match:
            value = from_match.group(1).decode("ascii", "surrogateescape")
            senders = _addresses([value], decoder)
            if senders:
                from_name, from_address = senders[0]
            from_header = _header_text(value, decoder)
        text, guess = decoder.undeclared(raw)
        if guess:
            warnings.append(f"the raw text was read as {_charset_name(guess)}")
        text = _clean_text(text.replace("\r\n", "\n"))
    except Exception:
        log.exception("could not salvage anything from an unparseable message")
        text = _clean_text(raw.decode("utf-8", "replace"))
    if from_address is None and from_header:
        # (Without a From line, the reason above already says nothing could be read.)
        warnings.append(_unreadable_sender(from_header))
    return ParsedMessage(
        message_id=None,
        in_reply_to=None,
        references=[],
        subject=subject,
        from_name=from_name,
        from_address=from_address,
        to=[],
        cc=[],
        reply_to=None,
        date=None,
        text=text,
        html=None,
        attachments=[],
        auto_kind=None,
        bounced_message_id=None,
        warnings=warnings,
        failed=True,
        from_header=from_header,
    )


def parse_message(
    raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
) -> ParsedMessage:
    """Parse one raw message. Never raises: see the module docstring."""
    try:
        return _parse(bytes(raw), max_attachment_bytes)
    except RecursionError:
        return _fallback(raw, "the message is nested too deeply to read; it is shown as raw text")
    except Exception:
        log.exception("a message could not be parsed")
        return _fallback(raw, "the message could not be decoded; it is shown as raw text")
