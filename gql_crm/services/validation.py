"""Field checks shared by every domain; each returns the problem or None."""

from __future__ import annotations

import re

_PHONE = re.compile(r"^\+?[0-9(][0-9 ()-]{4,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOGIN_NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


def text_problem(value: str, *, max_length: int, required: bool = True) -> str | None:
    if required and not value.strip():
        return "must not be empty"
    if len(value) > max_length:
        return f"must have at most {max_length} characters (has {len(value)})"
    return None


def phone_problem(value: str | None) -> str | None:
    if value and not _PHONE.match(value):
        return f"'{value}' is not a phone number (digits, spaces, '+', '-', parentheses)"
    return None


def email_problem(value: str | None) -> str | None:
    if value and (len(value) > 254 or not _EMAIL.match(value)):
        return f"'{value}' is not an e-mail address"
    return None


def login_name_problem(value: str) -> str | None:
    if not _LOGIN_NAME.match(value):
        return "must be 2-64 letters, digits or the characters _ . @ -"
    return None


def non_negative_problem(value: int) -> str | None:
    return f"must be zero or more (got {value})" if value < 0 else None
