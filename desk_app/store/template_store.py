"""Templates: commands, the lists agents see, effectiveness figures, and shared libraries.

Who sees what: `everyone` templates are for the whole team, `department` templates for that
department's members, `personal` templates for their owner only. Agents manage their own personal
templates; leads manage their departments' and everyone's; admins manage every shared template.
Every command runs in one transaction with its audit and change-log rows (entity "template").
Edits and deletes carry the version that was loaded: a stale write is a ConflictError naming
who changed the template since, and nothing is overwritten.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from desk_app.core.enums import Direction, Role, Status
from desk_app.core.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
from desk_app.core.permissions import Permission
from desk_app.core.templates import (
    Rendered,
    ReplyFacts,
    TemplateError,
    input_names,
    namespaces,
    render,
    validate_source,
)
from desk_app.store.authorisation import team_setting
from desk_app.store.command_base import CommandBase
from desk_app.store.customer_commands import first_email
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Agent,
    AgentDepartment,
    AuditEvent,
    Department,
    Message,
    TeamSetting,
    Template,
    TemplateFavourite,
    TemplateUse,
    Ticket,
)
from desk_app.store.sla_store import load_rules

SCOPES = ("everyone", "department", "personal")
COMPANY_NAME = "company.name"
SOLVED_WINDOW = timedelta(days=7)
_SHORTCUT = re.compile(r"^[\w-]{1,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
MAX_TITLE = 200
MAX_TAGS = 500
_DOCUMENT_KEYS = {
    "title",
    "body",
    "body_html",
    "subject",
    "language",
    "tags",
    "scope",
    "department",
    "owner",
    "shortcut",
}


MAX_TEMPLATE_ID = 2**31 - 1  # INTEGER on PostgreSQL


@dataclass(frozen=True)
class TemplateFields:
    """What a person edits. `department` is a name or id (scope "department" only)."""

    title: str
    body: str
    body_html: str | None = None
    subject: str | None = None
    language: str = "en"
    tags: str | Sequence[str] = ""
    scope: str = "everyone"
    department: str | int | None = None
    shortcut: str | None = None


@dataclass(frozen=True)
class TemplateRecord:
    id: int
    title: str
    body: str
    body_html: str | None
    subject: str | None
    language: str
    tags: list[str]
    scope: str
    department_id: int | None
    department: str | None
    owner_id: int | None
    owner: str | None
    shortcut: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    favourite: bool = False
    uses: int = 0
    # Tickets it was used on, and of those, how many were solved with no customer message
    # within 7 days of its (last) use; share is their ratio, None when never used.
    tickets: int = 0
    solved_first_time: int = 0
    inputs: list[str] = field(default_factory=list)

    @property
    def share_solved(self) -> float | None:
        return self.solved_first_time / self.tickets if self.tickets else None


@dataclass(frozen=True)
class FilledTemplate:
    """A template filled for one ticket: the texts and every placeholder left unresolved."""

    template_id: int
    title: str
    text: str
    subject: str | None
    html: str | None
    missing: list[str]
    inputs: list[str]


# --- reading helpers shared with the service ---------------------------------------------------


def record_uses(
    session: Session,
    journal: Journal,
    *,
    ticket_id: int,
    agent_id: int | None,
    message_id: int | None,
    template_ids: Sequence[int],
) -> None:
    """A reply that used these templates was stored (called inside the reply's transaction).
    A template deleted while the reply was being written is skipped: the reply must go out."""
    wanted = sorted(set(template_ids))
    if not wanted:
        return
    existing = set(session.scalars(select(Template.id).where(Template.id.in_(wanted))))
    for template_id in wanted:
        if template_id not in existing:
            continue
        session.add(
            TemplateUse(
                template_id=template_id,
                ticket_id=ticket_id,
                agent_id=agent_id,
                message_id=message_id,
                used_at=journal.at,
            )
        )
        journal.changed("template", template_id, "update")


class TemplateStore(CommandBase):
    """Template commands and queries on behalf of one agent (None: the system, e.g. the CLI
    without --as, which sees shared templates only)."""

    # --- queries ----------------------------------------------------------------------------

    def templates(self, *, with_figures: bool = True) -> list[TemplateRecord]:
        """Every template the acting agent may use, with their favourites and use counts."""
        with self.db.read() as session:
            actor = self._actor(session)
            rows = session.scalars(
                select(Template).where(self._visible(session, actor)).order_by(Template.title)
            ).all()
            records = self._records(session, rows)
            if with_figures:
                records = self._with_figures(session, records)
            return records

    def get(self, ref: str | int) -> TemplateRecord:
        with self.db.read() as session:
            template = self._find(session, ref)
            return self._with_figures(session, self._records(session, [template]))[0]

    def reply_facts(self, ticket_id: int) -> ReplyFacts:
        """What templates may show about this ticket, for its agent (the actor, else the
        assignee) and in the customer's language."""
        with self.db.read() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(f"ticket #{ticket_id} does not exist")
            agent = session.get(Agent, self.actor_id) if self.actor_id else ticket.assignee
            customer = ticket.customer
            target = None
            if ticket.sla_policy:
                policy = next(
                    (p for p in load_rules(session).policies if p.name == ticket.sla_policy), None
                )
                wanted = "first_response" if ticket.first_response_at is None else "next_response"
                if policy is not None:
                    target = next((t for t in policy.targets if t.kind == wanted), None)
            company = team_setting(session, COMPANY_NAME)
            return ReplyFacts(
                customer_name=customer.name,
                customer_email=session.scalar(first_email(customer.id)) or "",
                customer_language=customer.language,
                ticket_number=ticket.id,
                ticket_subject=ticket.subject,
                ticket_department=ticket.department.name if ticket.department else None,
                ticket_status=ticket.status,
                ticket_priority=ticket.priority,
                ticket_created_at=ticket.created_at,
                agent_name=agent.display_name if agent else "",
                agent_email=agent.email if agent else "",
                agent_signature=agent.signature if agent else "",
                agent_signatures=language_signatures(agent) if agent else {},
                time_zone=agent.time_zone if agent else "UTC",
                first_response_due_at=(
                    ticket.first_response_due_at if ticket.first_response_at is None else None
                ),
                next_response_due_at=ticket.next_response_due_at,
                resolution_due_at=ticket.resolution_due_at,
                response_target=target,
                company_name=company if isinstance(company, str) else "",
            )

    def fill(
        self, ref: str | int, ticket_id: int, inputs: Mapping[str, str] | None = None
    ) -> FilledTemplate:
        """A template filled for a ticket (what `desk templates render` prints)."""
        template = self.get(ref)
        facts = self.reply_facts(ticket_id)
        return fill_template(template, facts, self.clock(), inputs)

    # --- commands ---------------------------------------------------------------------------

    def create(self, fields: TemplateFields) -> TemplateRecord:
        with self.db.write() as session:
            journal = self._journal(session)
            actor = self._actor(session)
            values = self._clean(session, fields, actor)
            if values["scope"] == "personal" and actor is None:
                raise InvalidInput("a personal template needs an owner: act as an agent")
            self._require_manage(session, actor, values["scope"], values["department_id"], None)
            self._check_shortcut(session, values["shortcut"], None)
            template = Template(
                **values,
                owner_id=actor.id if actor else None,
                version=1,
                created_at=journal.at,
                updated_at=journal.at,
            )
            session.add(template)
            session.flush()
            journal.audit("template", template.id, "create", new=template.title)
            journal.changed("template", template.id, "insert")
            journal.finish()
            return self._records(session, [template])[0]

    def edit(
        self, template_id: int, fields: TemplateFields, *, expected_version: int | None
    ) -> TemplateRecord:
        with self.db.write() as session:
            journal = self._journal(session)
            actor = self._actor(session)
            template = self._for_update(session, template_id, expected_version)
            self._require_manage(
                session, actor, template.scope, template.department_id, template.owner_id
            )
            values = self._clean(session, fields, actor)
            self._require_manage(
                session, actor, values["scope"], values["department_id"], template.owner_id
            )
            self._check_shortcut(session, values["shortcut"], template.id)
            changed = False
            for name, value in values.items():
                old = getattr(template, name)
                if old == value:
                    continue
                setattr(template, name, value)
                changed = True
                journal.audit(
                    "template",
                    template.id,
                    "update",
                    field=name.removesuffix("_id"),
                    old=_short(old),
                    new=_short(value),
                )
            if values["scope"] == "personal" and template.owner_id is None and actor:
                template.owner_id = actor.id
            if changed:
                template.version += 1
                template.updated_at = journal.at
                journal.changed("template", template.id, "update")
                journal.finish()
            return self._records(session, [template])[0]

    def duplicate(self, template_id: int) -> TemplateRecord:
        """A copy to change freely: personal to the actor (so anyone may duplicate what they
        can see), no shortcut (shortcuts are unique), "(copy)" after the title."""
        source = self.get(template_id)
        return self.create(
            TemplateFields(
                title=f"{source.title} (copy)"[:MAX_TITLE],
                body=source.body,
                body_html=source.body_html,
                subject=source.subject,
                language=source.language,
                tags=source.tags,
                scope="personal" if self.actor_id else source.scope,
                department=source.department_id if not self.actor_id else None,
                shortcut=None,
            )
        )

    def delete(self, template_id: int, *, expected_version: int | None) -> None:
        with self.db.write() as session:
            journal = self._journal(session)
            actor = self._actor(session)
            template = self._for_update(session, template_id, expected_version)
            self._require_manage(
                session, actor, template.scope, template.department_id, template.owner_id
            )
            session.execute(
                delete(TemplateFavourite).where(TemplateFavourite.template_id == template.id)
            )
            session.execute(delete(TemplateUse).where(TemplateUse.template_id == template.id))
            journal.audit("template", template.id, "delete", old=template.title)
            journal.changed("template", template.id, "delete")
            session.delete(template)
            journal.finish()

    def toggle_favourite(self, template_id: int) -> bool:
        """Personal: no audit, no version. Returns whether it is now a favourite."""
        agent_id = self._require_actor()
        with self.db.write() as session:
            actor = self._actor(session)
            self._visible_template(session, actor, template_id)
            row = session.get(TemplateFavourite, (agent_id, template_id))
            if row is None:
                session.add(TemplateFavourite(agent_id=agent_id, template_id=template_id))
                return True
            session.delete(row)
            return False

    def set_team_setting(self, key: str, value: Any) -> None:
        with self.db.write() as session:
            journal = self._journal(session)
            self._require(session, Permission.TEAM_SETTINGS)
            row = session.get(TeamSetting, key)
            text = json.dumps(value, ensure_ascii=False)
            old = row.value if row else None
            if row is None:
                session.add(TeamSetting(key=key, value=text))
            else:
                row.value = text
            journal.audit("team_setting", 0, "update", field=key, old=old, new=text)
            journal.changed("team_setting", 0, "update")
            journal.finish()

    def set_signature(
        self, signature: str, agent: str | int | None = None, *, language: str | None = None
    ) -> None:
        """An agent's own signature ({{ agent.signature }}); the system may set anyone's.
        With `language`, the one for templates in that language (an empty text removes it,
        and the default one serves that language again)."""
        if language is not None and not _LANGUAGE.match(language.strip()):
            raise InvalidInput(f"'{language}' is not a language code (en, ja, ru, pt-BR...)")
        with self.db.write() as session:
            journal = self._journal(session)
            target = self._agent(session, agent if agent is not None else self._require_actor())
            if self.actor_id is not None and target.id != self.actor_id:
                raise PermissionDenied("not allowed: agents change their own signature only")
            if language is None:
                if target.signature == signature:
                    return
                journal.audit("agent", target.id, "update", field="signature", new=signature)
                target.signature = signature
            else:
                key = language.strip()
                signatures = language_signatures(target)
                old = signatures.get(key, "")
                if old == signature:
                    return
                if signature.strip():
                    signatures[key] = signature
                else:
                    signatures.pop(key, None)
                journal.audit(
                    "agent",
                    target.id,
                    "update",
                    field=f"signature ({key})",
                    old=old or None,
                    new=signature or None,
                )
                target.signatures = json.dumps(signatures, ensure_ascii=False, sort_keys=True)
            journal.changed("agent", target.id, "update")
            journal.finish()

    # --- libraries ----------------------------------------------------------------------------

    def export_library(self) -> dict[str, Any]:
        """The templates the actor sees, as a plain document (JSON or YAML); ids and figures
        left out, so another team can import it."""
        items = []
        for t in self.templates(with_figures=False):
            item: dict[str, Any] = {"title": t.title, "language": t.language}
            if t.shortcut:
                item["shortcut"] = t.shortcut
            if t.tags:
                item["tags"] = t.tags
            item["scope"] = t.scope
            if t.department:
                item["department"] = t.department
            if t.scope == "personal" and t.owner_id is not None:
                item["owner"] = self._owner_email(t.owner_id)
            if t.subject:
                item["subject"] = t.subject
            item["body"] = t.body
            if t.body_html:
                item["body_html"] = t.body_html
            items.append(item)
        return {"templates": items}

    def import_library(self, document: Any) -> dict[str, int]:
        """Add or update templates from a library document. Everything is validated first;
        one bad entry changes nothing. A template is matched by its shortcut, else by title,
        language and scope."""
        entries = _parse_document(document)
        created = updated = unchanged = 0
        with self.db.write() as session:
            journal = self._journal(session)
            actor = self._actor(session)
            if actor is not None and actor.role not in (Role.LEAD, Role.ADMIN):  # noqa: SIM102
                if any(entry.scope != "personal" for entry, _owner in entries):
                    raise PermissionDenied(
                        "not allowed: only leads and admins import shared templates; "
                        "mark them personal"
                    )
            prepared = []
            seen_shortcuts: dict[str, str] = {}
            # Every template at once: one query, instead of two per entry of a large library.
            library = _Existing(session.scalars(select(Template)).all())
            for position, (entry, owner_email) in enumerate(entries, start=1):
                where = f"template {position} ('{entry.title}')"
                try:
                    values = self._clean(session, entry, actor)
                except (InvalidInput, NotFound) as exc:
                    raise type(exc)(f"{where}: {exc}") from None
                owner_id = actor.id if actor else None
                if values["scope"] == "personal" and actor is None:
                    if not owner_email:
                        raise InvalidInput(f"{where}: a personal template needs an owner")
                    owner_id = self._agent(session, owner_email).id
                shortcut = values["shortcut"]
                if shortcut:
                    if shortcut in seen_shortcuts:
                        raise InvalidInput(
                            f"{where}: shortcut /{shortcut} is also used by "
                            f"'{seen_shortcuts[shortcut]}' in the file"
                        )
                    seen_shortcuts[shortcut] = entry.title
                existing = library.match(values, owner_id)
                try:
                    self._require_manage(
                        session,
                        actor,
                        values["scope"],
                        values["department_id"],
                        existing.owner_id if existing else owner_id,
                    )
                    other = library.by_shortcut.get(shortcut) if shortcut else None
                    if other is not None and other is not existing:
                        shown = f"'{other.title}'" if other.scope != "personal" else "another"
                        raise ConflictError(f"the shortcut /{shortcut} is already used by {shown}")
                except (PermissionDenied, ConflictError) as exc:
                    raise type(exc)(f"{where}: {exc}") from None
                prepared.append((values, owner_id, existing))
            for values, owner_id, existing in prepared:
                if existing is None:
                    template = Template(
                        **values,
                        owner_id=owner_id,
                        version=1,
                        created_at=journal.at,
                        updated_at=journal.at,
                    )
                    session.add(template)
                    session.flush()
                    journal.audit("template", template.id, "import", new=template.title)
                    journal.changed("template", template.id, "insert")
                    created += 1
                    continue
                if all(getattr(existing, k) == v for k, v in values.items()):
                    unchanged += 1
                    continue
                for name, value in values.items():
                    setattr(existing, name, value)
                existing.version += 1
                existing.updated_at = journal.at
                journal.audit("template", existing.id, "import", new=existing.title)
                journal.changed("template", existing.id, "update")
                updated += 1
            journal.finish()
        return {"created": created, "updated": updated, "unchanged": unchanged}

    # --- internals ----------------------------------------------------------------------------

    def _actor(self, session: Session) -> Agent | None:
        if self.actor_id is None:
            return None
        agent = session.get(Agent, self.actor_id)
        if agent is None:
            raise NotFound(f"agent {self.actor_id} does not exist")
        return agent

    def _memberships(self, session: Session, agent: Agent) -> set[int]:
        return set(
            session.scalars(
                select(AgentDepartment.department_id).where(AgentDepartment.agent_id == agent.id)
            )
        )

    def _visible(self, session: Session, actor: Agent | None) -> Any:
        shared = Template.scope == "everyone"
        if actor is None:
            return or_(shared, Template.scope == "department")
        own = (Template.scope == "personal") & (Template.owner_id == actor.id)
        if actor.role == Role.ADMIN:
            return or_(shared, Template.scope == "department", own)
        departments = self._memberships(session, actor)
        return or_(
            shared,
            (Template.scope == "department") & Template.department_id.in_(departments or {-1}),
            own,
        )

    def _visible_template(self, session: Session, actor: Agent | None, ref: int) -> Template:
        # Template ids are 32-bit on PostgreSQL: a larger number names no template (and would
        # make the server refuse the query rather than find nothing).
        template = (
            session.scalars(
                select(Template).where(Template.id == ref, self._visible(session, actor))
            ).first()
            if 1 <= ref <= MAX_TEMPLATE_ID
            else None
        )
        if template is None:
            raise NotFound(f"template {ref} does not exist (or is not yours to see)")
        return template

    def _find(self, session: Session, ref: str | int) -> Template:
        actor = self._actor(session)
        visible = self._visible(session, actor)
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self._visible_template(session, actor, int(ref))
        text = ref.strip()
        by_shortcut = session.scalars(
            select(Template).where(visible, Template.shortcut == text.lstrip("/").lower())
        ).first()
        if by_shortcut is not None:
            return by_shortcut
        by_title = session.scalars(
            select(Template).where(visible, func.lower(Template.title) == text.lower())
        ).all()
        if len(by_title) == 1:
            return by_title[0]
        if len(by_title) > 1:
            choices = ", ".join(f"{t.id} ({t.language})" for t in by_title)
            raise InvalidInput(f"several templates are called '{text}'; give an id: {choices}")
        raise NotFound(f"no template called '{text}' (title, /shortcut or id)")

    def _for_update(
        self, session: Session, template_id: int, expected_version: int | None
    ) -> Template:
        template = session.scalars(
            select(Template).where(Template.id == template_id).with_for_update()
        ).first()
        if template is None:
            raise NotFound(f"template {template_id} does not exist")
        actor = self._actor(session)
        if not session.scalar(
            select(func.count())
            .select_from(Template)
            .where(Template.id == template_id, self._visible(session, actor))
        ):
            raise NotFound(f"template {template_id} does not exist (or is not yours to see)")
        if expected_version is not None and template.version != expected_version:
            raise ConflictError(self._conflict(session, template, expected_version))
        return template

    def _conflict(self, session: Session, template: Template, expected: int) -> str:
        last = session.execute(
            select(AuditEvent.at, Agent.display_name)
            .outerjoin(Agent, Agent.id == AuditEvent.actor_agent_id)
            .where(AuditEvent.entity == "template", AuditEvent.entity_id == template.id)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).first()
        who = (last[1] or "the system") if last else "someone"
        when = f" at {last[0]:%Y-%m-%d %H:%M} UTC" if last else ""
        return (
            f"template '{template.title}' was changed by {who}{when} since you loaded it (your "
            f"version {expected}, now {template.version}). Nothing was saved; reload and try again."
        )

    def _require_manage(
        self,
        session: Session,
        actor: Agent | None,
        scope: str,
        department_id: int | None,
        owner_id: int | None,
    ) -> None:
        if actor is None:
            return  # the system (demo seed; the CLI only while the team has no admin)
        if not actor.is_active:
            raise PermissionDenied("not allowed: this agent is deactivated")
        if scope == "personal":
            if owner_id not in (None, actor.id):
                raise PermissionDenied(
                    "not allowed: a personal template can be changed by its owner only"
                )
            return
        if actor.role == Role.ADMIN:
            return
        if actor.role != Role.LEAD:
            raise PermissionDenied(
                "not allowed: only leads and admins change shared templates; keep yours personal"
            )
        if scope == "department" and department_id not in self._memberships(session, actor):
            raise PermissionDenied(
                "not allowed: leads change the templates of their own departments only"
            )

    def _clean(
        self, session: Session, fields: TemplateFields, actor: Agent | None
    ) -> dict[str, Any]:
        title = " ".join(fields.title.split())
        if not title:
            raise InvalidInput("a template needs a title")
        if len(title) > MAX_TITLE:
            raise InvalidInput(f"the title is longer than {MAX_TITLE} characters")
        if not fields.body.strip():
            raise InvalidInput("a template needs a body")
        validate_source(fields.body, "body")
        body_html = fields.body_html if fields.body_html and fields.body_html.strip() else None
        if body_html:
            validate_source(body_html, "rich body")
        subject = " ".join((fields.subject or "").split()) or None
        if subject:
            if len(subject) > 500:
                raise InvalidInput("the subject is longer than 500 characters")
            validate_source(subject, "subject")
        language = (fields.language or "en").strip()
        if not _LANGUAGE.match(language):
            raise InvalidInput(f"'{language}' is not a language code (en, ja, ru, pt-BR...)")
        raw_tags = fields.tags.split() if isinstance(fields.tags, str) else list(fields.tags)
        tags = " ".join(dict.fromkeys(str(t).strip().lower().lstrip("#") for t in raw_tags if t))
        if len(tags) > MAX_TAGS:
            raise InvalidInput(f"the tags are longer than {MAX_TAGS} characters")
        scope = (fields.scope or "everyone").strip().lower()
        if scope not in SCOPES:
            raise InvalidInput(f"'{fields.scope}' is not a scope: use {', '.join(SCOPES)}")
        department_id = None
        if scope == "department":
            if fields.department is None or fields.department == "":
                raise InvalidInput("a department template needs its department")
            department_id = self._department(session, fields.department).id
        shortcut = (fields.shortcut or "").strip().lstrip("/").lower() or None
        if shortcut and not _SHORTCUT.match(shortcut):
            raise InvalidInput(
                f"shortcut '/{shortcut}' may hold letters, digits, '-' and '_' only (63 at most)"
            )
        return {
            "title": title,
            "body": fields.body,
            "body_html": body_html,
            "subject": subject,
            "language": language,
            "tags": tags,
            "scope": scope,
            "department_id": department_id,
            "shortcut": shortcut,
        }

    def _check_shortcut(self, session: Session, shortcut: str | None, own_id: int | None) -> None:
        if not shortcut:
            return
        other = session.scalars(
            select(Template).where(Template.shortcut == shortcut, Template.id != (own_id or -1))
        ).first()
        if other is not None:
            shown = f"'{other.title}'" if other.scope != "personal" else "another template"
            raise ConflictError(f"the shortcut /{shortcut} is already used by {shown}")

    def _owner_email(self, owner_id: int) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(Agent.email).where(Agent.id == owner_id))

    def _records(self, session: Session, rows: Sequence[Template]) -> list[TemplateRecord]:
        departments = {
            row[0]: row[1] for row in session.execute(select(Department.id, Department.name))
        }
        owners = {row[0]: row[1] for row in session.execute(select(Agent.id, Agent.display_name))}
        favourites: set[int] = set()
        if self.actor_id is not None:
            favourites = set(
                session.scalars(
                    select(TemplateFavourite.template_id).where(
                        TemplateFavourite.agent_id == self.actor_id
                    )
                )
            )
        return [
            TemplateRecord(
                id=t.id,
                title=t.title,
                body=t.body,
                body_html=t.body_html,
                subject=t.subject,
                language=t.language,
                tags=t.tags.split(),
                scope=t.scope,
                department_id=t.department_id,
                department=departments.get(t.department_id) if t.department_id else None,
                owner_id=t.owner_id,
                owner=owners.get(t.owner_id) if t.owner_id else None,
                shortcut=t.shortcut,
                version=t.version,
                created_at=t.created_at,
                updated_at=t.updated_at,
                favourite=t.id in favourites,
                inputs=list(input_names(t.body)),
            )
            for t in rows
        ]

    def _with_figures(
        self, session: Session, records: list[TemplateRecord]
    ) -> list[TemplateRecord]:
        """Uses, and the tickets solved without another customer message within 7 days of the
        template's last use on them (the sign a template answers the question by itself)."""
        if not records:
            return records
        uses = {
            row[0]: row[1]
            for row in session.execute(
                select(TemplateUse.template_id, func.count()).group_by(TemplateUse.template_id)
            )
        }
        pairs = session.execute(
            select(
                TemplateUse.template_id,
                TemplateUse.ticket_id,
                func.max(TemplateUse.used_at),
                Ticket.status,
                Ticket.solved_at,
            )
            .join(Ticket, Ticket.id == TemplateUse.ticket_id)
            .group_by(
                TemplateUse.template_id, TemplateUse.ticket_id, Ticket.status, Ticket.solved_at
            )
        ).all()
        inbound: dict[int, list[datetime]] = defaultdict(list)
        if pairs:
            used_tickets = select(TemplateUse.ticket_id).distinct().scalar_subquery()
            earliest = min(row[2] for row in pairs)
            for ticket_id, at in session.execute(
                select(Message.ticket_id, Message.created_at).where(
                    Message.ticket_id.in_(used_tickets),
                    Message.direction == Direction.INBOUND.value,
                    Message.created_at > earliest,
                )
            ):
                inbound[ticket_id].append(at)
        tickets: dict[int, int] = defaultdict(int)
        solved: dict[int, int] = defaultdict(int)
        solved_states = (Status.SOLVED.value, Status.CLOSED.value)
        for template_id, ticket_id, last_used, status, solved_at in pairs:
            tickets[template_id] += 1
            came_back = any(
                last_used < at <= last_used + SOLVED_WINDOW for at in inbound.get(ticket_id, ())
            )
            if status in solved_states and solved_at is not None and not came_back:
                solved[template_id] += 1
        return [
            replace(
                r,
                uses=uses.get(r.id, 0),
                tickets=tickets.get(r.id, 0),
                solved_first_time=solved.get(r.id, 0),
            )
            for r in records
        ]


class _Existing:
    """The stored templates, found the way an import matches them: by shortcut, else by title,
    language and scope (department or owner included where the scope has one)."""

    def __init__(self, templates: Sequence[Template]) -> None:
        self.by_shortcut = {t.shortcut: t for t in templates if t.shortcut}
        self.by_key: dict[tuple[object, ...], Template] = {}
        for t in templates:
            self.by_key.setdefault(
                self.key(t.title, t.language, t.scope, t.department_id, t.owner_id), t
            )

    @staticmethod
    def key(
        title: str, language: str, scope: str, department_id: int | None, owner_id: int | None
    ) -> tuple[object, ...]:
        return (
            title,
            language,
            scope,
            department_id if scope == "department" else None,
            owner_id if scope == "personal" else None,
        )

    def match(self, values: Mapping[str, Any], owner_id: int | None) -> Template | None:
        if values["shortcut"] and values["shortcut"] in self.by_shortcut:
            return self.by_shortcut[values["shortcut"]]
        return self.by_key.get(
            self.key(
                values["title"],
                values["language"],
                values["scope"],
                values["department_id"],
                owner_id,
            )
        )


def language_signatures(agent: Agent) -> dict[str, str]:
    """An agent's signatures per language (agents.signatures); unreadable JSON counts as none."""
    try:
        stored = json.loads(agent.signatures or "{}")
    except ValueError:
        return {}
    if not isinstance(stored, dict):
        return {}
    return {str(k): str(v) for k, v in stored.items() if isinstance(v, str)}


def fill_template(
    template: TemplateRecord,
    facts: ReplyFacts,
    now: datetime,
    inputs: Mapping[str, str] | None = None,
) -> FilledTemplate:
    values = namespaces(facts, now, template_language=template.language)
    text = render(template.body, values, inputs)
    subject: Rendered | None = (
        render(template.subject, values, inputs, kind="subject") if template.subject else None
    )
    html: Rendered | None = (
        render(template.body_html, values, inputs, kind="html") if template.body_html else None
    )
    missing: list[str] = []
    for part in (text, subject, html):
        for path in part.missing if part else ():
            if path not in missing:
                missing.append(path)
    return FilledTemplate(
        template_id=template.id,
        title=template.title,
        text=text.text,
        subject=subject.text if subject else None,
        html=html.text if html else None,
        missing=missing,
        inputs=list(template.inputs),
    )


def _short(value: object) -> object:
    if isinstance(value, str) and len(value) > 200:
        return value[:199] + "…"
    return value


def _parse_document(document: Any) -> list[tuple[TemplateFields, str | None]]:
    if not isinstance(document, Mapping) or set(document) - {"templates"}:
        raise InvalidInput("a template library holds one key, 'templates', with a list")
    items = document.get("templates") or []
    if not isinstance(items, list):
        raise InvalidInput("'templates' must be a list")
    entries = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise InvalidInput(f"template {position} is not a mapping of fields")
        unknown = set(item) - _DOCUMENT_KEYS
        if unknown:
            raise InvalidInput(
                f"template {position}: unknown fields {', '.join(sorted(map(str, unknown)))}"
            )
        for key in ("title", "body"):
            if not isinstance(item.get(key), str):
                raise InvalidInput(f"template {position}: '{key}' is required text")
        tags = item.get("tags", "")
        if not isinstance(tags, str | list):
            raise InvalidInput(f"template {position}: 'tags' is a list or text")
        for key in ("body_html", "subject", "language", "scope", "shortcut", "owner"):
            if item.get(key) is not None and not isinstance(item.get(key), str):
                raise InvalidInput(f"template {position}: '{key}' must be text")
        department = item.get("department")
        if department is not None and not isinstance(department, str | int):
            raise InvalidInput(f"template {position}: 'department' is a department's name")
        fields = TemplateFields(
            title=item["title"],
            body=item["body"],
            body_html=item.get("body_html"),
            subject=item.get("subject"),
            language=item.get("language") or "en",
            tags=[str(t) for t in tags] if isinstance(tags, list) else tags,
            scope=item.get("scope") or "everyone",
            department=department,
            shortcut=item.get("shortcut"),
        )
        entries.append((fields, item.get("owner")))
    return entries


__all__ = [
    "COMPANY_NAME",
    "FilledTemplate",
    "TemplateError",
    "TemplateFields",
    "TemplateRecord",
    "TemplateStore",
    "fill_template",
    "record_uses",
    "team_setting",
]
