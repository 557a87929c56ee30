from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.db.base import Base

# An IPv6 network in text ("2001:db8:85a3:8d3:1319:8a2e:370:7348" is 39 characters, a /64
# prefix fewer) or an IPv4 address; longer unparsable addresses are cut to this length.
CLIENT_MAX = 64


class LoginThrottle(Base):
    """Failed attempts at a login name's password from one client (known login name or not),
    shared by every server process; signing in and changing one's password both count.

    ``signed_in_at`` marks a client that has signed in as this login name: such a client is
    never refused because of failures from other clients. ``expires_at`` is when the row
    stops meaning anything (window over, lock over, client no longer remembered); rows past
    it are pruned.
    """

    __tablename__ = "login_throttles"

    login_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    client: Mapped[str] = mapped_column(String(CLIENT_MAX), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    signed_in_at: Mapped[datetime | None]
    expires_at: Mapped[datetime] = mapped_column(index=True)
