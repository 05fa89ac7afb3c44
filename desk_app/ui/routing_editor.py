"""Edit the team's routing rules: an ordered list (first match wins), one rule's form, and a
tester that says which rule would take a pasted e-mail or a recent ticket, and why.

The list is saved whole through routing_store.save_rules, naming the version it was loaded at:
if someone saved meanwhile, nothing is overwritten and the message names who and when.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.errors import ConflictError, DeskError
from desk_app.core.permissions import Permission
from desk_app.core.routing import RoutingRule
from desk_app.store.routing_store import RulesSnapshot, load_snapshot, save_rules
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label
from desk_app.ui.plurals import english_plural
from desk_app.ui.routing_form import RuleForm
from desk_app.ui.routing_tester import RuleTester
from desk_app.ui.styles import ERROR_STYLE
from desk_app.ui.unsaved import guard
from desk_app.ui.window_sizing import pin_minimum_size

SIDE_WIDTH = 250
NEW_RULE: dict[str, Any] = {"name": "New rule", "assign_by": "nobody"}


class RoutingEditor(QDialog):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Routing rules"))
        self.setObjectName("routingEditor")
        self.rules: list[dict[str, Any]] = []
        self.version: int | None = None  # None until loaded
        self.dirty = False
        self.can_edit = ctx.may(Permission.EDIT_ROUTING)
        self._matched_row = -1

        self.rule_list = QListWidget()
        self.rule_list.setObjectName("routingRuleList")
        self.rule_list.currentRowChanged.connect(self._rule_chosen)
        self.form = RuleForm([d.name for d in ctx.departments])
        self.form.edited.connect(self._rule_edited)
        self.form.setEnabled(False)
        self.tester = RuleTester(ctx, self.current_rules)
        self.tester.matched.connect(self._mark_match)

        side_panel = QWidget()
        side_panel.setFixedWidth(SIDE_WIDTH)
        side = QVBoxLayout(side_panel)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.rule_list, 1)
        buttons = QGridLayout()
        self.list_buttons: dict[str, QPushButton] = {}
        for index, (name, text, handler) in enumerate(
            (
                ("add", "Add", self.add_rule),
                ("duplicate", "Duplicate", self.duplicate_rule),
                ("up", "Move up", lambda: self.move_rule(-1)),
                ("down", "Move down", lambda: self.move_rule(1)),
                ("delete", "Delete", self.delete_rule),
            )
        ):
            button = QPushButton(text)
            button.clicked.connect(handler)
            button.setEnabled(self.can_edit)
            self.list_buttons[name] = button
            buttons.addWidget(button, index // 2, index % 2)
        side.addLayout(buttons)
        order = plain_label(
            "The first rule that matches a new ticket takes it; the ones below are not "
            "looked at. A rule with no conditions catches everything: keep it last."
        )
        order.setObjectName("muted")
        order.setWordWrap(True)
        side.addWidget(order)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        # Side by side: the form needs its height, and the tester a tall box for a whole e-mail.
        right = QSplitter(Qt.Orientation.Horizontal)
        right.setChildrenCollapsible(False)
        right.addWidget(scroll)
        right.addWidget(self.tester)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([560, 380])
        row = QHBoxLayout()
        row.addWidget(side_panel)
        row.addWidget(right, 1)

        self.status = plain_label("")
        self.status.setObjectName("routingStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.read_only_note = plain_label(
            self.tr(
                "Only leads and admins can change the routing rules: you can read and test them."
            )
        )
        self.read_only_note.setObjectName("readOnlyNote")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setVisible(not self.can_edit)
        if not self.can_edit:
            self.save_button.setToolTip(self.read_only_note.text())
        self.buttons.accepted.connect(lambda: self.save())
        self.buttons.rejected.connect(self.reject)
        self.reload_button = QPushButton(self.tr("Reload"))
        self.reload_button.clicked.connect(self.reload)
        self.buttons.addButton(self.reload_button, QDialogButtonBox.ButtonRole.ResetRole)

        layout = QVBoxLayout(self)
        layout.addWidget(self.read_only_note)
        layout.addLayout(row, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(1240, 780)
        pin_minimum_size(self, 1040, 600)

    # --- loading ----------------------------------------------------------------------------

    def load(self) -> None:
        db = self.ctx.queries.db
        self._say("Loading…")
        self.ctx.runner.run(lambda: load_snapshot(db), self.set_snapshot)
        self.tester.load_tickets()

    def reload(self) -> None:
        """Reload replaces the edited list with the stored one: ask first."""
        self._guard(self.load)

    def reject(self) -> None:
        """Esc and closing the window (QDialog routes its close event here) ask first."""
        self._guard(lambda: QDialog.reject(self))

    def _guard(self, proceed: Callable[[], None]) -> None:
        # Switching rules in the list loses nothing (the whole list is saved), so only leaving
        # and reloading ask.
        guard(
            self,
            self.tr("the routing rules"),
            dirty=self.dirty and self.can_edit,
            save=self.save,
            proceed=proceed,
        )

    def set_snapshot(self, snapshot: RulesSnapshot) -> None:
        self.rules = [rule.to_dict() for rule in snapshot.rules]
        self.version = snapshot.version
        self.dirty = False
        self._fill(0)
        if snapshot.changed_by and snapshot.changed_at:
            at = snapshot.changed_at.astimezone(self.ctx.time_zone)
            self._say(f"Last saved by {snapshot.changed_by}, {at:%d %b %Y %H:%M}.")
        else:
            self._say(
                ""
                if self.rules
                else self.tr(
                    "No rules yet: each new ticket stays in the department of the mailbox it "
                    "came to, unassigned."
                )
            )
        self.save_button.setEnabled(self.can_edit)
        self.tester.retry()

    def _fill(self, select: int) -> None:
        """Rebuild the list (numbers follow the order) and select a row, loading its form."""
        self.rule_list.blockSignals(True)
        self.rule_list.clear()  # also leaves no current row, so the selection below is news
        for number, rule in enumerate(self.rules, start=1):
            self.rule_list.addItem(f"{number}. {rule.get('name') or '(no name)'}")
        self.rule_list.blockSignals(False)
        self._mark_match(self._matched_row)
        row = min(select, len(self.rules) - 1)
        self.rule_list.setCurrentRow(row)
        if row < 0:
            self._rule_chosen(-1)

    # --- the list ---------------------------------------------------------------------------

    def _rule_chosen(self, row: int) -> None:
        self.form.setEnabled(row >= 0 and self.can_edit)
        if row >= 0:
            self.form.load(self.rules[row])
            self.form.show_error(self._problem(row))
        else:
            self.form.load(NEW_RULE | {"name": ""})
            self.form.show_error(None)
        self._update_buttons()

    def _rule_edited(self) -> None:
        row = self.rule_list.currentRow()
        if row < 0:
            return
        self.rules[row] = self.form.value()
        self.rule_list.item(row).setText(f"{row + 1}. {self.rules[row]['name'] or '(no name)'}")
        self.form.show_error(self._problem(row))
        self._changed()

    def add_rule(self) -> None:
        self._insert(copy.deepcopy(NEW_RULE), len(self.rules))

    def duplicate_rule(self) -> None:
        row = self.rule_list.currentRow()
        if row >= 0:
            copied = copy.deepcopy(self.rules[row])
            copied["name"] = f"{copied.get('name') or 'Rule'} (copy)"
            self._insert(copied, row + 1)

    def _insert(self, rule: dict[str, Any], row: int) -> None:
        names = {r.get("name") for r in self.rules}
        base, number = rule["name"], 1
        while rule["name"] in names:
            number += 1
            rule["name"] = f"{base} {number}"
        self.rules.insert(row, rule)
        self._fill(row)
        self._changed()

    def delete_rule(self) -> None:
        row = self.rule_list.currentRow()
        if row < 0:
            return
        del self.rules[row]
        self._fill(row)
        self._changed()

    def move_rule(self, step: int) -> None:
        row = self.rule_list.currentRow()
        other = row + step
        if row < 0 or not 0 <= other < len(self.rules):
            return
        self.rules[row], self.rules[other] = self.rules[other], self.rules[row]
        self._fill(other)
        self._changed()

    def _changed(self) -> None:
        self.dirty = True
        self._say("Unsaved changes.")
        self.tester.retry()

    def _update_buttons(self) -> None:
        row, count = self.rule_list.currentRow(), len(self.rules)
        enabled = {
            "add": True,
            "duplicate": row >= 0,
            "delete": row >= 0,
            "up": row > 0,
            "down": 0 <= row < count - 1,
        }
        for name, button in self.list_buttons.items():
            button.setEnabled(self.can_edit and enabled[name])

    def _mark_match(self, row: int) -> None:
        """Bold the rule the tester says would take the message."""
        self._matched_row = row
        for index in range(self.rule_list.count()):
            item = self.rule_list.item(index)
            font = QFont(item.font())
            font.setBold(index == row)
            item.setFont(font)
            tip = "The tester's message would go to this rule." if index == row else ""
            item.setToolTip(tip)

    # --- checking ---------------------------------------------------------------------------

    def _problem(self, row: int) -> str | None:
        try:
            RoutingRule.from_dict(self.rules[row])
        except DeskError as error:
            return str(error)
        names = [r.get("name") for r in self.rules]
        if names.count(self.rules[row].get("name")) > 1:
            return "another rule has this name"
        return None

    def current_rules(self) -> list[RoutingRule] | str:
        """The list as edited, or what to fix first (for the tester and the save)."""
        rules = []
        for row in range(len(self.rules)):
            problem = self._problem(row)
            if problem is not None:
                return f"Rule {row + 1} ({self.rules[row].get('name') or 'no name'}): {problem}"
            rules.append(RoutingRule.from_dict(self.rules[row]))
        return rules

    # --- saving -----------------------------------------------------------------------------

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Save the whole list; `then` runs only if the save went through."""
        rules = self.current_rules()
        if isinstance(rules, str):
            self._say(f"Not saved: {rules}", error=True)
            return
        db, clock, version = self.ctx.queries.db, self.ctx.clock, self.version
        actor_id = self.ctx.agent.id if self.ctx.agent else None
        self.save_button.setEnabled(False)
        self._say("Saving…")

        def done(count: int) -> None:
            self.dirty = False
            self.version = (version or 0) + 1
            self.save_button.setEnabled(self.can_edit)
            self._say(
                english_plural(
                    self.tr("Saved %n rule(s); new mail is routed by them from now on.", "", count),
                    count,
                )
            )
            if then is not None:
                then()

        def failed(error: BaseException) -> None:
            self.save_button.setEnabled(self.can_edit)
            if isinstance(error, ConflictError):
                self._say(f"Not saved: {error}. Reload shows their version.", error=True)
            elif isinstance(error, DeskError):  # PermissionDenied, InvalidInput
                self._say(f"Not saved: {error}", error=True)
            else:
                self.ctx.runner.report(error)

        self.ctx.runner.run(
            lambda: save_rules(db, rules, actor_id, clock, expected_version=version), done, failed
        )

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setText(text)


def open_routing_editor(ctx: DeskContext, parent: QWidget) -> RoutingEditor:
    """Non-modal, so a lead can look at tickets while trying rules."""
    editor = RoutingEditor(ctx, parent)
    editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    editor.show()
    editor.load()
    return editor
