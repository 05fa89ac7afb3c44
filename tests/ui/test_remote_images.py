from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument

from desk_app.store import Service
from desk_app.ui.remote_images import (
    MAX_IMAGES,
    RemoteImageError,
    fetch_bytes,
    remote_image_urls,
    resource_key,
)
from tests.ui.conftest import settle


def _png(width: int, height: int) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#3366cc"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


@dataclass
class ImageServer:
    base: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def image_server(qapp) -> Iterator[ImageServer]:
    png = _png(40, 30)
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path.startswith("/pic"):
                body, kind = png, "image/png"
            elif self.path == "/big.png":
                body, kind = b"\0" * 4096, "image/png"
            elif self.path == "/redirect-to-file":
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()
                return
            else:
                body, kind = b"<html>tracking</html>", "text/html"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ImageServer(f"http://127.0.0.1:{server.server_address[1]}", requests)
    server.shutdown()
    server.server_close()


def test_remote_images_load_only_after_the_click(qtbot, db, clock, ctx, image_server, open_window):
    url = f"{image_server.base}/pic.png?id=7&amp;x=1"
    ticket = (
        Service(db, None, clock)
        .create_ticket(
            subject="Broken parcel",
            customer_email="photo@example.com",
            body="See the photo",
            body_html=f'<p>See the photo</p><img src="{url}" alt="parcel">',
        )
        .ticket_id
    )
    window = open_window(ctx, view="all_open", ticket=ticket)
    conversation = window.ticket_pane.conversation
    qtbot.waitUntil(lambda: conversation.detail is not None, timeout=3000)
    conversation.resize(800, 600)
    qtbot.wait(200)  # layout and paint: the document asks for its resources now
    conversation.viewport().grab()
    assert image_server.requests == []
    assert "Load images" in conversation.toPlainText()

    # Click the link where it is drawn, as an agent would.
    cursor = conversation.document().find("Load images")
    assert not cursor.isNull()
    conversation.setTextCursor(cursor)
    conversation.ensureCursorVisible()
    cursor.setPosition(cursor.selectionStart() + 2)
    point = conversation.cursorRect(cursor).center()
    with qtbot.waitSignal(conversation.images_loaded, timeout=10_000):
        qtbot.mouseClick(conversation.viewport(), Qt.MouseButton.LeftButton, pos=point)
    settle(qtbot, window)

    assert image_server.requests == ["/pic.png?id=7&x=1"]
    key = resource_key(url.replace("&amp;", "&"))
    image = conversation.remote_images()[key]
    assert (image.width(), image.height()) == (40, 30)
    resource = conversation.document().resource(QTextDocument.ResourceType.ImageResource, QUrl(key))
    assert isinstance(resource, QImage) and resource.width() == 40
    assert "Load images" not in conversation.toPlainText()
    # Re-rendering (here: a reload of the ticket) uses what was fetched, with no new request.
    window.ticket_pane.reload()
    settle(qtbot, window)
    conversation.viewport().grab()
    assert image_server.requests == ["/pic.png?id=7&x=1"]
    assert "Load images" not in conversation.toPlainText()


def test_fetch_refuses_what_is_not_a_small_web_image(image_server):
    assert fetch_bytes(f"{image_server.base}/pic.png")[:4] == b"\x89PNG"
    with pytest.raises(RemoteImageError, match="not an image"):
        fetch_bytes(f"{image_server.base}/page.html")
    with pytest.raises(RemoteImageError, match="larger than"):
        fetch_bytes(f"{image_server.base}/big.png", max_bytes=1024)
    with pytest.raises(RemoteImageError, match=r"(?i)redirect"):
        fetch_bytes(f"{image_server.base}/redirect-to-file")
    with pytest.raises(RemoteImageError, match="not a web address"):
        fetch_bytes("file:///etc/passwd")


def test_only_web_images_are_listed_once_each_and_capped():
    many = "".join(f'<img src="https://img.example/{n}.png">' for n in range(MAX_IMAGES + 5))
    html = (
        '<img src="http://a.example/x.png"><img src="http://a.example/x.png">'
        '<img src="data:image/png;base64,AAAA"><img src="file:///etc/passwd">'
        '<img src="cid:part1"><td background="https://b.example/bg.gif"></td>' + many
    )
    urls = remote_image_urls(html)
    assert urls[:2] == ["http://a.example/x.png", "https://b.example/bg.gif"]
    assert len(urls) == MAX_IMAGES
    assert all(u.startswith(("http://", "https://")) for u in urls)
    assert remote_image_urls("<p>No pictures</p>") == []


def test_png_helper_makes_a_png(qapp):
    assert QImage.fromData(QByteArray(_png(3, 2))).size().width() == 3
