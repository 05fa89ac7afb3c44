"""Make what customers send safe to show and to save: HTML bodies cleaned with nh3, a plain-text
rendering of HTML-only mail, and attachment names that cannot escape a folder."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import nh3

# Remote images are kept (the conversation view only fetches them after the agent clicks
# "load images"), inline cid: images are kept, everything else that can load or run is not.
_IMAGE_SCHEMES = ("http:", "https:", "cid:")
_LINK_SCHEMES = ("http:", "https:", "mailto:", "tel:")
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
_REMOVED_WITH_CONTENT = {
    "script",
    "style",
    "title",
    "noscript",
    "template",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "textarea",
    "select",
    "xmp",
    "noembed",
    "noframes",
}
_TAGS = (set(nh3.ALLOWED_TAGS) | {"font", "tfoot"}) - {"map", "area"} - _REMOVED_WITH_CONTENT
_TABLE_ATTRIBUTES = {"width", "height", "bgcolor", "border", "cellpadding", "cellspacing"}
_ATTRIBUTES: dict[str, set[str]] = {
    tag: set(values) for tag, values in nh3.ALLOWED_ATTRIBUTES.items() if tag in _TAGS
}
_ATTRIBUTES.setdefault("*", set()).update({"dir", "lang", "title", "style", "align"})
_ATTRIBUTES["img"] = {"src", "alt", "width", "height", "title", "border"}
_ATTRIBUTES["font"] = {"color", "face", "size"}
for _tag in ("table", "td", "th", "tr"):
    _ATTRIBUTES.setdefault(_tag, set()).update(_TABLE_ATTRIBUTES | {"valign"})
_SAFE_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "line-height",
    "letter-spacing",
    "white-space",
    "vertical-align",
    "margin",
    "margin-top",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "padding",
    "padding-top",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "border",
    "border-top",
    "border-bottom",
    "border-left",
    "border-right",
    "border-color",
    "border-style",
    "border-width",
    "border-collapse",
    "width",
    "height",
    "max-width",
    "min-width",
    "list-style-type",
    "direction",
}
# Anything in a style value that can fetch or run: url(), image-set(), @import, IE's
# expression() and behaviors, Mozilla bindings; backslashes because CSS escapes can spell
# all of these ("\75 rl(").
_UNSAFE_STYLE = re.compile(
    r"url\s*\(|image-set|image\s*\(|@import|expression|behavior|binding|javascript|\\|&#|/\*",
    re.IGNORECASE,
)
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=\"(https?:[^\"]*)\"", re.IGNORECASE)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    lowered = value.strip().lower()
    if attribute == "style":
        return None if _UNSAFE_STYLE.search(value) else value
    if tag == "img" and attribute == "src":
        return value if lowered.startswith(_IMAGE_SCHEMES) else None
    if attribute in {"href", "cite"}:
        return value if lowered.startswith(_LINK_SCHEMES) else None
    if attribute == "background":
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_REMOVED_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes=_URL_SCHEMES,
    url_relative="deny",
    link_rel="noopener noreferrer",
    filter_style_properties=_SAFE_STYLE_PROPERTIES,
    strip_comments=True,
)


def sanitise_html(html: str) -> str:
    """An HTML fragment with nothing that can run, submit, embed or load by itself.

    Kept: formatting, tables, links (with rel="noopener noreferrer"), `cid:` images and
    http(s) images, which the viewer must only fetch on request (see `remote_image_urls`)."""
    return _CLEANER.clean(html)


def remote_image_urls(sanitised_html: str) -> list[str]:
    """The http(s) image sources of sanitised HTML: what "load images" would fetch."""
    return _IMG_SRC.findall(sanitised_html)


_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tr",
    "ul",
}
_PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol"}
_INVISIBLE_TAGS = {"script", "style", "head", "title", "noscript", "template", "svg", "math"}
_SPACES = re.compile(r"[ \t\r\n\f\u200b\xa0]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_DOUBLE_SPACES = re.compile(r" {2,}")


class _TextRenderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._line: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._quote_depth = 0
        self._lists: list[list[int]] = []  # per open list: [is_ordered, next_number]
        self._link: str | None = None
        self._link_text: list[str] = []

    def _flush_line(self) -> None:
        text = "".join(self._line)
        if not self._pre:
            text = _DOUBLE_SPACES.sub(" ", text).strip()
        prefix = "> " * self._quote_depth
        self._out.append((prefix + text).rstrip() if text else prefix.rstrip())
        self._line = []

    def _break(self, blank: bool = False) -> None:
        if self._line and "".join(self._line).strip():
            self._flush_line()
        else:
            self._line = []
        if blank and self._out and self._out[-1].strip("> "):
            self._out.append(self._blank_quote())

    def _blank_quote(self) -> str:
        return ("> " * self._quote_depth).rstrip()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden += 1
            return
        if tag == "br":
            self._flush_line()
            return
        if tag in _BLOCK_TAGS:
            self._break(blank=tag in _PARAGRAPH_TAGS)
        if tag == "blockquote":
            self._quote_depth += 1
        elif tag == "pre":
            self._pre += 1
        elif tag in {"ul", "ol"}:
            self._lists.append([tag == "ol", 1])
        elif tag == "li":
            marker = "- "
            if self._lists and self._lists[-1][0]:
                marker = f"{self._lists[-1][1]}. "
                self._lists[-1][1] += 1
            self._line.append("  " * max(len(self._lists) - 1, 0) + marker)
        elif tag in {"td", "th"}:
            if self._line and "".join(self._line).strip():
                self._line.append("\t")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self._link = href if href.lower().startswith(("http:", "https:")) else None
            self._link_text = []
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._line.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden = max(self._hidden - 1, 0)
            return
        if tag == "a" and self._link:
            shown = "".join(self._link_text).strip()
            if shown and shown != self._link and self._link not in shown:
                self._line.append(f" <{self._link}>")
            self._link = None
        if tag == "blockquote":
            self._break()
            while self._out and self._quote_depth and self._out[-1] == self._blank_quote():
                self._out.pop()
            self._quote_depth = max(self._quote_depth - 1, 0)
        if tag in _BLOCK_TAGS:
            self._break(blank=tag in _PARAGRAPH_TAGS)
        if tag == "pre":
            self._pre = max(self._pre - 1, 0)
        elif tag in {"ul", "ol"} and self._lists:
            self._lists.pop()

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            lines = data.split("\n")
            for index, line in enumerate(lines):
                if index:
                    self._flush_line()
                self._line.append(line)
            return
        text = _SPACES.sub(" ", data)
        self._line.append(text)
        if self._link is not None:
            self._link_text.append(text)

    def result(self) -> str:
        self._break()
        text = "\n".join(self._out).strip("\n")
        return _MANY_BLANK_LINES.sub("\n\n", text)


def html_to_text(html: str) -> str:
    """A readable plain-text rendering of an HTML body for quoting and search: paragraphs
    and line breaks kept, list items as "- " or "1. ", blockquotes as "> " lines."""
    renderer = _TextRenderer()
    try:
        renderer.feed(html)
        renderer.close()
    except (AssertionError, ValueError):
        # html.parser gives up on a few malformed declarations; what it read so far stands.
        pass
    return renderer.result()


_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\.|$)", re.I)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_RUN_OF_SPACES = re.compile(r"\s+")
MAX_FILENAME_CHARS = 150
MAX_FILENAME_BYTES = 240
_MAX_EXTENSION_CHARS = 16


def _drop_invisible(name: str) -> str:
    # Control characters and format characters: the latter include the right-to-left
    # override that makes "invoice\u202egpj.exe" look like a .jpg. Zero-width joiner stays
    # so emoji sequences survive.
    return "".join(
        ch
        for ch in name
        if ch == "\u200d" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )


def _shorten(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > _MAX_EXTENSION_CHARS:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget_chars = MAX_FILENAME_CHARS - len(suffix)
    stem = stem[:budget_chars]
    while len((stem + suffix).encode("utf-8")) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    return stem.rstrip(" .") + suffix


def safe_filename(name: str | None, default: str = "attachment") -> str:
    """A file name that is safe to show and to save on Windows, macOS and Linux: the last
    path component only, no control or direction-override characters, no characters Windows
    forbids, no leading dot, no reserved device name, at most 150 characters (extension
    kept), NFC normalised; `default` when nothing usable is left."""
    if not name:
        return default
    value = unicodedata.normalize("NFC", name)
    value = _drop_invisible(value)
    value = re.split(r"[/\\]", value)[-1]
    value = _WINDOWS_FORBIDDEN.sub("_", value)
    value = _RUN_OF_SPACES.sub(" ", value).strip()
    # Removing invisible characters can leave combining marks to compose.
    value = unicodedata.normalize("NFC", value).lstrip(". ").rstrip(". ")
    if not value:
        return default
    if _WINDOWS_RESERVED.match(value):
        value = f"_{value}"
    return _shorten(value) or default
