from PySide6.QtCore import Qt
from sqlalchemy import select

from desk_app.store import Service
from desk_app.store.models import Message, OutboxItem
from desk_app.ui.navigation import COUNT_ROLE, SEARCH_KEY
from desk_app.ui.ticket_header import UNASSIGNED
from tests.ui.conftest import new_ticket, settle


def _count(window, key: str) -> object:
    nav = window.navigation.nav
    return nav.index(nav.row_of(key)).data(COUNT_ROLE)


def _open(qtbot, window, ticket_id: int) -> None:
    window.open_ticket(ticket_id)
    qtbot.waitUntil(
        lambda: window.ticket_pane.detail is not None and window.ticket_pane.detail.id == ticket_id,
        timeout=3000,
    )
    settle(qtbot, window)


def _pick(combo, value) -> None:
    combo.setCurrentIndex(combo.findData(value))
    combo.activated.emit(combo.currentIndex())


def test_navigation_shows_views_with_counts_and_switches(qtbot, db, clock, ctx, team, open_window):
    system = Service(db, None, clock)
    mine = new_ticket(system, "Mine", "m@example.com", department="Support")
    Service(db, team.lead, clock).assign(mine, agent=team.anna)
    new_ticket(system, "Billing question", "b@example.com", department="Billing")
    new_ticket(system, "Nobody's", "n@example.com")
    window = open_window(ctx)
    labels = [e.label for e in window.navigation.nav.entries]
    for label in (
        "My open",
        "Unassigned",
        "Billing",
        "Support",
        "All open",
        "Due soon",
        "Breached",
        "Pending",
        "Recently solved",
        "Search results",
    ):
        assert label in labels
    assert _count(window, "mine") == 1
    assert _count(window, "unassigned") == 2
    assert _count(window, f"department:{team.billing}") == 1
    assert _count(window, "all_open") == 3
    assert window.current_view_key == "mine"
    assert window.model.rowCount() == 1
    # The first ticket of the view opens by itself.
    assert window.ticket_pane.ticket_id == mine

    window.navigation.setCurrentIndex(
        window.navigation.nav.index(window.navigation.nav.row_of("all_open"))
    )
    settle(qtbot, window)
    assert window.current_view_key == "all_open"
    assert window.model.rowCount() == 3


def test_reply_is_stored_queued_and_shown_at_once(qtbot, db, clock, ctx, open_window):
    ticket = new_ticket(Service(db, None, clock), "Where is my parcel?", "p@example.com")
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, ticket)
    composer = window.ticket_pane.composer
    qtbot.keyClicks(composer.editor, "It left our warehouse today.")
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    # Before the worker answers, the reply is already in the conversation.
    assert "It left our warehouse today." in window.ticket_pane.conversation.toPlainText()
    settle(qtbot, window)
    with db.read() as session:
        outbound = session.scalars(select(Message).where(Message.direction == "outbound")).one()
        outbox = session.scalars(select(OutboxItem)).one()
    assert outbound.body_text == "It left our warehouse today."
    assert outbox.message_id == outbound.id and outbox.state == "queued"
    text = window.ticket_pane.conversation.toPlainText()
    assert "Queued" in text and "Anna Ivanova" in text
    assert composer.text() == ""
    assert window.ticket_pane.header.status.currentData() == "open"


def test_internal_note_is_added_and_marked(qtbot, db, clock, ctx, open_window):
    ticket = new_ticket(Service(db, None, clock), "VIP customer", "vip@example.com")
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, ticket)
    window.window_actions["note"].trigger()
    composer = window.ticket_pane.composer
    assert composer.kind == "note"
    qtbot.keyClicks(composer.editor, "Call them back before noon")
    window.window_actions["send"].trigger()
    settle(qtbot, window)
    detail = ctx.queries.ticket(ticket)
    assert [(m.direction, m.body_text) for m in detail.messages][-1] == (
        "note",
        "Call them back before noon",
    )
    assert "Internal note" in window.ticket_pane.conversation.toPlainText()


def test_assignee_and_status_change_through_the_header(qtbot, db, clock, ctx, team, open_window):
    ticket = new_ticket(
        Service(db, None, clock), "Assign me", "a@example.com", department="Support"
    )
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, ticket)
    header = window.ticket_pane.header
    _pick(header.assignee, team.anna)
    settle(qtbot, window)
    assert ctx.queries.ticket(ticket).assignee_id == team.anna
    _pick(header.status, "pending")
    settle(qtbot, window)
    detail = ctx.queries.ticket(ticket)
    assert detail.status == "pending"
    assert window.ticket_pane.detail.version == detail.version
    assert _count(window, "pending") == 1
    row = window.model.row_of(ticket)
    assert window.model.index(row, 7).data() == "Pending"
    _pick(header.assignee, UNASSIGNED)
    settle(qtbot, window)
    assert ctx.queries.ticket(ticket).assignee_id is None
    assert not window.ticket_pane.banner.isVisible()


def test_conflict_shows_a_banner_naming_the_change_and_reloads(
    qtbot, db, clock, ctx, team, open_window
):
    ticket = new_ticket(Service(db, None, clock), "Contested", "c@example.com")
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, ticket)
    Service(db, team.lead, clock).set_priority(ticket, "urgent")
    _pick(window.ticket_pane.header.status, "solved")
    settle(qtbot, window)
    banner = window.ticket_pane.banner
    assert banner.isVisible()
    assert "Lena Lead changed priority from normal to urgent" in banner.text
    assert ctx.queries.ticket(ticket).status == "new"  # nothing was overwritten
    # The pane now shows the colleague's change.
    assert window.ticket_pane.header.priority.currentData() == "urgent"


def test_drafts_survive_closing_and_reopening_the_window(
    qtbot, db, clock, make_ctx, team, open_window
):
    ticket = new_ticket(Service(db, None, clock), "Long answer", "l@example.com")
    window = open_window(make_ctx(team.anna), view="all_open", ticket=ticket)
    composer = window.ticket_pane.composer
    qtbot.keyClicks(composer.editor, "Half-written reply")
    window.close()  # before the debounce fired: closing must still save it
    assert [d.body for d in make_ctx(team.anna).queries.drafts(ticket)] == ["Half-written reply"]

    again = open_window(make_ctx(team.anna), view="all_open", ticket=ticket)
    assert again.ticket_pane.composer.text() == "Half-written reply"


def test_layout_and_last_view_are_remembered(qtbot, db, clock, make_ctx, team, open_window):
    new_ticket(Service(db, None, clock), "Anything", "x@example.com")
    window = open_window(make_ctx(team.anna))
    window.show_view("unassigned")
    window.dock.hide()
    window.inbox.horizontalHeader().resizeSection(3, 222)
    settle(qtbot, window)
    window.close()
    again = open_window(make_ctx(team.anna))
    assert again.current_view_key == "unassigned"
    assert again.inbox.horizontalHeader().sectionSize(3) == 222
    assert again.dock.isHidden()


def test_keyboard_moves_through_the_list_and_opens_tickets(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    ids = []
    for n in range(3):
        clock.advance(minutes=1)
        ids.append(new_ticket(system, f"T{n}", f"k{n}@example.com"))
    window = open_window(ctx, view="all_open")
    window.inbox.setFocus()
    assert window.ticket_pane.ticket_id == ids[2]
    qtbot.keyClick(window.inbox, Qt.Key.Key_J)
    settle(qtbot, window)
    assert window.ticket_pane.ticket_id == ids[1]
    qtbot.keyClick(window.inbox, Qt.Key.Key_J)
    qtbot.keyClick(window.inbox, Qt.Key.Key_K)
    settle(qtbot, window)
    assert window.ticket_pane.ticket_id == ids[1]
    qtbot.keyClick(window.inbox, Qt.Key.Key_R)
    assert window.ticket_pane.composer.editor.hasFocus()
    assert window.ticket_pane.composer.kind == "reply"
    # Typing "j" in the composer types, it does not move the list.
    qtbot.keyClicks(window.ticket_pane.composer.editor, "jk")
    assert window.ticket_pane.composer.text() == "jk"
    qtbot.keyClick(window.ticket_pane.composer.editor, Qt.Key.Key_Escape)
    assert window.inbox.hasFocus()


def test_every_shortcut_is_in_a_menu_and_in_the_sheet(qtbot, ctx, open_window):
    window = open_window(ctx)
    menu_actions = {
        action
        for menu in window.menuBar().findChildren(type(window.menuBar().addMenu("x")))
        for action in menu.actions()
    }
    keys = {
        action.shortcut().toString()
        for action in window.window_actions.all
        if not action.shortcut().isEmpty()
    }
    assert {"R", "N", "A", "S", "J", "K", "Ctrl+K", "Esc", "Return", "?"} <= keys
    assert set(window.window_actions.all) <= menu_actions
    window.show_shortcuts()
    from desk_app.ui.shortcuts import ShortcutSheet

    sheet = window.findChild(ShortcutSheet)
    assert sheet is not None
    names = [sheet.table.item(r, 0).text() for r in range(sheet.table.rowCount())]
    assert "Reply" in names and "Internal note" in names
    sheet.close()


def test_search_box_shows_results_as_a_view(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    wanted = new_ticket(system, "Refund for order 5521", "r@example.com")
    new_ticket(system, "Password reset", "p@example.com")
    window = open_window(ctx, view="all_open")
    window.window_actions["search"].trigger()
    assert window.search.hasFocus()
    qtbot.keyClicks(window.search, "refund")
    qtbot.waitUntil(lambda: window.current_view_key == SEARCH_KEY, timeout=3000)
    settle(qtbot, window)
    assert [window.model.ticket_id(r) for r in range(window.model.rowCount())] == [wanted]
    assert _count(window, SEARCH_KEY) == 1
    window.search.clear()
    qtbot.waitUntil(lambda: window.current_view_key == "all_open", timeout=3000)
