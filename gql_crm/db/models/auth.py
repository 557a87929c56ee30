from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base


class LoginThrottle(Base):
    """Failed logins per login name (known or not), shared by every server process."""

    __tablename__ = "login_throttles"

    login_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
