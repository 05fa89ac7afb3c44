"""The conversation: every message of a ticket as a card, oldest first.

Rendered as rich text in a QTextBrowser: selectable, searchable with the keyboard, and cheap for
long threads. Remote content is never fetched by itself: loadResource answers only for data we
embed and for images the agent chose to load ("Load images" on a message), so a tracking pixel in
a customer's mail cannot tell the sender when an agent read it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QEvent, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QPalette, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from desk_app.core.enums import DeliveryState, Direction
from desk_app.store.records import AuditRecord, MessageRecord, TicketDetail
from desk_app.ui.audit_words import TIMELINE_ACTIONS, describe
from desk_app.ui.formatting import file_size, local_time, split_quoted
from desk_app.ui.plain import isolate, refused_resource
from desk_app.ui.plurals import english_plural, fill
from desk_app.ui.remote_images import FetchedImages, fetch_images, remote_image_urls, resource_key
from desk_app.ui.styles import (
    ALERT_AMBER,
    ALERT_RED,
    DELIVERY_LABELS,
    icon,
    message_colours,
    muted_text,
)
from desk_app.ui.tasks import TaskRunner

KIND_LABELS = {
    Direction.INBOUND: "Customer",
    Direction.OUTBOUND: "Reply",
    Direction.NOTE: "Internal note",
}


# A long thread opens with its newest messages and one line for the earlier ones (as mail
# clients fold a long conversation): laying out every card of a 150-message thread, quoted
# history and HTML mail included, made opening it cost ten times a short one, for messages
# the agent scrolls past. The line says how many and shows them all when clicked.
FOLD_FROM = 16  # threads with at least this many messages are folded
SHOWN_NEWEST = 10  # the messages a folded thread shows


@dataclass(frozen=True)
class PendingMessage:
    """A reply or note the agent just sent, shown until the stored message comes back."""

    kind: str
    body: str


class ConversationView(QTextBrowser):
    attachment_clicked = Signal(int, str)  # attachment id, filename
    retry_clicked = Signal(int)  # message id of a failed reply to send again

    images_loaded = Signal(int)  # message id; its remote images are in (or failed)

    def __init__(self, network: TaskRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation")
        self._network = network
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.anchorClicked.connect(self._link_clicked)
        self._detail: TicketDetail | None = None
        self._zone: tzinfo = UTC
        self._now: datetime | None = None
        self._expanded: set[int] = set()
        self._pending: list[PendingMessage] = []
        # Remote images the agent asked for, by resource_key, and each message's state:
        # "loading", or "done" with the number of images that could not be shown.
        self._remote: dict[str, QImage] = {}
        self._image_state: dict[int, tuple[str, int]] = {}
        self._colour_cache: dict[str, str] | None = None
        # Messages the agent asked to be shown ("new while you were writing"): outlined.
        self._highlighted: set[int] = set()
        # The oldest message shown in full (older ones are folded into one line), or None when
        # nothing is folded. Fixed when a ticket opens: a message arriving later must not move
        # the fold, and with it whatever the agent is reading.
        self._shown_from: int | None = None

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        # Qt always passes a QUrl; the base class also takes a string, so this override must.
        name = QUrl(name) if isinstance(name, str) else name
        # Nothing from the network or the local disk: only what the document itself embeds,
        # Desk's own icons and remote images already fetched on the agent's request.
        if name.scheme() == "data":
            return super().loadResource(kind, name)
        if name.scheme() == "desk-icon":
            return icon(name.path(), muted_text(self.palette()), 32).pixmap(16, 16).toImage()
        if name.scheme() in ("http", "https"):
            fetched = self._remote.get(resource_key(name))
            if fetched is not None:
                return fetched
        # Never None: QTextDocument would then read file: URLs from the disk itself.
        return refused_resource(kind)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Card colours are baked into the HTML; follow a switch between light and dark.
        if event.type() == QEvent.Type.PaletteChange and self._detail is not None:
            self._render(scroll_to_end=False)

    def show_ticket(self, detail: TicketDetail, zone: tzinfo, now: datetime) -> None:
        same_ticket = self._detail is not None and self._detail.id == detail.id
        if not same_ticket:
            self._highlighted.clear()
            self._expanded.clear()
            self._remote.clear()
            self._image_state.clear()
            folded = len(detail.messages) >= FOLD_FROM
            self._shown_from = detail.messages[-SHOWN_NEWEST].id if folded else None
        self._detail, self._zone, self._now = detail, zone, now
        self._pending = []
        self._render(scroll_to_end=True)

    def add_pending(self, kind: str, body: str) -> None:
        self._pending.append(PendingMessage(kind, body))
        self._render(scroll_to_end=True)

    def highlight_messages(self, message_ids: list[int]) -> None:
        """Outline these messages and scroll to the first of them."""
        if not message_ids:
            return
        self._highlighted = set(message_ids)
        if self._shown_from is not None and min(message_ids) < self._shown_from:
            self._shown_from = None  # the agent is to see them: unfold
        self._render(scroll_to_end=False)
        anchor = f"message-{min(message_ids)}"
        # After _render's own scroll, once the document is laid out.
        QTimer.singleShot(0, self, lambda: self.scrollToAnchor(anchor))

    @property
    def highlighted_messages(self) -> set[int]:
        return set(self._highlighted)

    def drop_pending(self) -> None:
        if self._pending:
            self._pending = []
            self._render(scroll_to_end=False)

    def clear_ticket(self) -> None:
        self._detail, self._pending = None, []
        self.clear()

    @property
    def detail(self) -> TicketDetail | None:
        return self._detail

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() == "desk":
            parts = url.path().strip("/").split("/")
            if url.host() == "earlier":
                self.show_earlier()
            elif url.host() == "quote" and parts and parts[0].isdigit():
                self._expanded ^= {int(parts[0])}
                self._render(scroll_to_end=False)
            elif url.host() == "images" and parts and parts[0].isdigit():
                self.load_images(int(parts[0]))
            elif url.host() == "attachment" and parts and parts[0].isdigit():
                self.attachment_clicked.emit(int(parts[0]), "/".join(parts[1:]))
            elif url.host() == "retry" and parts and parts[0].isdigit():
                self.retry_clicked.emit(int(parts[0]))
            return
        if url.scheme() in ("http", "https", "mailto"):
            # Links open in the agent's browser, never inside Desk.
            QDesktopServices.openUrl(url)

    # --- remote images --------------------------------------------------------------------

    def load_images(self, message_id: int) -> None:
        """Fetch one message's remote images on the network runner, then show them."""
        detail = self._detail
        message = next((m for m in detail.messages if m.id == message_id), None) if detail else None
        if detail is None or message is None or not message.body_html or self._network is None:
            return
        if self._image_state.get(message_id, ("", 0))[0] == "loading":
            return
        urls = remote_image_urls(message.body_html)
        if not urls:
            return
        ticket_id = detail.id
        self._image_state[message_id] = ("loading", 0)
        self._render(scroll_to_end=False)
        self._network.run(
            lambda: fetch_images(urls),
            lambda fetched: self._images_arrived(ticket_id, message_id, len(urls), fetched),
            lambda _error: self._images_arrived(ticket_id, message_id, len(urls), None),
        )

    def _images_arrived(
        self, ticket_id: int, message_id: int, wanted: int, fetched: FetchedImages | None
    ) -> None:
        if self._detail is None or self._detail.id != ticket_id:
            return  # the agent has moved on; the images were for another ticket
        images = fetched.images if fetched is not None else {}
        self._remote.update(images)
        self._image_state[message_id] = ("done", wanted - len(images))
        self._render(scroll_to_end=False)
        self.images_loaded.emit(message_id)

    def remote_images(self) -> dict[str, QImage]:
        return dict(self._remote)

    def _images_notice(self, message_id: int, urls: list[str]) -> str:
        muted = self._colours()["muted"]
        state, failed = self._image_state.get(message_id, ("", 0))
        if state == "loading":
            text = "Loading images…"
        elif state == "done":
            if not failed:
                return ""
            words = self.tr("%1 of %n image(s) could not be loaded.", "", len(urls))
            text = fill(english_plural(words, len(urls)), str(failed))
        else:
            words = self.tr(
                "%n remote image(s) not loaded, to protect your privacy.", "", len(urls)
            )
            text = (
                f"{html.escape(english_plural(words, len(urls)))} "
                f'<a href="desk://images/{message_id}">{html.escape(self.tr("Load images"))}</a>'
            )
        return f'<p style="color:{muted}; margin-bottom:6px;">{text}</p>'

    # --- rendering --------------------------------------------------------------------------

    def _render(self, *, scroll_to_end: bool) -> None:
        detail = self._detail
        if detail is None:
            self.clear()
            return
        bar = self.verticalScrollBar()
        position = bar.value()
        self._colour_cache = None
        parts = [self._timeline_html(detail)]
        parts.extend(self._pending_html(p) for p in self._pending)
        self.setHtml("".join(parts))
        document = self.document()
        for key, image in self._remote.items():
            document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(key), image)
        # The document lays out lazily; scroll once it knows its height.
        target = None if scroll_to_end else position
        QTimer.singleShot(
            0, self, lambda: bar.setValue(bar.maximum() if target is None else target)
        )

    def show_earlier(self) -> None:
        """Unfold a long thread: every message, keeping the one the agent was reading."""
        if self._shown_from is None:
            return
        anchor = f"message-{self._shown_from}"
        self._shown_from = None
        self._render(scroll_to_end=False)
        QTimer.singleShot(0, self, lambda: self.scrollToAnchor(anchor))

    @property
    def folded_messages(self) -> int:
        """How many earlier messages the fold line stands for (0: none folded)."""
        detail, first = self._detail, self._shown_from
        if detail is None or first is None:
            return 0
        return sum(1 for m in detail.messages if m.id < first)

    def _timeline_html(self, detail: TicketDetail) -> str:
        # Field changes sit between the messages in time order, as quiet one-line notes.
        messages = detail.messages
        folded = self.folded_messages
        if folded:
            messages = [m for m in messages if m.id >= (self._shown_from or 0)]
        events: list[tuple[datetime, int, str]] = [
            (m.created_at, 1, self._message_html(m)) for m in messages
        ]
        since = messages[0].created_at if folded else None
        events.extend(
            (a.at, 0, self._audit_html(a))
            for a in detail.audit
            if a.action in TIMELINE_ACTIONS and a.field and (since is None or a.at >= since)
        )
        events.sort(key=lambda item: (item[0], item[1]))
        if not detail.messages:
            events.append((detail.created_at, 2, self._muted_line("No messages yet.")))
        html_text = "".join(html_text for _at, _order, html_text in events)
        return self._fold_html(folded) + html_text if folded else html_text

    def _fold_html(self, folded: int) -> str:
        text = self.tr("%n earlier message(s)", "", folded)
        show = self.tr("Show them")
        return self._muted_line(
            f'{english_plural(text, folded)} · <a href="desk://earlier">{html.escape(show)}</a>',
            markup=True,
        )

    def _colours(self) -> dict[str, str]:
        # Asked for by every card; worked out once per render.
        if self._colour_cache is None:
            self._colour_cache = self._palette_colours()
        return self._colour_cache

    def _palette_colours(self) -> dict[str, str]:
        palette = self.palette()
        colours = {k: v.name() for k, v in message_colours(palette).items()}
        colours["muted"] = muted_text(palette).name()
        colours["link"] = palette.color(QPalette.ColorRole.Link).name()
        return colours

    def _muted_line(self, text: str, *, markup: bool = False) -> str:
        """A quiet centred line; `text` is escaped unless it is markup of our own."""
        muted = self._colours()["muted"]
        return (
            f'<p align="center" style="color:{muted}; font-size:small; margin:6px 0;">'
            f"{text if markup else html.escape(text)}</p>"
        )

    def _audit_html(self, event: AuditRecord) -> str:
        when = local_time(event.at, self._zone, self._now)
        return self._muted_line(f"{describe(event)} · {when}")

    def _card(
        self,
        kind: str,
        header_left: str,
        header_right: str,
        body: str,
        *,
        anchor: str = "",
        highlighted: bool = False,
    ) -> str:
        # One single-cell table per card. A nested table for a right-aligned time cost
        # QTextDocument twice the layout work, and more cells mean inner borders; a
        # 20-message ticket must open in well under 100 ms.
        colours = self._colours()
        background = colours.get(kind, colours["inbound"])
        border = colours["note_border"] if kind == Direction.NOTE else colours["border"]
        width = 1
        if highlighted:
            border, width = colours["link"], 2
        name = f'<a name="{anchor}"></a>' if anchor else ""
        return (
            f'<table width="100%" cellspacing="0" cellpadding="10" '
            f'style="margin-bottom:10px; border:{width}px solid {border}; '
            f'border-collapse:collapse;" bgcolor="{background}"><tr><td>'
            f"{name}{header_left}"
            f'<span style="color:{colours["muted"]};">&nbsp;&nbsp;·&nbsp;&nbsp;'
            f"{header_right}</span>"
            f'<div style="margin-top:6px;">{body}</div>'
            f"</td></tr></table>"
        )

    def _message_html(self, message: MessageRecord) -> str:
        colours = self._colours()
        when = local_time(message.created_at, self._zone, self._now)
        label = KIND_LABELS.get(Direction(message.direction), message.direction)
        left = (
            f"<b>{html.escape(isolate(message.author or 'Unknown sender'))}</b>"
            f'&nbsp;&nbsp;<span style="color:{colours["muted"]};">{label}</span>'
        )
        right = html.escape(when)
        if message.direction == Direction.OUTBOUND and message.delivery_state:
            right = f"{self._delivery_html(message)} · {right}"
        body = self._body_html(message)
        if message.warnings:
            # Parser warnings (e.g. an unreadable sender's From header): mail text, escaped.
            warned = "<br>".join("⚠ " + html.escape(line) for line in message.warnings)
            body = f'<p style="color:{ALERT_AMBER};">{warned}</p>{body}'
        if message.attachments:
            links = "<br>".join(
                f'<img src="desk-icon:attachment" width="16" height="16"> <a href="desk://attachment/{a.id}/{html.escape(a.filename)}">'
                f"{html.escape(isolate(a.filename))}</a>"
                f' <span style="color:{colours["muted"]};">{file_size(a.size)}</span>'
                for a in message.attachments
            )
            body += f'<p style="margin-top:8px;">{links}</p>'
        return self._card(
            message.direction,
            left,
            right,
            body,
            anchor=f"message-{message.id}",
            highlighted=message.id in self._highlighted,
        )

    def _delivery_html(self, message: MessageRecord) -> str:
        state = message.delivery_state or ""
        label = DELIVERY_LABELS.get(state, state)
        if state == DeliveryState.FAILED:
            reason = html.escape(message.delivery_error or "no reason given")
            retry = html.escape(self.tr("Retry"))
            return (
                f'<span style="color:{ALERT_RED};">{label}: {reason}</span>'
                f' <a href="desk://retry/{message.id}">{retry}</a>'
            )
        return html.escape(label)

    def _body_html(self, message: MessageRecord) -> str:
        if message.body_html:
            # Sanitised on the way in (mail ingest); remote images stay unloaded until asked.
            urls = remote_image_urls(message.body_html)
            notice = self._images_notice(message.id, urls) if urls else ""
            return notice + message.body_html
        new_text, quoted = split_quoted(message.body_text)
        body = _plain_to_html(new_text)
        if not quoted:
            return body
        colours = self._colours()
        lines = len(quoted.splitlines())
        if message.id in self._expanded:
            return (
                f"{body}"
                f'<p><a href="desk://quote/{message.id}">Hide quoted text</a></p>'
                f'<div style="color:{colours["muted"]};">{_plain_to_html(quoted)}</div>'
            )
        return (
            f'{body}<p><a href="desk://quote/{message.id}">'
            f"··· Show quoted text ({lines} lines)</a></p>"
        )

    def _pending_html(self, pending: PendingMessage) -> str:
        colours = self._colours()
        kind = Direction.NOTE if pending.kind == "note" else Direction.OUTBOUND
        left = (
            f'<b>You</b>&nbsp;&nbsp;<span style="color:{colours["muted"]};">'
            f"{KIND_LABELS[kind]}</span>"
        )
        return self._card(kind, left, "Saving…", _plain_to_html(pending.body))


def _plain_to_html(text: str) -> str:
    escaped = html.escape(text.strip("\n"))
    return escaped.replace("\n", "<br>")
