"""`desk --demo VERB`: the verb works on the demo database the window shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk_app.cli import main
from desk_app.config import paths
from desk_app.demo.generate import demo_agents


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_with_a_verb_reads_the_demo_database(
    capsys: pytest.CaptureFixture[str], desk_home: Path
) -> None:
    code, out, err = _run(capsys, "--demo", "agents", "list", "--json")
    assert code == 0, err
    listed = {agent["email"] for agent in json.loads(out)["agents"]}
    assert listed == {agent.email for agent in demo_agents()}
    assert paths().demo_database.is_file()
    # The normal database was neither read nor made.
    assert not paths().embedded_database.exists()


def test_demo_verbs_act_as_the_demo_agent(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--demo", "tickets", "list", "--view", "mine", "--json")
    assert code == 0, err
    first = demo_agents()[0].display_name
    rows = json.loads(out)["tickets"]
    assert rows and {row["assignee"] for row in rows} == {first}


def test_demo_and_a_database_url_together_are_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    code, _, err = _run(capsys, "--demo", "agents", "list", "--database-url", url)
    assert code == 2
    assert err.strip().splitlines() == [
        "desk: --demo uses the demo database: leave out --database-url"
    ]
    assert not (tmp_path / "other.sqlite3").exists()
