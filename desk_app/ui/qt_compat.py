"""Work around a reference-count bug in PySide6 6.12 on CPython 3.11.

PySide6 6.12 wheels return None and pass True/False through signals without taking a
reference, which is only safe where those objects are immortal (CPython 3.12+). On 3.11 every
void Qt call takes one reference from None, so a long session (or a test run) eventually frees
None itself and the interpreter aborts with "none_dealloc"/"bool_dealloc". Giving the three
singletons an enormous reference count is what 3.12's immortal objects do; drop this module
once the project requires Python 3.12 or a fixed PySide6.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

_HEADROOM = 1 << 40


def make_singletons_immortal() -> bool:
    version = tuple(int(part) for part in PySide6.__version__.split(".")[:2])
    if sys.version_info >= (3, 12) or version < (6, 12):
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object header.
        count = ctypes.c_ssize_t.from_address(id(singleton))
        if count.value < _HEADROOM:
            count.value += _HEADROOM
    return True


make_singletons_immortal()
