"""The closed vocabularies of the domain, stored as their string values."""

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


# Unsolved tickets are the ones somebody still has to work on; every "open" view is built on them.
UNSOLVED_STATUSES: tuple[Status, ...] = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_RANK: dict[Priority, int] = {
    Priority.LOW: 0,
    Priority.NORMAL: 1,
    Priority.HIGH: 2,
    Priority.URGENT: 3,
}


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    WEB = "web"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    NOTE = "note"


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    # The From header of an e-mail whose address could not be read, as written: it tells
    # that sender from other unreadable ones (no address to reply to; never merged).
    RAW_FROM = "raw_from"


class DeliveryState(StrEnum):
    """Where an outbound message is on its way to the customer."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class DraftKind(StrEnum):
    REPLY = "reply"
    NOTE = "note"
