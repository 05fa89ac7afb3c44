"""The `desk` command's entry point: start-up with Python's cyclic garbage collector paused.

Starting the window imports about a thousand modules and builds some 150,000 objects (classes,
functions, SQLAlchemy mappings, Qt types) that live as long as the process and form almost no
garbage cycles. With the collector running, its passes over that growing heap cost about a tenth
of the start-up's CPU time. So it is paused until the window is built (or a CLI verb is about to
run), and then the start-up's objects are set aside for good (gc.freeze), which also keeps later
full collections, during view switches and scrolling, from walking them again.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desk_app.app import GuiSession

_paused_here = False


def main(argv: Sequence[str] | None = None, *, gui_session: GuiSession | None = None) -> int:
    """`gui_session` replaces the GUI's event loop (the UI benchmark measures in it)."""
    global _paused_here
    if gc.isenabled():
        gc.disable()
        _paused_here = True
    try:
        from desk_app.cli import main as desk_main

        return desk_main(argv, gui_session=gui_session)
    finally:
        started()


def started() -> None:
    """Start-up is over: resume collecting, leaving what start-up built out of it. Does nothing
    unless main() paused the collector (tests and scripts calling desk_app.cli keep theirs)."""
    global _paused_here
    if _paused_here:
        _paused_here = False
        gc.freeze()
        gc.enable()
