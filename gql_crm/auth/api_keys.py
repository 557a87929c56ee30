"""API keys: ``gqlcrm_<lookup>_<secret>``, and reading a bearer credential of either kind.

The lookup part finds the key's row; only a digest of the secret is stored. The secret is 32
random bytes, so a plain SHA-256 suffices: there is nothing to guess, and a key is checked on
every request, where a password hash's deliberate slowness would cost each call.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from gql_crm.auth.tokens import TokenClaims, read_token

PREFIX = "gqlcrm_"
_LOOKUP_BYTES = 8
_SECRET_BYTES = 32
_KEY = re.compile(r"(gqlcrm_[0-9a-f]{16})_([A-Za-z0-9_-]{43})")
PREFIX_MAX = len(PREFIX) + 2 * _LOOKUP_BYTES


@dataclass(frozen=True, slots=True)
class KeyClaims:
    """What a presented API key claims to be: its row's prefix and its secret's digest.
    Whether it stands for anyone is for the database to say, on every use."""

    prefix: str
    digest: str

    def matches(self, stored_digest: str) -> bool:
        return hmac.compare_digest(self.digest, stored_digest)


Credentials = TokenClaims | KeyClaims


def new_key() -> tuple[str, KeyClaims]:
    """A fresh key as the client is given it (once), and what is stored of it."""
    prefix = PREFIX + secrets.token_hex(_LOOKUP_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    return f"{prefix}_{secret}", KeyClaims(prefix, _digest(secret))


def read_key(key: str) -> KeyClaims | None:
    """The claims of a well-formed API key; None for anything else."""
    match = _KEY.fullmatch(key)
    return KeyClaims(match.group(1), _digest(match.group(2))) if match else None


def read_credentials(signing_key: str, token: str, *, now: datetime) -> Credentials | None:
    """A bearer credential, API key or login token, as far as it can be checked without the
    database; None when it is neither."""
    if token.startswith(PREFIX):
        return read_key(token)
    return read_token(signing_key, token, now=now)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
