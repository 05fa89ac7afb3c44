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


def test_a_screenshot_can_show_a_panel_and_leaves_the_layout_alone(db, team, tmp_path, qapp):
    from desk_app.ui.settings import ui_settings

    board = tmp_path / "board.png"
    code = run_gui(db.url, "lena@desk.test", screenshot=board, size=(1024, 700), panel="workload")
    assert code == 0
    assert (QImage(str(board)).width(), QImage(str(board)).height()) == (1024, 700)
    oncall = tmp_path / "oncall.png"
    assert run_gui(db.url, None, screenshot=oncall, size=(1024, 700), panel="oncall") == 0
    assert QImage(str(oncall)).width() == 1024
    # Rendering at 1024x700 must not become the agent's window on the next start.
    assert ui_settings().value("window/geometry") is None
    # Nothing stays open (an open board would sit over the next window under the pointer).
    assert [w for w in qapp.topLevelWidgets() if w.isVisible()] == []
