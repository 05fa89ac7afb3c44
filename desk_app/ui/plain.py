"""Customer text is shown as text, never as markup.

Qt guesses: a QLabel's default text format (AutoText) and every tooltip render a string as
HTML when it looks like HTML (Qt.mightBeRichText). A subject such as
`<b>Password expired</b><img src=file:///etc/passwd>` would then style itself, spoof the
interface and read a local file. So:

- labels are made with plain_label() (or plain() on an existing one): PlainText, whatever
  they are given; the few labels that format on purpose say RichText and escape what they insert;
- tooltips go through tooltip(), which makes them rich on purpose with the text escaped;
- text views that render HTML use LocalFreeBrowser, which never reads a file from the disk;
- tray messages go through tray_text().

Direction marks: a customer's U+202E (right-to-left override) would reverse the rest of a line
that follows their text ("… · opened 09:00"). isolate() keeps it inside the customer's part.
"""

from __future__ import annotations

import html
import sys

from PySide6.QtCore import QByteArray, Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QLabel, QTextBrowser, QWidget

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that shows exactly the characters it is given."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain(*labels: QLabel) -> None:
    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)


def rich_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label whose text is markup on purpose: whatever it inserts must go through
    html.escape (see escape())."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def escape(text: str) -> str:
    """Text for insertion into markup Desk writes itself."""
    return html.escape(text, quote=True)


def tooltip(text: str) -> str:
    """A tooltip that shows the text as it is (tooltips are always rich-text-detected)."""
    if "<" not in text and "&" not in text:
        return text  # nothing Qt could take for markup
    # <qt> makes Qt treat it as markup on purpose; the escaped text then shows literally.
    return "<qt>" + html.escape(text, quote=False).replace("\n", "<br>") + "</qt>"


def isolate(text: str) -> str:
    """Keep direction marks in a customer's text from reordering what follows it."""
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}" if text else text


def tray_text(text: str) -> str:
    """Body text for a desktop notification. Linux notification servers read the body as
    markup (<b>, <a>, <img>); elsewhere it is plain."""
    return html.escape(text, quote=False) if sys.platform.startswith("linux") else text


def refused_resource(kind: int) -> object:
    """An empty stand-in for a resource a text view will not load. Never None: for a
    resource the view does not supply, QTextDocument falls back to reading file: URLs from
    the disk itself, so <img src="file:///etc/passwd"> would be read and drawn."""
    if kind == QTextDocument.ResourceType.ImageResource.value:
        blank = QImage(1, 1, QImage.Format.Format_ARGB32)
        blank.fill(0)
        return blank
    if kind == QTextDocument.ResourceType.StyleSheetResource.value:
        return ""
    return QByteArray()


class LocalFreeBrowser(QTextBrowser):
    """A QTextBrowser that loads nothing but what its document embeds (data: URLs)."""

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        name = QUrl(name) if isinstance(name, str) else name
        if name.scheme() == "data":
            return super().loadResource(kind, name)
        return refused_resource(kind)
