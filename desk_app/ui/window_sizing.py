"""Window sizes: explicit minimums, and where the main window opens the first time.

Without an explicit minimum, every time a window's content asks for a different minimum (a
label gets longer, a row appears) QLayout pushes it to the platform window. Some platforms
cannot take it (the offscreen plugin used for screenshots and tests warns "This plugin does not
support propagateSizeHints()" each time), and a window that shrinks and grows under the agent's
pointer is no better. Pinning the minimum once, when the window is built, avoids both.

Qt's own first size for a top-level window is two thirds of the screen (1066x666 on a 1600x1000
screen), which leaves the conversation two or three lines. A workstation used all day should
use the screen: most of it on a large one, all of it on a laptop.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget

# Screens this wide or narrower (1366x768 laptops and smaller) open the window maximised:
# anything less wastes room the inbox and the conversation both need.
MAXIMISE_UP_TO_WIDTH = 1366
SCREEN_SHARE = 0.9  # of the available width and height, on larger screens
# On a very large screen a window of 90% is mostly empty columns and a long way for the eyes:
# beyond this the window stays at a size that reads well, centred.
LARGEST_DEFAULT = QSize(1920, 1200)


def pin_minimum_size(window: QWidget, width: int = 0, height: int = 0) -> None:
    """At least what the content needs now, and at least width x height."""
    hint = window.minimumSizeHint()
    window.setMinimumSize(max(width, hint.width()), max(height, hint.height()))


@dataclass(frozen=True)
class Placement:
    """Where a window opens: its normal geometry, and whether it opens maximised."""

    geometry: QRect
    maximised: bool


def default_placement(available: QRect, minimum: QSize = QSize(0, 0)) -> Placement:  # noqa: B008
    """The first placement on a screen whose available area (without panels and docks) is
    `available`: maximised on small screens, otherwise SCREEN_SHARE of it up to
    LARGEST_DEFAULT, centred; never smaller than `minimum` unless the screen is."""
    if available.width() <= MAXIMISE_UP_TO_WIDTH:
        return Placement(QRect(available), maximised=True)
    width = min(round(available.width() * SCREEN_SHARE), LARGEST_DEFAULT.width())
    height = min(round(available.height() * SCREEN_SHARE), LARGEST_DEFAULT.height())
    width = min(max(width, minimum.width()), available.width())
    height = min(max(height, minimum.height()), available.height())
    geometry = QRect(0, 0, width, height)
    geometry.moveCenter(available.center())
    return Placement(geometry, maximised=False)


def fitted_size(wanted: QSize, available: QRect) -> QSize:
    """`wanted`, made to fit on the screen (for dialogs that open at a size of their own)."""
    return QSize(
        min(wanted.width(), round(available.width() * SCREEN_SHARE)),
        min(wanted.height(), round(available.height() * SCREEN_SHARE)),
    )
