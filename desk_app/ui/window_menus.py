"""The main window's menus: every action lives in a menu, so the shortcut sheet and the menu bar
list the same things."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from desk_app.core.permissions import Permission
from desk_app.ui.actions import add_action

if TYPE_CHECKING:
    from desk_app.ui.main_window import MainWindow

# The dialogs behind these menus are imported when first opened, not at start-up: together
# they are a tenth of a second the first inbox page need not wait for.


def _template_manager(window: MainWindow) -> None:
    from desk_app.ui.template_manager import open_template_manager

    open_template_manager(window.ctx, window, window.ticket_pane.ticket_id)


def _sla_report(window: MainWindow) -> None:
    from desk_app.ui.sla_report import open_sla_report

    open_sla_report(window.ctx, window)


def _sla_admin(window: MainWindow) -> None:
    from desk_app.ui.sla_admin import open_sla_admin

    open_sla_admin(window.ctx, window)


def _workload_board(window: MainWindow) -> None:
    from desk_app.ui.workload_board import open_workload_board

    open_workload_board(
        window.ctx,
        window,
        window.live.changed,
        lambda target: window.show_narrowed(target.view, target.description, target.ticket_id),
    )


def _routing_editor(window: MainWindow) -> None:
    from desk_app.ui.routing_editor import open_routing_editor

    open_routing_editor(window.ctx, window)


def build_menus(window: MainWindow) -> None:
    a, bar = window.window_actions, window.menuBar()
    file_menu = bar.addMenu("&File")
    add_action(a, window, file_menu, "refresh", "&Refresh", window.refresh_all, ("F5",))
    file_menu.addSeparator()
    add_action(a, window, file_menu, "quit", "&Quit", window.close, ("Ctrl+Q",))

    go = bar.addMenu("&Go")
    add_action(a, window, go, "search", "&Search…", window.search.focus_for_search, ("Ctrl+K",))
    add_action(a, window, go, "next", "&Next ticket", lambda: window.inbox.move_cursor(1), ("J",))
    add_action(
        a, window, go, "previous", "&Previous ticket", lambda: window.inbox.move_cursor(-1), ("K",)
    )
    add_action(
        a,
        window,
        go,
        "open",
        "&Open ticket",
        lambda: window.focus_ticket(window.ticket_pane.ticket_id),
        ("Return",),
        context=Qt.ShortcutContext.WidgetShortcut,
    )
    window.inbox.addAction(a["open"])
    add_action(a, window, go, "back", "&Back to list", window.back_to_list, ("Esc",))
    go.addSeparator()
    window.views_menu = go.addMenu("&Views")

    ticket = bar.addMenu("&Ticket")
    add_action(a, window, ticket, "reply", "&Reply", lambda: window.compose("reply"), ("R",))
    add_action(a, window, ticket, "note", "Internal &note", lambda: window.compose("note"), ("N",))
    add_action(
        a, window, ticket, "assign", "&Assign or move…", window.reassign.open_for_current, ("A",)
    )
    add_action(a, window, ticket, "status", "Set &status…", lambda: window.pick("status"), ("S",))
    add_action(
        a, window, ticket, "priority", "Set &priority…", lambda: window.pick("priority"), ("P",)
    )
    add_action(
        a,
        window,
        ticket,
        "send",
        "Sen&d",
        window.ticket_pane.composer.send,
        ("Ctrl+Return", "Ctrl+Enter"),
    )
    add_action(
        a,
        window,
        ticket,
        "insert_template",
        "Insert &template…",
        window.ticket_pane.composer.open_templates,
        ("Ctrl+T",),
    )
    add_action(
        a,
        window,
        ticket,
        "manage_templates",
        "Mana&ge templates…",
        lambda: _template_manager(window),
    )
    ticket.addSeparator()
    add_action(
        a, window, ticket, "take", "Assign selected to &me", window.take_selected, ("Ctrl+M",)
    )
    add_action(a, window, ticket, "solve", "Mark selected s&olved", window.solve_selected)

    customer = bar.addMenu("&Customer")
    add_action(
        a, window, customer, "edit_customer", "&Edit customer…", window.sidebar.edit_customer
    )
    add_action(
        a, window, customer, "merge_customer", "&Merge customer…", window.sidebar.merge_customer
    )

    view = bar.addMenu("&View")
    toggle = a.register("customer_sidebar", window.dock.toggleViewAction())
    toggle.setText("Customer &sidebar")
    toggle.setShortcut("Ctrl+B")
    view.addAction(toggle)
    window.addAction(toggle)
    add_action(
        a,
        window,
        view,
        "layout",
        "Ticket pane &beside the list",
        window.toggle_orientation,
        ("Ctrl+L",),
    )

    sla = bar.addMenu("&SLA")
    add_action(
        a,
        window,
        sla,
        "sla_report",
        "Compliance &report…",
        lambda: _sla_report(window),
    )
    add_action(
        a,
        window,
        sla,
        "sla_rules",
        "Calendars and &policies…",
        lambda: _sla_admin(window),
    )

    # For leads and admins; hidden from agents as a courtesy (the store refuses them anyway).
    team = bar.addMenu("T&eam")
    add_action(
        a,
        window,
        team,
        "workload",
        "&Workload board…",
        lambda: _workload_board(window),
        ("Ctrl+Shift+W",),
    )
    add_action(
        a,
        window,
        team,
        "routing",
        "&Routing rules…",
        lambda: _routing_editor(window),
    )
    board, routing = window.ctx.may(Permission.VIEW_BOARD), window.ctx.may(Permission.EDIT_ROUTING)
    a["workload"].setVisible(board)
    a["routing"].setVisible(routing)
    team.menuAction().setVisible(board or routing)

    help_menu = bar.addMenu("&Help")
    add_action(
        a,
        window,
        help_menu,
        "shortcuts",
        "&Keyboard shortcuts",
        window.show_shortcuts,
        ("?", "F1"),
    )
    add_action(a, window, help_menu, "about", "&About Desk", window.show_about)
