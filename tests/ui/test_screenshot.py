from PySide6.QtGui import QImage

from desk_app.app import run_gui
from desk_app.store import Service


def test_run_gui_renders_a_screenshot_with_a_ticket_open(db, clock, team, tmp_path, qapp):
    system = Service(db, None, clock)
    ticket = system.create_ticket(
        subject="ログインできません",
        customer_email="yuki@example.jp",
        body="パスワードを忘れました",
    ).ticket_id
    Service(db, team.anna, clock).reply(ticket, "Здравствуйте! Отправили ссылку для сброса.")
    target = tmp_path / "shots" / "desk.png"
    code = run_gui(
        db.url, None, screenshot=target, size=(1200, 800), view="all_open", ticket=ticket
    )
    assert code == 0
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1200, 800)


def test_run_gui_reports_an_unknown_agent(db, team, tmp_path, qapp, capsys):
    code = run_gui(db.url, "ghost@desk.test", screenshot=tmp_path / "x.png")
    assert code == 4
    assert "ghost@desk.test" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
