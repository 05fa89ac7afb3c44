"""Drafts kept on this computer: written atomically, forgotten only once confirmed as is."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from desk_app.sync.local_drafts import FILE_NAME, LocalDraft, LocalDrafts, database_key

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _drafts(tmp_path, url: str = "postgresql://team/desk") -> LocalDrafts:
    return LocalDrafts(tmp_path, database_key(url))


def test_a_saved_draft_is_pending_until_the_database_confirms_the_same_text(tmp_path):
    local = _drafts(tmp_path)
    local.save(LocalDraft(7, 1, "reply", "Здравствуйте", T0))
    assert local.get(7, 1, "reply") == LocalDraft(7, 1, "reply", "Здравствуйте", T0)
    local.confirmed(7, 1, "reply", "Здравствуйте")
    assert local.get(7, 1, "reply") is None
    assert local.pending() == []


def test_a_confirmation_of_older_text_keeps_the_newer_draft(tmp_path):
    local = _drafts(tmp_path)
    local.save(LocalDraft(7, 1, "reply", "Hello", T0))
    local.save(LocalDraft(7, 1, "reply", "Hello, Ivan", T0 + timedelta(seconds=1)))
    local.confirmed(7, 1, "reply", "Hello")  # the database got the older text only
    assert local.get(7, 1, "reply").body == "Hello, Ivan"


def test_pending_lists_only_this_databases_drafts_oldest_first(tmp_path):
    team, demo = _drafts(tmp_path), _drafts(tmp_path, "sqlite:///demo.sqlite3")
    team.save(LocalDraft(2, 1, "note", "second", T0 + timedelta(minutes=1)))
    team.save(LocalDraft(1, 1, "reply", "first", T0))
    demo.save(LocalDraft(1, 1, "reply", "demo", T0))
    assert [d.body for d in team.pending()] == ["first", "second"]
    assert [d.body for d in demo.pending()] == ["demo"]
    team.forget(1, 1, "reply")
    assert [d.body for d in team.pending()] == ["second"]


def test_the_file_holds_no_database_url_and_survives_a_new_process(tmp_path):
    url = "postgresql://anna:secret@db.example.com/desk"
    _drafts(tmp_path, url).save(LocalDraft(3, 1, "reply", "text", T0))
    raw = (tmp_path / FILE_NAME).read_text(encoding="utf-8")
    assert "secret" not in raw and "db.example.com" not in raw
    assert json.loads(raw)  # valid JSON, written whole
    assert _drafts(tmp_path, url).get(3, 1, "reply").body == "text"
    assert not list(tmp_path.glob(".drafts-*"))  # no temporary file left behind


def test_an_unreadable_file_is_set_aside_not_lost(tmp_path):
    (tmp_path / FILE_NAME).write_text("{not json", encoding="utf-8")
    local = _drafts(tmp_path)
    assert local.pending() == []
    assert (tmp_path / "unsynced-drafts.unreadable").read_text(encoding="utf-8") == "{not json"
    local.save(LocalDraft(1, 1, "reply", "fresh", T0))
    assert local.get(1, 1, "reply").body == "fresh"


def test_where_a_draft_began_outlives_the_confirmation_until_it_is_sent(tmp_path):
    local = _drafts(tmp_path)
    local.save(LocalDraft(7, 1, "reply", "Hello", T0))
    local.remember_start(7, 1, "reply", 41)
    local.confirmed(7, 1, "reply", "Hello")
    # The database has the text; where the draft began is still known, here and after restart.
    assert _drafts(tmp_path).start_of(7, 1, "reply") == 41
    assert _drafts(tmp_path, "sqlite:///demo.sqlite3").start_of(7, 1, "reply") is None
    local.forget(7, 1, "reply")  # sent or discarded
    assert local.start_of(7, 1, "reply") is None


def test_an_emptied_draft_forgets_where_it_began(tmp_path):
    local = _drafts(tmp_path)
    local.remember_start(7, 1, "reply", 41)
    local.remember_start(8, 1, "reply", 50)
    local.forget_start(7, 1, "reply")
    assert local.start_of(7, 1, "reply") is None
    assert local.start_of(8, 1, "reply") == 50
