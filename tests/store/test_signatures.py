"""Signatures per language: a Japanese template ends in the agent's Japanese sign-off, not in
their English one (issue 16, item 10)."""

from __future__ import annotations

import pytest

from desk_app.core.errors import InvalidInput, PermissionDenied
from desk_app.demo.templates import DEMO_COMPANY, install_demo_templates
from desk_app.store.template_store import TemplateFields, TemplateStore
from tests.store.helpers import audit_rows
from tests.store.test_template_store import _ticket_for


@pytest.fixture
def store_for(db, clock):
    return lambda actor: TemplateStore(db, actor, clock)


def _template(store: TemplateStore, language: str) -> int:
    fields = TemplateFields(
        title=f"Thanks {language}", body="…\n{{ agent.signature }}", language=language
    )
    return store.create(fields).id


def test_the_templates_language_picks_the_signature(db, team, clock, store_for):
    anna = store_for(team.anna)
    anna.set_signature("Anna\nAcme support")
    anna.set_signature("アンナ\nAcme サポート", language="ja")
    anna.set_signature("Анна", language="ru")
    lena = store_for(team.lead)
    japanese, english, brazilian = (_template(lena, lang) for lang in ("ja", "en", "pt-BR"))
    english_customer = _ticket_for(db, clock, "John Smith", "en")
    japanese_customer = _ticket_for(db, clock, "山田 太郎", "ja")

    # The template's language wins: its text is in that language, whoever reads it.
    assert anna.fill(japanese, english_customer).text == "…\nアンナ\nAcme サポート"
    assert anna.fill(english, japanese_customer).text == "…\nAnna\nAcme support"
    # A language without a signature of its own falls back to the default one.
    assert anna.fill(brazilian, japanese_customer).text == "…\nAnna\nAcme support"
    anna.set_signature("Anna (pt)", language="pt")
    assert anna.fill(brazilian, english_customer).text == "…\nAnna (pt)"
    # An empty text removes it.
    anna.set_signature("", language="ja")
    assert anna.fill(japanese, japanese_customer).text == "…\nAnna\nAcme support"
    fields = [
        e.field
        for e in audit_rows(db, entity="agent")
        if e.entity_id == team.anna and e.action == "update"
    ]
    assert fields == [
        "signature",
        "signature (ja)",
        "signature (ru)",
        "signature (pt)",
        "signature (ja)",
    ]


def test_a_language_signature_is_the_agents_own(team, store_for):
    with pytest.raises(PermissionDenied):
        store_for(team.anna).set_signature("x", team.boris, language="ja")
    with pytest.raises(InvalidInput, match="not a language code"):
        store_for(team.anna).set_signature("x", language="Japanese")


def test_the_demos_japanese_templates_sign_off_in_japanese(db, team, clock, store_for):
    install_demo_templates(db, [("Anna Ivanova", "anna@desk.test")])
    ticket_id = _ticket_for(db, clock, "山田 太郎", "ja")
    anna = store_for(team.anna)
    japanese = [
        t
        for t in anna.templates(with_figures=False)
        if t.language == "ja" and "agent.signature" in t.body
    ]
    assert japanese
    for template in japanese:
        text = anna.fill(template.id, ticket_id).text
        assert text.endswith(f"{DEMO_COMPANY} カスタマーサポート\nAnna Ivanova"), text
        assert "support" not in text
