from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import User
from gql_crm.schema.constraints import constraint
from gql_crm.schema.kit import ModelInput, ModelType
from gql_crm.schema.masking import masked_field

if TYPE_CHECKING:
    from gql_crm.schema.department import DepartmentType
    from gql_crm.schema.position import PositionType


@strawberry.type(name="User", description="An employee account.")
class UserType(ModelType, model=User):
    id: int
    login_name: str
    name: str
    is_active: bool
    is_service_account: bool = strawberry.field(
        description="An integration's account: no password, API keys only."
    )
    created_at: datetime
    department_id: int | None
    position_id: int | None
    phone = masked_field(User, "phone", description="Phone number.")
    email = masked_field(User, "email", description="E-mail address.")
    _model: strawberry.Private[User]

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
class UserInput(ModelInput, model=User):
    name: str = strawberry.field(
        metadata=constraint(max_length=100, single_line=True, required=True)
    )
    department_id: int | None = None
    position_id: int | None = None
    phone: str | None = None
    email: str | None = None


@strawberry.input
class CreateUserInput(UserInput):
    login_name: str = strawberry.field(
        description="The name to sign in with: unique, without spaces."
    )
    password: str = strawberry.field(description="The first password.")


@strawberry.input
class ServiceAccountInput(UserInput):
    login_name: str = strawberry.field(
        description="The account's name: unique, without spaces. It signs in with API keys only."
    )
