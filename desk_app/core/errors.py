"""Known errors: conditions a person can understand and act on.

Anything else that escapes is a bug. Each known error carries the CLI exit code it maps to, so the
scripting CLI, the GUI's message bridge and tests agree on what happened.
"""

from __future__ import annotations


class DeskError(Exception):
    """A known, explainable failure. The message is written for the person at the keyboard."""

    exit_code = 1
    kind = "error"


class UsageError(DeskError):
    exit_code = 2
    kind = "usage"


class InvalidInput(UsageError):
    """Bad input: the message names the field and what is wrong with it."""

    kind = "invalid"


class ConflictError(DeskError):
    """Someone changed the thing since the caller last looked; nothing was overwritten."""

    exit_code = 3
    kind = "conflict"


class CollisionError(ConflictError):
    """A message arrived on the ticket while the agent was writing: they should read it first.

    new_message_ids lists what they have not seen, so the window can show exactly those."""

    kind = "collision"

    def __init__(self, message: str, new_message_ids: tuple[int, ...]) -> None:
        super().__init__(message)
        self.new_message_ids = new_message_ids


class NotFound(DeskError):
    exit_code = 4
    kind = "not_found"


class PermissionDenied(DeskError):
    exit_code = 5
    kind = "permission_denied"


class Unavailable(DeskError):
    """The database, mail server or keyring cannot be reached or used right now."""

    exit_code = 6
    kind = "unavailable"
