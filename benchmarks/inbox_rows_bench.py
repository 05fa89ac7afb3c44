"""Live inserts into a long inbox list: the model's own work, without a database.

    python benchmarks/inbox_rows_bench.py [--rows 60000] [--inserts 500]

Fills an InboxModel with --rows rows the way scrolling to the end does (pages of 100), then
applies --inserts live changes one at a time, each a ticket joining before a random loaded row
(what refresh_tickets hands the model after the worker placed it), followed by a removal every
tenth time, and after each change looks one ticket up by id, as the window does when a page
or a change lands. Times only the model (no view attached); the database side of placing a
ticket is measured by ui_bench.

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--inserts", type=int, default=500)
    args = parser.parse_args()

    from _common import percentiles
    from PySide6.QtCore import QCoreApplication

    from desk_app.store.records import TicketRow
    from desk_app.ui.inbox_model import PAGE_SIZE, InboxModel, ViewChanges

    app = QCoreApplication.instance() or QCoreApplication([])
    now = datetime.now(UTC)

    def row(ticket_id: int) -> TicketRow:
        return TicketRow(
            ticket_id, f"Ticket {ticket_id}", "preview", "open", "normal", "email", None,
            None, "Customer", None, now, now, None, 1, 1,
        )  # fmt: skip

    class Ctx:  # the model only reads the clock outside of loading
        def now(self) -> datetime:
            return now

    model: Any = InboxModel(Ctx())  # type: ignore[arg-type]
    # As if a view were open and scrolled to its end: pages arrive through the usual path.
    model._loader, model._paged, model._exhausted = (lambda _page: []), True, False
    started = time.perf_counter()
    for first in range(1, args.rows + 1, PAGE_SIZE):
        model._loading = True
        model._page_arrived(model._generation, [row(i) for i in range(first, first + PAGE_SIZE)])
    fill_ms = (time.perf_counter() - started) * 1000
    print(f"inbox_rows_bench: {model.rowCount()} rows in {fill_ms:.0f} ms", file=sys.stderr)

    rng = random.Random(6)
    next_id = args.rows + PAGE_SIZE + 1
    change_samples: list[float] = []
    for n in range(args.inserts):
        anchor = model.ticket_id(rng.randrange(model.rowCount()))
        joined = next_id
        next_id += 1
        left = {model.ticket_id(rng.randrange(model.rowCount()))} if n % 10 == 9 else set()
        t0 = time.perf_counter()
        model._apply(model._generation, ViewChanges([row(joined)], left, [(joined, anchor)]))
        model.row_of(model.ticket_id(rng.randrange(model.rowCount())))
        change_samples.append((time.perf_counter() - t0) * 1000)
    del app
    figures = percentiles(change_samples)
    result = {
        "benchmark": "inbox_rows",
        "rows": model.rowCount(),
        "live_changes": args.inserts,
        "live_change_ms": figures,
        "live_changes_total_ms": round(sum(change_samples), 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
