from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from gql_crm.auth.masking import mask_email, mask_phone
from gql_crm.context import Info
from gql_crm.db.models import User

if TYPE_CHECKING:
    from gql_crm.schema.department import DepartmentType
    from gql_crm.schema.position import PositionType

_CONTACT_NOTE = " Masked (e.g. 138****5678) unless you have customer:view_contact_details."


@strawberry.type(name="User", description="An employee account.")
class UserType:
    id: int
    login_name: str
    name: str
    is_active: bool
    created_at: datetime
    department_id: int | None
    position_id: int | None
    _phone: strawberry.Private[str | None]
    _email: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, user: User) -> UserType:
        return cls(
            id=user.id,
            login_name=user.login_name,
            name=user.name,
            is_active=user.is_active,
            created_at=user.created_at,
            department_id=user.department_id,
            position_id=user.position_id,
            _phone=user.phone,
            _email=user.email,
        )

    def _sees_details(self, info: Info) -> bool:
        principal = info.context.principal
        return principal is not None and (
            principal.sees_contact_details or principal.user_id == self.id
        )

    @strawberry.field(description="Phone number." + _CONTACT_NOTE)
    def phone(self, info: Info) -> str | None:
        return self._phone if self._sees_details(info) else mask_phone(self._phone)

    @strawberry.field(description="E-mail address." + _CONTACT_NOTE)
    def email(self, info: Info) -> str | None:
        return self._email if self._sees_details(info) else mask_email(self._email)

    @strawberry.field
    async def department(
        self, info: Info
    ) -> Annotated[DepartmentType, strawberry.lazy("gql_crm.schema.department")] | None:
        from gql_crm.schema.department import DepartmentType

        if self.department_id is None:
            return None
        department = await info.context.loaders.department.load(self.department_id)
        return DepartmentType.from_model(department) if department else None

    @strawberry.field
    async def position(
        self, info: Info
    ) -> Annotated[PositionType, strawberry.lazy("gql_crm.schema.position")] | None:
        from gql_crm.schema.position import PositionType

        if self.position_id is None:
            return None
        position = await info.context.loaders.position.load(self.position_id)
        return PositionType.from_model(position) if position else None


@strawberry.type
class UserSuccess:
    user: UserType


@strawberry.input
class UserInput:
    name: str
    department_id: int | None = None
    position_id: int | None = None
    phone: str | None = None
    email: str | None = None


@strawberry.input
class CreateUserInput(UserInput):
    login_name: str
    password: str
