"""The sign-in dialog against a real PostgreSQL server that asks for passwords."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import keyring
import keyring.core
import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from desk_app.store import Database, Service
from desk_app.store.credentials import DatabaseAddress, SignInRequired
from desk_app.ui.signin_dialog import SignInDialog
from tests.pg_control import OwnServer, own_server, require_passwords


@pytest.fixture
def file_keyring(tmp_path, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    yield
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def password_server() -> Iterator[OwnServer]:
    with own_server() as server:
        require_passwords(server)
        yield server


@pytest.fixture
def team_url(password_server: OwnServer, clock) -> Iterator[tuple[str, str, str]]:
    """(the URL an agent configures, Anna's database user, her password)."""
    owner = sa.make_url(Database(password_server.url).url)
    name = f"desk_ui_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(owner, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(owner.set(database=name).render_as_string(hide_password=False))
    db.upgrade()
    anna = Service(db, None, clock).add_agent("Anna Ivanova", "anna@desk.test")
    role, password = f"anna_{uuid.uuid4().hex[:8]}", "correct horse"
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE agents SET db_user = :r WHERE id = :id"), {"r": role, "id": anna}
        )
        connection.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        connection.exec_driver_sql(f'GRANT SELECT ON agents, agent_departments TO "{role}"')
        connection.exec_driver_sql(f'GRANT SELECT ON departments TO "{role}"')
    db.dispose()
    url = sa.URL.create("postgresql+psycopg", database=name, query=dict(owner.query))
    yield url.render_as_string(), role, password
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_a_wrong_password_keeps_the_dialog_open_then_the_right_one_signs_in(
    qtbot, team_url, file_keyring
):
    url, role, password = team_url
    dialog = SignInDialog(url, user=role)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, "wrong")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "refused the sign-in" in dialog.error.text()
    assert dialog.isVisible() and dialog.password.text() == ""
    assert dialog.sign_in_button.isEnabled()

    qtbot.keyClicks(dialog.password, password)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.result_value is not None
    assert dialog.result_value.agent is not None
    assert dialog.result_value.agent.email == "anna@desk.test"
    service = DatabaseAddress.from_url(url).keyring_service
    assert keyring.get_password(service, role) == password


def test_opening_the_database_without_a_password_asks_to_sign_in(team_url, file_keyring):
    url, role, _ = team_url
    db = Database(sa.make_url(url).set(username=role).render_as_string())
    try:
        with pytest.raises(SignInRequired) as refusal:
            db.current_revision()
    finally:
        db.dispose()
    assert refusal.value.user == role and refusal.value.exit_code == 5
