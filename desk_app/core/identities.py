"""How customers are recognised: by e-mail address or phone number, normalised so that the
same person written two ways is one identity."""

from __future__ import annotations

import re

from desk_app.core.errors import InvalidInput

# Deliberately permissive: the mail server already accepted the address; we only refuse what
# cannot be an address at all (no @, spaces, empty parts).
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+$")


def normalise_email(address: str) -> str:
    """Lower-case and trim an e-mail address; raise InvalidInput if it is not one."""
    value = address.strip().strip("<>").strip()
    if not _EMAIL_SHAPE.match(value):
        raise InvalidInput(f"'{address}' is not an e-mail address")
    local, _, domain = value.rpartition("@")
    # IDNA-encode the domain so that a Cyrillic or Japanese domain written in Unicode and in
    # punycode is the same customer.
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidInput(f"'{address}' has an invalid domain") from exc
    return f"{local}@{domain}".lower()


def normalise_phone(number: str, default_region: str | None = None) -> str:
    """Return the number in E.164 (+81312345678); raise InvalidInput if it is not a number."""
    # Imported on first use: its metadata costs start-up time for every e-mail-only customer.
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{number}' is not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidInput(f"'{number}' is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_identity(value: str, default_region: str | None = None) -> tuple[str, str]:
    """('email' | 'phone', normalised value) for an address or number as a person typed it."""
    if "@" in value:
        return "email", normalise_email(value)
    return "phone", normalise_phone(value, default_region)
