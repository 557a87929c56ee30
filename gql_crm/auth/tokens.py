"""Signed, expiring bearer tokens (JWT, HS256)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    token_version: int
    expires_at: datetime


def issue_token(
    key: str, *, user_id: int, token_version: int, now: datetime, ttl: timedelta
) -> tuple[str, datetime]:
    expires_at = now + ttl
    payload = {"sub": str(user_id), "ver": token_version, "iat": now, "exp": expires_at}
    return jwt.encode(payload, key, algorithm=_ALGORITHM), expires_at


def read_token(key: str, token: str, *, now: datetime) -> TokenClaims | None:
    """The claims of a valid, unexpired token; None for anything else."""
    claims = _verified.get((key, token))
    if claims is None:
        claims = _verify(key, token)
        if claims is None:
            return None
        _verified[(key, token)] = claims
        if len(_verified) > _VERIFIED_MAX:
            _verified.pop(next(iter(_verified)))  # the oldest
    return claims if claims.expires_at > now else None


# A client sends the same token with every request, and checking its signature and claims
# cost more than the rest of authenticating it. The result depends on the key and the token
# alone; expiry is judged per call, and the user's token version by the database. Only
# tokens that verified are kept, so junk cannot push out the real ones.
_verified: dict[tuple[str, str], TokenClaims] = {}
_VERIFIED_MAX = 4096


def _verify(key: str, token: str) -> TokenClaims | None:
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            # Expiry (and issue time) are judged by the injectable clock, not the wall clock.
            options={"require": ["sub", "exp", "ver"], "verify_exp": False, "verify_iat": False},
        )
        return TokenClaims(
            user_id=int(payload["sub"]),
            token_version=int(payload["ver"]),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError, OSError):
        return None


def bearer_token(header: object) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, if that is what it is."""
    if not isinstance(header, str):
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
