"""The `desk` entry point pauses the garbage collector for start-up only."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def test_collection_is_paused_for_start_up_and_resumed_for_the_work(sqlite_database_url):
    script = textwrap.dedent(
        f"""
        import gc, json
        import desk_app.cli
        from desk_app import launch

        seen = {{}}
        real_main = desk_app.cli.main

        def spy(argv, gui_session=None):
            seen["during_start_up"] = gc.isenabled()
            return real_main(argv, gui_session=gui_session)

        desk_app.cli.main = spy
        code = launch.main(["stats", "--json", "--database-url", {sqlite_database_url!r}])
        print(json.dumps({{
            "code": code,
            "during_start_up": seen["during_start_up"],
            "after": gc.isenabled(),
            "frozen": gc.get_freeze_count(),
        }}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    assert result["during_start_up"] is False  # imports ran without the collector
    assert result["after"] is True  # and it is back for everything after
    assert result["frozen"] > 10_000  # start-up's objects were set aside, not collected


def test_a_process_that_collects_already_is_left_alone():
    import gc

    from desk_app import launch

    frozen = gc.get_freeze_count()
    launch.started()  # nothing paused the collector here: nothing to resume, nothing frozen
    assert gc.isenabled() and gc.get_freeze_count() == frozen
