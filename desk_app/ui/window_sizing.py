"""Explicit minimum sizes for top-level windows.

Without one, every time a window's content asks for a different minimum (a label gets longer, a
row appears) QLayout pushes it to the platform window. Some platforms cannot take it (the
offscreen plugin used for screenshots and tests warns "This plugin does not support
propagateSizeHints()" each time), and a window that shrinks and grows under the agent's pointer
is no better. Pinning the minimum once, when the window is built, avoids both.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def pin_minimum_size(window: QWidget, width: int = 0, height: int = 0) -> None:
    """At least what the content needs now, and at least width x height."""
    hint = window.minimumSizeHint()
    window.setMinimumSize(max(width, hint.width()), max(height, hint.height()))
