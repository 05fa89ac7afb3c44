"""`desk oncall` end to end: a rotation, an override, who is on call, and the calendar."""

from __future__ import annotations

import json

from desk_app.cli import main


def run(capsys, *argv: str):
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse refusing the command line
        code = exit_.code
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def test_rotation_override_now_and_calendar(capsys, sqlite_database_url):
    url = ["--database-url", sqlite_database_url, "--json"]
    assert run(capsys, "departments", "add", "Support", *url)[0] == 0
    for email, name in (("anna@desk.test", "Anna"), ("kenji@desk.test", "Kenji")):
        assert (
            run(capsys, "agents", "add", email, "--name", name, "--department", "Support", *url)[0]
            == 0
        )
    code, saved, _ = run(
        capsys,
        "oncall", "set", "Nights",
        "--agents", "anna@desk.test,kenji@desk.test",
        "--handoff", "09:00", "--length", "weekly",
        "--time-zone", "Asia/Tokyo", "--starts-on", "2026-11-09",
        "--department", "Support",
        "--as", "anna@desk.test", *url,
    )  # fmt: skip
    assert code == 0 and saved["rotation"]["agent_ids"] == [1, 2]

    code, now, _ = run(capsys, "oncall", "now", "--department", "Support", *url)
    assert code == 0
    assert [entry["rotation"] for entry in now["on_call"]] == ["Nights"]

    code, _, _ = run(
        capsys,
        "oncall", "override", "Nights",
        "--agent", "kenji@desk.test",
        "--from", "2026-11-25T18:00:00+09:00", "--to", "2026-11-26T08:00:00+09:00",
        "--reason", "Anna at the dentist",
        "--as", "anna@desk.test", *url,
    )  # fmt: skip
    assert code == 0
    code, calendar, _ = run(
        capsys, "oncall", "calendar", "Nights", "--from", "2026-11-23T09:00:00+09:00",
        "--weeks", "1", *url,
    )  # fmt: skip
    assert code == 0
    assert [(s["agent"], s["override"]) for s in calendar["shifts"]] == [
        ("Anna", False),
        ("Kenji", True),
        ("Anna", False),
    ]
    assert calendar["shifts"][1]["reason"] == "Anna at the dentist"


def test_bad_input_exits_with_clear_codes(capsys, sqlite_database_url):
    url = ["--database-url", sqlite_database_url, "--json"]
    code, error, _ = run(capsys, "oncall", "now", "--department", "Nowhere", *url)
    assert code == 4 and "Nowhere" in error["message"]
    run(capsys, "agents", "add", "anna@desk.test", "--name", "Anna", *url)
    code, error, _ = run(
        capsys,
        "oncall", "set", "X", "--agents", "anna@desk.test", "--length", "hourly",
        "--starts-on", "2026-11-02", "--as", "anna@desk.test", *url,
    )  # fmt: skip
    assert code == 2  # argparse refuses the choice
    code, error, _ = run(
        capsys,
        "oncall", "set", "X", "--agents", "anna@desk.test", "--time-zone", "Mars/Base",
        "--starts-on", "2026-11-02", "--as", "anna@desk.test", *url,
    )  # fmt: skip
    assert code == 2 and "unknown time zone" in error["message"]
