"""Tickets on the clipboard of a drag: the inbox puts their ids in, the navigation pane reads them.

A type of our own, so that a drag from another program (or text dragged out of a message) is
never mistaken for tickets, and so nothing but ids travels: the drop looks everything else up.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData

TICKETS_MIME = "application/x-desk-ticket-ids"


def tickets_mime(ticket_ids: list[int]) -> QMimeData:
    data = QMimeData()
    data.setData(TICKETS_MIME, QByteArray(",".join(map(str, ticket_ids)).encode("ascii")))
    # Dropped into a text field, a drag of tickets reads as their numbers.
    data.setText(" ".join(f"#{ticket_id}" for ticket_id in ticket_ids))
    return data


def ticket_ids_of(data: QMimeData | None) -> list[int]:
    """The ids a drag carries; [] for anything that is not a drag of tickets."""
    if data is None or not data.hasFormat(TICKETS_MIME):
        return []
    raw = bytes(data.data(TICKETS_MIME).data()).decode("ascii", "replace")
    ids = []
    for part in raw.split(","):
        if part.strip().isdigit():
            ids.append(int(part))
    return ids
