"""Remote images in message HTML, fetched only when the agent asks for them.

Mail is stored sanitised but keeps its http/https <img> references; loading them on sight would
tell the sender (or a tracker) when an agent read the message. The conversation shows them only
after a click, and then they come through here, off the GUI thread, with hard limits, so a
hostile message cannot stall, flood or crash the workstation.
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QUrl
from PySide6.QtGui import QImage, QImageReader

TIMEOUT_S = 10.0
MAX_BYTES = 5 * 1024 * 1024
MAX_IMAGES = 20
# Decoded size guard: a few kilobytes of PNG can describe a 50,000 x 50,000 pixel image.
MAX_PIXELS = 40_000_000
# Wider images are scaled down so a message card never needs a horizontal scroll bar.
MAX_WIDTH = 720
SCHEMES = ("http", "https")
CHUNK = 64 * 1024


class RemoteImageError(Exception):
    """One image could not be used; the message says why, for the log and the tooltip."""


class _ImageSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.extend(value for name, value in attrs if name == "src" and value)
        else:
            # Table cells and bodies can carry a background image too.
            self.sources.extend(value for name, value in attrs if name == "background" and value)


def resource_key(url: str | QUrl) -> str:
    """The one spelling used both for what we fetched and for what the document asks for."""
    return (url if isinstance(url, QUrl) else QUrl(url)).toString(
        QUrl.ComponentFormattingOption.FullyEncoded
    )


def remote_image_urls(html_text: str, limit: int = MAX_IMAGES) -> list[str]:
    """The distinct http/https images a message references, in order, at most `limit`."""
    parser = _ImageSources()
    parser.feed(html_text)
    parser.close()
    found: dict[str, None] = {}
    for source in parser.sources:
        source = source.strip()
        if urlsplit(source).scheme.lower() in SCHEMES:
            found.setdefault(source)
    return list(found)[:limit]


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in SCHEMES:
            raise RemoteImageError(f"redirect to a non-web address: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


def _opener() -> urllib.request.OpenerDirector:
    # Built by hand so no file:, ftp: or data: handler is ever reachable, even by redirect.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _HttpOnlyRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def fetch_bytes(url: str, *, timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES) -> bytes:
    """The body of an image response; raises RemoteImageError for anything off limits.
    `timeout` bounds the whole download, not only each socket read, so a server that drips
    one byte at a time is cut off too."""
    if urlsplit(url).scheme.lower() not in SCHEMES:
        raise RemoteImageError(f"not a web address: {url}")
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Accept": "image/*", "User-Agent": "Desk"})
    try:
        with _opener().open(request, timeout=timeout) as response:
            content_type = response.headers.get_content_type()
            if not content_type.startswith("image/"):
                raise RemoteImageError(f"not an image ({content_type})")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise RemoteImageError(f"larger than {max_bytes // (1024 * 1024)} MB")
            data = bytearray()
            while chunk := response.read(CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise RemoteImageError(f"larger than {max_bytes // (1024 * 1024)} MB")
                if time.monotonic() > deadline:
                    raise RemoteImageError(f"took longer than {timeout:.0f} s")
            return bytes(data)
    except RemoteImageError:
        raise
    except (OSError, ValueError) as error:  # URLError, HTTPError, timeouts, bad URLs
        raise RemoteImageError(str(error)) from error


def decode_image(data: bytes, max_width: int = MAX_WIDTH) -> QImage:
    """QImage is safe to build off the GUI thread (unlike QPixmap)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    size = reader.size()
    if size.isValid() and size.width() * size.height() > MAX_PIXELS:
        raise RemoteImageError(f"{size.width()}x{size.height()} pixels is too large")
    image = reader.read()
    if image.isNull():
        raise RemoteImageError(reader.errorString() or "not a readable image")
    if image.width() > max_width:
        image = image.scaledToWidth(max_width, mode=Qt.TransformationMode.SmoothTransformation)
    return image


@dataclass
class FetchedImages:
    images: dict[str, QImage] = field(default_factory=dict)  # resource_key -> image
    errors: dict[str, str] = field(default_factory=dict)  # url -> why it was not shown


def fetch_images(urls: list[str]) -> FetchedImages:
    """Fetch and decode each image; one bad image does not stop the others."""
    result = FetchedImages()
    for url in urls[:MAX_IMAGES]:
        try:
            result.images[resource_key(url)] = decode_image(fetch_bytes(url))
        except RemoteImageError as error:
            result.errors[url] = str(error)
    return result
