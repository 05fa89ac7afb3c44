"""SLA alerts on the desktop: a ticket of mine about to breach or breached, and, for leads, the
escalations the worker carried out.

Cheap at any size: every WATCH_MS one indexed query fetches the few tickets that turn amber or
red within the next two intervals (or did so lately: red within LOOKBACK, amber within
WARNING_GRACE), and a single-shot timer fires at the exact moment one of them changes. Nothing
runs per ticket per second, and a backlog that was amber before the desktop started is left to
the Due soon view instead of becoming hundreds of pop-ups; several alerts at one moment become
one summary.

Each alert is shown once per ticket, due time and state; what was shown is kept in the ui
settings file, so a restart or a recompute that leaves the due time alone does not repeat it.
A new due time (the next response clock) is a new deadline and alerts again.

Where the platform has a system tray the alert is a tray message with the system sound; a click
opens the ticket. Without one (offscreen, some Linux desktops) it is a strip in the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon, QWidget

from desk_app.core.countdown import (
    WARNING_FLOOR,
    Light,
    format_remaining,
    traffic_light,
    warning_at,
)
from desk_app.store.sla_watch import (
    LeadNotice,
    WatchedTicket,
    lead_notices,
    tickets_to_watch,
    watched_again,
)
from desk_app.ui.banner import Banner
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import tray_text
from desk_app.ui.plurals import english_plural, fill
from desk_app.ui.settings import ui_settings

WATCH_MS = 30_000
WATCH = timedelta(milliseconds=WATCH_MS)
WIDE_EVERY = timedelta(minutes=5)
# Amber starts at 25% of the target: for a three-day target, 18 hours ahead. Targets longer
# than four times the horizon alert when they come within it instead (a few hours late at worst
# for week-long targets, which is no emergency).
HORIZON = timedelta(days=3)
# A breach older than this when the desktop starts is not news any more; nor is a ticket that
# turned amber longer than WARNING_GRACE ago (a morning's backlog is the views' job, not 300
# pop-ups).
LOOKBACK = timedelta(hours=2)
WARNING_GRACE = timedelta(minutes=10)
# More alerts than this at one moment become one summary.
MAX_SEPARATE = 3
# The longest single wait; the watch query reschedules anyway.
MAX_WAIT_MS = WATCH_MS
SHOWN_KEY = "slaAlerts/shown"
NOTICE_KEY = "slaAlerts/lastNotice"
TRAY_MS = 10_000


@dataclass(frozen=True)
class Alert:
    ticket_id: int
    title: str
    text: str
    level: str  # "warning" or "error", as the in-window banner colours them


class SlaAlerts(QObject):
    """Watches the signed-in agent's deadlines and the lead notices addressed to them."""

    def __init__(
        self,
        ctx: DeskContext,
        open_ticket: Callable[[int], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._open_ticket = open_ticket
        self._window = parent
        self._watched: list[WatchedTicket] = []
        self._wide: list[WatchedTicket] = []
        self._wide_at: datetime | None = None
        self._shown: set[str] = set(_string_list(ui_settings().value(SHOWN_KEY)))
        self._last_alert: Alert | None = None
        self._refreshing = False
        self._stopped = False
        self.shown_alerts: list[Alert] = []  # what this session showed, newest last
        self.notice = Banner()
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self._tray_icon(), self)
            self.tray.setToolTip(self.tr("Desk"))
            # From the tray the window may be minimised or behind others: bring it forward.
            self.tray.messageClicked.connect(lambda: self._open_last(raise_window=True))
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self.refresh)
        self._next = QTimer(self)
        self._next.setSingleShot(True)
        # Precise: a coarse timer may fire up to 5% late, a minute late on a twenty-minute wait.
        self._next.setTimerType(Qt.TimerType.PreciseTimer)
        self._next.timeout.connect(self.check_now)

    def _tray_icon(self) -> QIcon:
        icon = self._window.windowIcon() if self._window is not None else QIcon()
        if icon.isNull():
            icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return icon

    # --- control -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._ctx.agent is None:
            return
        if self.tray is not None:
            self.tray.show()
        self._watch.start()
        self.refresh()

    def stop(self) -> None:
        self._stopped = True
        self._watch.stop()
        self._next.stop()
        if self.tray is not None:
            self.tray.hide()

    # --- the watch query ------------------------------------------------------------------

    def refresh(self) -> None:
        """Fetch the tickets that may alert soon and the notices addressed to this agent."""
        agent = self._ctx.agent
        if agent is None or self._refreshing or self._stopped:
            return
        self._refreshing = True
        db = self._ctx.queries.db
        now = self._ctx.now()
        is_lead = agent.role == "lead"
        after = _int(ui_settings().value(NOTICE_KEY))

        wide_due = self._wide_at is None or now - self._wide_at >= WIDE_EVERY
        wide_before = self._wide

        def work() -> tuple[list[WatchedTicket], list[WatchedTicket], list[LeadNotice]]:
            # Two intervals ahead, so nothing turns amber or red between two queries unseen.
            ahead = now + 2 * WATCH
            # Near deadlines every time: breached lately, due within the next half hour (the
            # 30-minute amber floor). A short range of the due-time index.
            near = tickets_to_watch(
                db, agent.id, now - LOOKBACK, ahead + WARNING_FLOOR, now - WARNING_GRACE, ahead
            )
            # Long targets turn amber at 25%, days ahead; that range is wide (thousands of
            # rows at 100,000 tickets), so it is read only every WIDE_EVERY, that far ahead.
            # In between, what it found is read again by id: a reply or a solve must not leave
            # a stale deadline behind to alert on.
            wide = watched_again(db, agent.id, [ticket.id for ticket in wide_before])
            if wide_due:
                wide = tickets_to_watch(
                    db, agent.id, now, now + HORIZON, now - WARNING_GRACE, ahead + WIDE_EVERY
                )
            notices = lead_notices(db, agent.id, after, now - LOOKBACK) if is_lead else []
            return near, wide, notices

        def done(
            result: tuple[list[WatchedTicket], list[WatchedTicket], list[LeadNotice]],
        ) -> None:
            self._refreshing = False
            if self._stopped:
                return
            near, self._wide, notices = result
            if wide_due:
                self._wide_at = now
            by_id = {ticket.id: ticket for ticket in [*self._wide, *near]}
            self._watched = sorted(by_id.values(), key=lambda ticket: ticket.due_at)
            for notice in notices:
                self._show(
                    Alert(
                        notice.ticket_id,
                        f"Escalated: #{notice.ticket_id}",
                        f"{notice.reason} — “{notice.subject}”",
                        "error",
                    )
                )
            if notices:
                ui_settings().setValue(NOTICE_KEY, notices[-1].id)
            self.check_now()

        def failed(error: BaseException) -> None:
            self._refreshing = False
            self._ctx.runner.report(error)

        # A periodic re-read: on the refresh lane, never in front of what the agent opens.
        self._ctx.runner.refresh(work, done, failed)

    # --- the exact moment -----------------------------------------------------------------

    def check_now(self) -> None:
        """Alert on every watched ticket that has turned amber or red, then wait for the next
        one to do so."""
        if self._stopped:
            return
        now = self._ctx.now()
        upcoming: list[datetime] = []
        fresh: list[Alert] = []
        for ticket in self._watched:
            light = traffic_light(ticket.due_at, ticket.started_at, now, paused=False)
            warning = warning_at(ticket.due_at, ticket.started_at or ticket.due_at)
            if light is Light.RED:
                fresh += self._once(ticket, "breached", now)
                # Seen red first (a restart after the breach): no amber afterwards.
                self._shown.add(_key(ticket, "warning"))
            elif light is Light.AMBER:
                if now - warning <= WARNING_GRACE:
                    fresh += self._once(ticket, "warning", now)
                else:
                    self._shown.add(_key(ticket, "warning"))
                upcoming.append(ticket.due_at)
            else:
                upcoming.append(warning)
        if fresh:
            self._save_shown(now)
            self._announce(fresh)
        self._schedule(now, upcoming)

    def _announce(self, alerts: list[Alert]) -> None:
        if len(alerts) <= MAX_SEPARATE:
            for alert in alerts:
                self._show(alert)
            return
        breached = [a for a in alerts if a.level == "error"]
        first = (breached or alerts)[0]
        numbers = ", ".join(f"#{a.ticket_id}" for a in alerts[:8])
        if len(alerts) > 8:
            numbers += " " + self.tr("and %n more", "", len(alerts) - 8)
        soon = len(alerts) - len(breached)
        counts = [self.tr("%n breached", "", len(breached))] if breached else []
        if soon:
            counts.append(self.tr("%n about to breach", "", soon))
        title = self.tr("%n ticket(s) [needs|need] attention", "", len(alerts))
        self._show(
            Alert(
                first.ticket_id,
                english_plural(title, len(alerts)),
                fill(self.tr("%1: %2"), ", ".join(counts), numbers),
                "error" if breached else "warning",
            )
        )

    def _schedule(self, now: datetime, upcoming: list[datetime]) -> None:
        later = [moment for moment in upcoming if moment >= now]
        if not later:
            self._next.stop()
            return
        wait_ms = int((min(later) - now).total_seconds() * 1000) + 1
        # Past due means "overdue", so fire a moment after the instant, never before it.
        self._next.start(max(1, min(wait_ms, MAX_WAIT_MS)))

    def _once(self, ticket: WatchedTicket, state: str, now: datetime) -> list[Alert]:
        """The alert for this ticket's state, unless it was shown before."""
        key = _key(ticket, state)
        if key in self._shown:
            return []
        self._shown.add(key)
        left = format_remaining(ticket.due_at - now)
        if state == "breached":
            title = f"SLA breached: #{ticket.id}"
            return [Alert(ticket.id, title, f"{ticket.subject} ({left})", "error")]
        return [Alert(ticket.id, f"Due in {left}: #{ticket.id}", ticket.subject, "warning")]

    def _show(self, alert: Alert) -> None:
        self._last_alert = alert
        self.shown_alerts.append(alert)
        if self.tray is not None and self.tray.isVisible():
            icon = (
                QSystemTrayIcon.MessageIcon.Critical
                if alert.level == "error"
                else QSystemTrayIcon.MessageIcon.Warning
            )
            self.tray.showMessage(alert.title, tray_text(alert.text), icon, TRAY_MS)
            QApplication.beep()
            return
        self.notice.show_message(
            alert.level,
            f"{alert.title} — {alert.text}",  # the strip is a plain label
            ("Open ticket", lambda: self._open_last(raise_window=False)),
        )

    def _open_last(self, raise_window: bool) -> None:
        alert = self._last_alert
        if alert is None:
            return
        if raise_window and self._window is not None:
            self._window.showNormal()
            self._window.raise_()
            self._window.activateWindow()
        self._open_ticket(alert.ticket_id)

    def _save_shown(self, now: datetime) -> None:
        # Only deadlines that can still matter are kept, so the file stays small.
        oldest = now - 2 * LOOKBACK
        self._shown = {key for key in self._shown if _due_of(key) >= oldest}
        settings = ui_settings()
        settings.setValue(SHOWN_KEY, sorted(self._shown))
        settings.sync()


def _key(ticket: WatchedTicket, state: str) -> str:
    return f"{ticket.id}|{ticket.due_at.isoformat()}|{state}"


def _due_of(key: str) -> datetime:
    try:
        return datetime.fromisoformat(key.split("|")[1])
    except (IndexError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


def _string_list(value: object) -> list[str]:
    # QSettings gives a one-item list back as a plain string, and nothing as None.
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
