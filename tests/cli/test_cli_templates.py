"""`desk templates` end to end: list, export/import round trip, render, and the exit codes."""

from __future__ import annotations

import json

import pytest
import yaml

from desk_app.cli import main
from desk_app.demo.templates import DEMO_TEMPLATES


def run(capsys, *argv: str):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if "--json" in argv and out.out.strip() else None), out.err


def _setup(capsys, url: list[str]) -> int:
    assert run(capsys, "departments", "add", "Support", *url)[0] == 0
    assert run(capsys, "agents", "add", "lena@desk.test", "--name", "Lena Lead", "--role", "lead",
               "--department", "Support", *url)[0] == 0  # fmt: skip
    assert run(capsys, "agents", "add", "anna@desk.test", "--name", "Anna", *url)[0] == 0
    code, created, _ = run(
        capsys,
        "tickets",
        "create",
        "--subject",
        "Where is my order?\nBcc: someone@evil.example",
        "--customer-email",
        "maria@example.com",
        "--customer-name",
        "Maria Lopez",
        *url,
    )
    assert code == 0
    return int(created["ticket_id"])


def test_import_list_render_export_round_trip(capsys, tmp_path, sqlite_database_url):
    url = ["--database-url", sqlite_database_url, "--json"]
    ticket = _setup(capsys, url)
    library = tmp_path / "library.yaml"
    library.write_text(
        yaml.safe_dump({"templates": DEMO_TEMPLATES}, allow_unicode=True), encoding="utf-8"
    )
    code, imported, _ = run(capsys, "templates", "import", str(library), *url)
    assert (code, imported["created"], imported["updated"]) == (0, 21, 0)
    code, again, _ = run(capsys, "templates", "import", str(library), *url)
    assert (code, again["created"], again["unchanged"]) == (0, 0, 21)

    code, listed, _ = run(capsys, "templates", "list", "--language", "ja", *url)
    assert code == 0 and len(listed["templates"]) == 7
    assert {t["shortcut"] for t in listed["templates"]} >= {"/refund-ja", "/ack-ja"}

    code, rendered, _ = run(
        capsys, "templates", "render", "/refund", "--ticket", str(ticket), "--input",
        "amount=$20", "--as", "lena@desk.test", *url,
    )  # fmt: skip
    assert code == 0
    assert rendered["text"].startswith("Hello Maria,")
    assert "$20" in rendered["text"]
    assert rendered["unresolved"] == ["input.order_number"]
    assert rendered["inputs"] == ["amount", "order_number"]
    assert rendered["text"].endswith("Best regards,\nLena Lead")

    code, ack, _ = run(capsys, "templates", "render", "Acknowledgement", "--ticket", str(ticket),
                       *url)  # fmt: skip
    # The subject placeholder cannot carry a header line through.
    assert code == 0 and "\n" not in ack["subject"]
    assert ack["subject"] == f"[#{ticket}] Where is my order? Bcc: someone@evil.example"

    exported = tmp_path / "out.json"
    code, summary, _ = run(capsys, "templates", "export", str(exported), *url)
    assert (code, summary["templates"]) == (0, 21)
    document = json.loads(exported.read_text(encoding="utf-8"))
    by_shortcut = {t["shortcut"]: t for t in document["templates"]}
    for original in DEMO_TEMPLATES:
        copy = by_shortcut[original["shortcut"]]
        assert {k: copy.get(k) for k in original} == original


def test_exit_codes_and_clear_messages(capsys, tmp_path, sqlite_database_url):
    url = ["--database-url", sqlite_database_url, "--json"]
    ticket = _setup(capsys, url)
    code, error, err = run(capsys, "templates", "render", "nothing", "--ticket", str(ticket), *url)
    assert code == 4 and error["error"] == "not_found" and "no template called" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump({"templates": [{"title": "Oops", "body": "Hi {{ customer.name }"}]}),
        encoding="utf-8",
    )
    code, error, err = run(capsys, "templates", "import", str(bad), *url)
    assert code == 2 and "line 1, column 4" in err and "Traceback" not in err
    shared = tmp_path / "shared.yaml"
    shared.write_text(yaml.safe_dump({"templates": [{"title": "T", "body": "b"}]}))
    code, error, _ = run(capsys, "templates", "import", str(shared), "--as", "anna@desk.test", *url)
    assert code == 5 and error["error"] == "permission_denied"
    assert run(capsys, "templates", "import", str(shared), *url)[0] == 0
    with pytest.raises(SystemExit) as usage:
        run(capsys, "templates", "render", "T", *url)  # --ticket is required
    assert usage.value.code == 2
    code, error, err = run(
        capsys, "templates", "render", "T", "--ticket", str(ticket), "--input", "novalue", *url
    )
    assert code == 2 and "NAME=VALUE" in err
    missing = tmp_path / "missing.yaml"
    code, error, err = run(capsys, "templates", "import", str(missing), *url)
    assert code == 2 and "cannot read" in err
