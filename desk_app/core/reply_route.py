"""Can a reply on a ticket reach the customer, and if not, why.

The worker sends a reply from the ticket's own mail account if it is active, else its
department's, else the first active account (MailStore._sending_account), to the customer's
first e-mail address. So a reply has nowhere to go only when no account is active at all, or the
customer has no address to write to. Saying so before Send keeps a reply from sitting "Queued"
until the worker fails it.
"""

from __future__ import annotations

from enum import StrEnum


class NoRoute(StrEnum):
    """Why a reply cannot be sent; the window and the CLI word it for people."""

    NO_ACCOUNT = "no_account"  # no active mail account can send anything
    UNREADABLE_ADDRESS = "unreadable_address"  # the sender's From could not be read
    NO_ADDRESS = "no_address"  # the customer has no e-mail address (e.g. a phone ticket)


def reply_route(*, has_account: bool, has_email: bool, unreadable_from: bool) -> NoRoute | None:
    """None when a reply can be sent; otherwise the first thing to fix (the account first:
    without one, adding an address would not help)."""
    if not has_account:
        return NoRoute.NO_ACCOUNT
    if has_email:
        return None
    return NoRoute.UNREADABLE_ADDRESS if unreadable_from else NoRoute.NO_ADDRESS


# English wording for the CLI and logs; the window words these itself through tr().
REASONS: dict[NoRoute, str] = {
    NoRoute.NO_ACCOUNT: "no mail account can send replies; add one with `desk account add`",
    NoRoute.UNREADABLE_ADDRESS: (
        "the customer's e-mail address could not be read; add it in the customer's details"
    ),
    NoRoute.NO_ADDRESS: "the customer has no e-mail address; add one in the customer's details",
}
