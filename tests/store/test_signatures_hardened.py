"""Signatures per language under `desk db harden`: agents sign in as themselves, and the new
column is theirs to change, nobody else's (tests/store/hardened_team.py builds the team)."""

from __future__ import annotations

import pytest

from desk_app.core.errors import PermissionDenied
from desk_app.store.template_store import TemplateStore
from tests.store.hardened_team import Hardened, team

__all__ = ["team"]  # the fixture, imported so pytest finds it here


def test_an_agent_sets_their_own_language_signature_on_a_hardened_database(team: Hardened, clock):
    """Under `desk db harden` agents sign in as themselves: the new column is theirs too."""
    anna_id = team.agents["anna"]
    database = team.database("anna")
    try:
        TemplateStore(database, anna_id, clock).set_signature("アンナ", language="ja")
        assert team.owner_sql("SELECT signatures FROM agents WHERE id = :id", id=anna_id) == [
            ('{"ja": "アンナ"}',)
        ]
        with pytest.raises(PermissionDenied):
            TemplateStore(database, anna_id, clock).set_signature(
                "x", team.agents["boris"], language="ja"
            )
    finally:
        database.dispose()
