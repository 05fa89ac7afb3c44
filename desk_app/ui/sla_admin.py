"""Edit the team's SLA calendars and policies: validation beside each field, a live preview
("a ticket created now would be due at …") from the real calendar code, and a save that is an
import of the whole edited document (validated before anything changes, then every ticket's due
times recomputed), exactly like `desk sla import`."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.calendar import BusinessCalendar, InvalidConfig
from desk_app.core.enums import Role
from desk_app.core.errors import DeskError
from desk_app.core.permissions import Actor, Permission, decide
from desk_app.core.sla import SlaPolicy, TicketEvent, compute_sla
from desk_app.store.sla_store import export_rules, import_rules, parse_rules
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import escape, plain_label, rich_label
from desk_app.ui.plurals import english_plural
from desk_app.ui.sla_admin_forms import KIND_LABELS, CalendarForm, PolicyForm
from desk_app.ui.unsaved import guard
from desk_app.ui.window_sizing import pin_minimum_size

SIDE_WIDTH = 230
NEW_CALENDAR: dict[str, Any] = {
    "name": "New calendar",
    "timezone": "UTC",
    "hours": {"mon-fri": "09:00-17:00"},
}
NEW_POLICY: dict[str, Any] = {
    "name": "New policy",
    "targets": [{"kind": "first_response", "minutes": 60, "business_hours": False}],
}
_INDEXED = re.compile(r"(calendars|policies)\[(\d+)\]\.?")


class SlaAdminDialog(QDialog):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("SLA calendars and policies"))
        self.setObjectName("slaAdmin")
        self.document: dict[str, list[dict[str, Any]]] = {"calendars": [], "policies": []}
        # Hiding the save is a courtesy; core.permissions is the rule (admins edit the rules).
        self.can_edit = ctx.agent is not None and bool(
            decide(Actor(ctx.agent.id, Role(ctx.agent.role)), Permission.ADMINISTER)
        )
        self.dirty = False
        self.list_buttons: list[QPushButton] = []

        self.calendar_form = CalendarForm()
        self.calendar_form.edited.connect(self._calendar_edited)
        self.calendar_preview = _preview_label()
        self.calendar_list = QListWidget()
        self.calendar_list.currentRowChanged.connect(self._calendar_chosen)
        calendars = self._editor_tab(
            self.calendar_list,
            self.calendar_form,
            self.calendar_preview,
            [("Add", self._add_calendar), ("Remove", self._remove_calendar)],
        )

        departments = [d.name for d in ctx.departments]
        self.policy_form = PolicyForm(departments)
        self.policy_form.edited.connect(self._policy_edited)
        self.policy_preview = _preview_label()
        self.policy_list = QListWidget()
        self.policy_list.currentRowChanged.connect(self._policy_chosen)
        policies = self._editor_tab(
            self.policy_list,
            self.policy_form,
            self.policy_preview,
            [
                ("Add", self._add_policy),
                ("Remove", self._remove_policy),
                ("Up", lambda: self._move_policy(-1)),
                ("Down", lambda: self._move_policy(1)),
            ],
            note="The first policy that matches a ticket applies: order matters.",
        )

        self.tabs = QTabWidget()
        self.tabs.addTab(policies, "Policies")
        self.tabs.addTab(calendars, "Calendars")
        self.status = plain_label("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(lambda: self.save())
        self.buttons.rejected.connect(self.reject)
        # Said in the dialog, not only in a tooltip; the forms open read-only to match.
        self.read_only_note = plain_label(
            self.tr("Only admins can change the SLA rules: you can read them and their preview.")
        )
        self.read_only_note.setObjectName("readOnlyNote")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setVisible(not self.can_edit)
        if not self.can_edit:
            self.save_button.setToolTip(self.read_only_note.text())
        for button in self.list_buttons:
            button.setEnabled(self.can_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only_note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(1000, 760)
        pin_minimum_size(self, 860, 560)

    def _editor_tab(
        self,
        items: QListWidget,
        form: QWidget,
        preview: QLabel,
        actions: list[tuple[str, Callable[[], None]]],
        note: str | None = None,
    ) -> QWidget:
        tab = QWidget()
        row = QHBoxLayout(tab)
        side_panel = QWidget()
        side_panel.setFixedWidth(SIDE_WIDTH)
        side = QVBoxLayout(side_panel)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(items, 1)
        buttons = QGridLayout()
        for index, (text, handler) in enumerate(actions):
            button = QPushButton(text)
            button.clicked.connect(handler)
            self.list_buttons.append(button)
            buttons.addWidget(button, index // 2, index % 2)
        side.addLayout(buttons)
        if note:
            hint = plain_label(note)
            hint.setObjectName("muted")
            hint.setWordWrap(True)
            side.addWidget(hint)
        row.addWidget(side_panel)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form)
        main = QVBoxLayout()
        main.addWidget(scroll, 1)
        main.addWidget(preview)
        row.addLayout(main, 1)
        return tab

    # --- loading ----------------------------------------------------------------------------

    def load(self) -> None:
        db = self.ctx.queries.db
        self.status.setText(self.tr("Loading…"))
        self.ctx.runner.run(lambda: export_rules(db), self.set_document)

    def set_document(self, document: dict[str, Any]) -> None:
        self.document = {
            "calendars": copy.deepcopy(list(document.get("calendars", []))),
            "policies": copy.deepcopy(list(document.get("policies", []))),
        }
        self.status.setText("")
        self.dirty = False
        self._fill(self.calendar_list, "calendars")
        self._fill(self.policy_list, "policies")
        self._calendar_names_changed()
        self.calendar_list.setCurrentRow(0 if self.document["calendars"] else -1)
        self.policy_list.setCurrentRow(0 if self.document["policies"] else -1)
        self.save_button.setEnabled(self.can_edit)

    def _fill(self, items: QListWidget, key: str) -> None:
        items.blockSignals(True)
        items.clear()
        for entry in self.document[key]:
            items.addItem(entry.get("name") or "(no name)")
        items.blockSignals(False)

    # --- calendars --------------------------------------------------------------------------

    def _calendar_chosen(self, row: int) -> None:
        self.calendar_form.setEnabled(row >= 0 and self.can_edit)
        if row >= 0:
            self.calendar_form.load(self.document["calendars"][row])
            self._check_calendar(row)

    def _calendar_edited(self) -> None:
        row = self.calendar_list.currentRow()
        if row < 0:
            return
        old_name = self.document["calendars"][row].get("name")
        value = self.calendar_form.value()
        self.document["calendars"][row] = value
        self.calendar_list.item(row).setText(value["name"] or "(no name)")
        self.dirty = True
        if old_name != value["name"]:
            # Policies follow a renamed calendar, as they would expect.
            for policy in self.document["policies"]:
                if policy.get("calendar") == old_name and old_name:
                    policy["calendar"] = value["name"]
            self._calendar_names_changed()
        self._check_calendar(row)
        self._check_policy(self.policy_list.currentRow())

    def _check_calendar(self, row: int) -> BusinessCalendar | None:
        calendar, error = _calendar_or_error(self.document["calendars"][row])
        if error is None:
            names = [c.get("name") for c in self.document["calendars"]]
            if names.count(self.document["calendars"][row].get("name")) > 1:
                error = InvalidConfig("name", "another calendar has this name")
        self.calendar_form.errors.show(error)
        if calendar is None or error is not None:
            self.calendar_preview.setText("")
            return None
        now = self.ctx.now()
        if calendar.is_open(now):
            state = "open now"
        else:
            opens = calendar.next_open(now).astimezone(calendar.zone)
            state = f"closed now; opens {opens:%a %d %b %H:%M} ({calendar.timezone})"
        self.calendar_preview.setText(f"<b>{escape(calendar.name)}</b>: {escape(state)}")
        return calendar

    def _calendar_names_changed(self) -> None:
        names = [c.get("name", "") for c in self.document["calendars"] if c.get("name")]
        self.policy_form.set_calendars(names)

    def _add_calendar(self) -> None:
        self._add("calendars", self.calendar_list, NEW_CALENDAR)
        self._calendar_names_changed()

    def _remove_calendar(self) -> None:
        self._remove("calendars", self.calendar_list)
        self._calendar_names_changed()
        self._check_policy(self.policy_list.currentRow())

    # --- policies ---------------------------------------------------------------------------

    def _policy_chosen(self, row: int) -> None:
        self.policy_form.setEnabled(row >= 0 and self.can_edit)
        if row >= 0:
            self.policy_form.load(self.document["policies"][row])
            self._check_policy(row)

    def _policy_edited(self) -> None:
        row = self.policy_list.currentRow()
        if row < 0:
            return
        value = self.policy_form.value()
        self.document["policies"][row] = value
        self.policy_list.item(row).setText(value["name"] or "(no name)")
        self.dirty = True
        self._check_policy(row)

    def _check_policy(self, row: int) -> SlaPolicy | None:
        if row < 0:
            return None
        data = self.document["policies"][row]
        policy: SlaPolicy | None = None
        error: InvalidConfig | None = None
        try:
            policy = SlaPolicy.from_dict(data)
        except InvalidConfig as exc:
            error = exc
        if policy is not None:
            names = [p.get("name") for p in self.document["policies"]]
            if names.count(policy.name) > 1:
                error = InvalidConfig("name", "another policy has this name")
        calendar: BusinessCalendar | None = None
        if policy is not None and error is None and policy.calendar is not None:
            found = [c for c in self.document["calendars"] if c.get("name") == policy.calendar]
            calendar = _calendar_or_error(found[0])[0] if found else None
            if calendar is None:
                error = InvalidConfig(
                    "calendar",
                    f"calendar {policy.calendar!r} is missing or not valid"
                    if not found
                    else f"calendar {policy.calendar!r} has an error: fix it on the Calendars tab",
                )
        self.policy_form.errors.show(error)
        if policy is None or error is not None:
            self.policy_preview.setText(escape("No preview until the policy is valid."))
            return None
        self.policy_preview.setText(self._preview(policy, calendar))
        return policy

    def _preview(self, policy: SlaPolicy, calendar: BusinessCalendar | None) -> str:
        now = self.ctx.now()
        state = compute_sla(policy, calendar, [TicketEvent.created(now)], now)
        zone = self.ctx.time_zone
        lines = []
        for target in state.targets:
            if target.target is None:
                continue
            clock = "business hours" if target.target.business_hours else "calendar time"
            budget = f"({target.target.minutes} min of {clock})"
            if target.due_at is None:
                # The next-response clock starts with the customer's next message.
                lines.append(
                    f"{KIND_LABELS[target.kind]}: counted from the customer's next message {budget}"
                )
                continue
            due = target.due_at.astimezone(zone)
            lines.append(f"{KIND_LABELS[target.kind]}: <b>{due:%a %d %b %Y, %H:%M}</b> {budget}")
        created = now.astimezone(zone)
        return (
            f"A ticket created now ({created:%a %d %b, %H:%M} {created.tzname()}) would be "
            "due at:<br>" + "<br>".join(lines)
        )

    def _add_policy(self) -> None:
        self._add("policies", self.policy_list, NEW_POLICY)

    def _remove_policy(self) -> None:
        self._remove("policies", self.policy_list)

    def _move_policy(self, step: int) -> None:
        row = self.policy_list.currentRow()
        other = row + step
        policies = self.document["policies"]
        if row < 0 or not 0 <= other < len(policies):
            return
        policies[row], policies[other] = policies[other], policies[row]
        self.dirty = True
        self._fill(self.policy_list, "policies")
        self.policy_list.setCurrentRow(other)

    # --- shared list handling ---------------------------------------------------------------

    def _add(self, key: str, items: QListWidget, template: dict[str, Any]) -> None:
        entry = copy.deepcopy(template)
        names = {e.get("name") for e in self.document[key]}
        base, number = entry["name"], 1
        while entry["name"] in names:
            number += 1
            entry["name"] = f"{base} {number}"
        self.document[key].append(entry)
        self.dirty = True
        items.addItem(entry["name"])
        items.setCurrentRow(items.count() - 1)

    def _remove(self, key: str, items: QListWidget) -> None:
        row = items.currentRow()
        if row < 0:
            return
        del self.document[key][row]
        self.dirty = True
        self._fill(items, key)
        items.setCurrentRow(min(row, items.count() - 1))
        if items.currentRow() < 0:
            (self._calendar_chosen if key == "calendars" else self._policy_chosen)(-1)

    # --- saving -----------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc and closing the window (QDialog routes its close event here) ask first.

        Switching items loses nothing (the whole document is saved), so only leaving asks."""
        guard(
            self,
            self.tr("the SLA rules"),
            dirty=self.dirty and self.can_edit,
            save=self.save,
            proceed=lambda: QDialog.reject(self),
        )

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Validate the whole document as an import would, then store it and recompute;
        `then` runs only if the save went through."""
        # Item by item first, so the message can point at the calendar or policy at fault.
        for key, build in (("calendars", BusinessCalendar), ("policies", SlaPolicy)):
            for row, entry in enumerate(self.document[key]):
                try:
                    build.from_dict(entry)
                except (InvalidConfig, ValueError, TypeError) as exc:
                    self._show_save_error(f"{key}[{row}] ({entry.get('name') or 'no name'}): {exc}")
                    return
        try:
            parse_rules(self.document)
        except DeskError as exc:
            self._show_save_error(str(exc))
            return
        document = copy.deepcopy(self.document)
        db, actor, clock = self.ctx.queries.db, self.ctx.agent, self.ctx.clock
        self.save_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Saving and recomputing due times…"))

        def done(result: dict[str, int]) -> None:
            self.save_button.setEnabled(self.can_edit)
            calendars, policies = result["calendars"], result["policies"]
            tickets = result["tickets_recomputed"]
            self.status.setText(
                english_plural(self.tr("Saved %n calendar(s)", "", calendars), calendars)
                + " · "
                + english_plural(self.tr("%n policy(ies)", "", policies), policies)
                + " · "
                + english_plural(
                    self.tr("due times of %n ticket(s) recomputed.", "", tickets), tickets
                )
            )
            self.saved_at = self.ctx.now()
            self.dirty = False
            if then is not None:
                then()

        def failed(error: BaseException) -> None:
            self.save_button.setEnabled(self.can_edit)
            if isinstance(error, DeskError):
                self._show_save_error(str(error))
            else:
                self.ctx.runner.report(error)

        self.ctx.runner.run(
            lambda: import_rules(db, document, actor.id if actor else None, clock), done, failed
        )

    def _show_save_error(self, text: str) -> None:
        """Say what is wrong and bring the item it is about into view."""
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(f"Not saved: {text}")
        match = _INDEXED.search(text)
        if match is None:
            return
        key, row = match.group(1), int(match.group(2))
        items = self.calendar_list if key == "calendars" else self.policy_list
        self.tabs.setCurrentIndex(1 if key == "calendars" else 0)
        if 0 <= row < items.count():
            items.setCurrentRow(row)

    saved_at: datetime | None = None


def _calendar_or_error(
    data: dict[str, Any],
) -> tuple[BusinessCalendar | None, InvalidConfig | None]:
    try:
        return BusinessCalendar.from_dict(data), None
    except InvalidConfig as exc:
        return None, exc
    except (ValueError, TypeError) as exc:
        return None, InvalidConfig("", str(exc))


def _preview_label() -> QLabel:
    label = rich_label("")
    label.setObjectName("slaPreview")
    label.setWordWrap(True)
    label.setMinimumHeight(72)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


def open_sla_admin(ctx: DeskContext, parent: QWidget) -> SlaAdminDialog:
    dialog = SlaAdminDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.load()
    return dialog
