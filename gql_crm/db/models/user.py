from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from gql_crm.auth.masking import Mask, sensitive
from gql_crm.db.base import Base, reference


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login_name: Mapped[str] = mapped_column(
        String(64), unique=True, doc="The name the user signs in with, unique."
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100), doc="The user's full name.")
    department_id: Mapped[int | None] = reference("departments", "RESTRICT")
    position_id: Mapped[int | None] = reference("positions", "RESTRICT")
    phone: Mapped[str | None] = mapped_column(
        String(32), info=sensitive(Mask.PHONE), doc="Phone number."
    )
    email: Mapped[str | None] = mapped_column(
        String(254), info=sensitive(Mask.EMAIL), doc="E-mail address."
    )
    is_active: Mapped[bool] = mapped_column(
        default=True, doc="Whether the user may sign in (deactivated users keep their records)."
    )
    # An integration's account: no password anyone knows, signs in only with API keys.
    is_service_account: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Bumped on password change, reset, deactivation and deletion: tokens carry the version
    # they were issued for, so every older token stops working at once.
    token_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
