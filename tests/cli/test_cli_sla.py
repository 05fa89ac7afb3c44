"""`desk sla` and `desk report sla` end to end."""

from __future__ import annotations

import json

import yaml

from desk_app.cli import main
from desk_app.demo.sla_rules import DEMO_SLA


def run(capsys, *argv: str):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if "--json" in argv and out.out.strip() else None), out.err


def test_import_show_export_and_report(capsys, tmp_path, sqlite_database_url):
    url = ["--database-url", sqlite_database_url, "--json"]
    rules = tmp_path / "sla.yaml"
    rules.write_text(yaml.safe_dump(DEMO_SLA, allow_unicode=True), encoding="utf-8")
    code, imported, _ = run(capsys, "sla", "import", str(rules), *url)
    assert code == 0 and imported["policies"] == 4
    code, created, _ = run(
        capsys,
        "tickets",
        "create",
        "--subject",
        "Help",
        "--customer-email",
        "h@example.com",
        "--priority",
        "urgent",
        *url,
    )
    code, shown, _ = run(capsys, "sla", "show", str(created["ticket_id"]), *url)
    assert code == 0 and shown["policy"] == "Urgent"
    first = next(t for t in shown["targets"] if t["kind"] == "first_response")
    assert first["state"] == "running" and first["target"]["minutes"] == 60
    exported = tmp_path / "out.json"
    assert run(capsys, "sla", "export", str(exported), *url)[0] == 0
    assert [p["name"] for p in json.loads(exported.read_text())["policies"]] == [
        "Urgent",
        "Technical",
        "High",
        "Standard",
    ]
    code, report, _ = run(capsys, "report", "sla", "--since", "2020-01-01", *url)
    assert code == 0 and set(report) >= {"department", "agent", "since", "until"}


def test_invalid_rules_exit_2_and_change_nothing(capsys, tmp_path, sqlite_database_url):
    url = ["--database-url", sqlite_database_url, "--json"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("policies:\n  - name: X\n    calendar: Missing\n    targets: []\n")
    code, error, stderr = run(capsys, "sla", "import", str(bad), *url)
    assert code == 2 and "not valid" in stderr and error["error"] == "invalid"
    missing = run(capsys, "sla", "show", "99", *url)
    assert missing[0] == 4
