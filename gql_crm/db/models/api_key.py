"""API keys: credentials for integrations, each acting as its owner with at most a subset of
the owner's permissions (``services/api_key.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base, Record, reference


class ApiKey(Record, Base):
    __tablename__ = "api_keys"
    # The user the key acts as (a person for themself, or a service account).
    user_id: Mapped[int] = reference("users")
    name: Mapped[str] = mapped_column(
        String(100), doc="What the key is for, as its owner named it."
    )
    # "gqlcrm_" and 16 hex digits: the public beginning of the key, by which it is found.
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    # SHA-256 (hex) of the key's secret part; the secret itself is never stored.
    secret_digest: Mapped[str] = mapped_column(String(64))
    # The codes the key may use, when its owner still holds them.
    permissions: Mapped[list[str]] = mapped_column(
        JSON, doc="The permission codes the key grants: a subset of its owner's."
    )
    expires_at: Mapped[datetime | None] = mapped_column(
        doc="When the key stops working (null: never)."
    )
    # Written at most once a minute per key (see services/api_key.py).
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None] = mapped_column(
        doc="When the key was revoked (null: it is active)."
    )
    revoked_by_id: Mapped[int | None] = reference("users")
