"""Demo data: one company, a department tree, three positions and five users. Idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.passwords import hash_password
from gql_crm.auth.permissions import ALL_PERMISSIONS, Action, Advanced, Module, basic
from gql_crm.db.models import DataScope, Department, Position, User
from gql_crm.services.setting import ensure_defaults, get_settings

_SALES_MODULES = (
    Module.CUSTOMER,
    Module.CONTACT,
    Module.FOLLOWUP,
    Module.TASK,
    Module.OPPORTUNITY,
    Module.ORDER,
    Module.PAYMENT,
    Module.REFUND,
    Module.EXPENSE,
    Module.DOCUMENT,
)
_STAFF = sorted(
    [basic(m, a) for m in _SALES_MODULES for a in (Action.VIEW, Action.CREATE, Action.EDIT)]
    + [basic(Module.PRODUCT, Action.VIEW), basic(Module.ANNOUNCEMENT, Action.VIEW)]
)
_MANAGER = sorted(
    {
        *_STAFF,
        *(basic(m, a) for m in _SALES_MODULES for a in (Action.DELETE, Action.EXPORT)),
        basic(Module.STATISTICS, Action.VIEW),
        Advanced.VIEW_CONTACT_DETAILS,
        Advanced.EDIT_OTHERS_FOLLOWUPS,
        Advanced.APPROVE_EXPENSES,
        Advanced.RECORD_ANY_PAYMENT,
    }
)

POSITIONS = {
    "Administrator": ("Runs the company's CRM.", sorted(ALL_PERMISSIONS), DataScope.ALL),
    "Sales manager": ("Leads a sales department.", _MANAGER, DataScope.OWN_AND_SUBORDINATES),
    "Sales staff": ("Sells; may edit but not delete customers.", _STAFF, DataScope.OWN),
}
# login name -> (name, department, position, phone, e-mail)
USERS = {
    "admin": ("Administrator", "Head Office", "Administrator", "13800000000", "admin@example.com"),
    "manager1": ("Li Na", "Sales Dept 1", "Sales manager", "13811112222", "li.na@example.com"),
    "sales1": ("Wang Wei", "Sales Dept 1", "Sales staff", "13822223333", "wang.wei@example.com"),
    "sales2": ("Zhang Min", "Sales Dept 1", "Sales staff", "13833334444", "zhang.min@example.com"),
    "sales3": ("Liu Yang", "Sales Dept 2", "Sales staff", "13844445555", "liu.yang@example.com"),
}
# department -> (parent, manager)
DEPARTMENTS = {
    "Head Office": (None, "admin"),
    "Sales Dept 1": ("Head Office", "manager1"),
    "Sales Dept 2": ("Head Office", None),
}


async def seed_demo(session: AsyncSession, *, password: str, now: datetime) -> bool:
    """Create what is missing of the demo company; True if anything was created."""
    await ensure_defaults(session)
    if await session.scalar(select(User.id).where(User.login_name == "admin")):
        return False
    settings = await get_settings(session)
    settings.company_name = "Demo Trading Co."

    positions: dict[str, Position] = {}
    for name, (description, permissions, scope) in POSITIONS.items():
        position = await session.scalar(select(Position).where(Position.name == name))
        if position is None:
            position = Position(
                name=name,
                description=description,
                permissions=permissions,
                data_scope=scope,
                created_at=now,
            )
            session.add(position)
        positions[name] = position

    departments: dict[str, Department] = {}
    for name, (parent_name, _manager) in DEPARTMENTS.items():
        department = Department(name=name, created_at=now)
        if parent_name is not None:
            department.parent_id = departments[parent_name].id
        session.add(department)
        await session.flush()
        departments[name] = department

    password_hash = hash_password(password)
    users: dict[str, User] = {}
    for login_name, (name, department_name, position_name, phone, email) in USERS.items():
        user = User(
            login_name=login_name,
            password_hash=password_hash,
            name=name,
            department_id=departments[department_name].id,
            position_id=positions[position_name].id,
            phone=phone,
            email=email,
            created_at=now,
        )
        session.add(user)
        users[login_name] = user
    await session.flush()
    for name, (_parent, manager) in DEPARTMENTS.items():
        if manager is not None:
            departments[name].manager_id = users[manager].id
    await session.flush()
    return True
