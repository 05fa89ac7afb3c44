"""Pure domain code: no Qt, no SQL, no network. Everything here is testable with plain values."""
