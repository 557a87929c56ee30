"""Data scopes: who sees whose records, computed once (Principal) and applied as SQL."""

from __future__ import annotations

from sqlalchemy import select

from gql_crm.auth.principal import Principal
from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.db.models import DataScope, Department, Position, User
from gql_crm.db.scopes import load_principal, scope_filter
from tests.graphql_client import GraphQLClient


async def _user(database: Database, login_name: str) -> User:
    async with database.reader() as session:
        user = await session.scalar(select(User).where(User.login_name == login_name))
    assert user is not None
    return user


async def _principal(database: Database, login_name: str) -> Principal:
    user = await _user(database, login_name)
    async with database.reader() as session:
        principal = await load_principal(session, user.id, user.token_version)
    assert principal is not None
    return principal


async def _visible_logins(database: Database, principal: Principal) -> set[str]:
    async with database.reader() as session:
        stmt = select(User.login_name).where(scope_filter(principal, User.id))
        return set((await session.scalars(stmt)).all())


async def _add_sub_department_with_user(database: Database, clock: FrozenClock) -> None:
    """Sales Dept 1 -> Team 1A (no manager) -> user sales1a."""
    async with database.writer() as session, session.begin():
        dept1 = await session.scalar(select(Department).where(Department.name == "Sales Dept 1"))
        staff = await session.scalar(select(Position).where(Position.name == "Sales staff"))
        assert dept1 is not None and staff is not None
        team = Department(name="Team 1A", parent_id=dept1.id, created_at=clock.now())
        session.add(team)
        await session.flush()
        session.add(
            User(
                login_name="sales1a",
                password_hash="x",
                name="Team member",
                department_id=team.id,
                position_id=staff.id,
                created_at=clock.now(),
            )
        )


async def test_own_scope_sees_only_itself(database: Database) -> None:
    principal = await _principal(database, "sales1")
    assert principal.data_scope is DataScope.OWN
    assert await _visible_logins(database, principal) == {"sales1"}


async def test_manager_sees_subordinates_recursively_but_not_peers(
    database: Database, clock: FrozenClock
) -> None:
    await _add_sub_department_with_user(database, clock)
    principal = await _principal(database, "manager1")
    assert principal.data_scope is DataScope.OWN_AND_SUBORDINATES
    assert await _visible_logins(database, principal) == {
        "manager1",
        "sales1",
        "sales2",
        "sales1a",
    }
    sales3 = await _user(database, "sales3")
    assert not principal.can_see_owner(sales3.id)


async def test_department_scope_covers_the_department_and_below(
    database: Database, clock: FrozenClock
) -> None:
    await _add_sub_department_with_user(database, clock)
    async with database.writer() as session, session.begin():
        position = await session.scalar(select(Position).where(Position.name == "Sales staff"))
        assert position is not None
        position.data_scope = DataScope.DEPARTMENT
    assert await _visible_logins(database, await _principal(database, "sales2")) == {
        "manager1",
        "sales1",
        "sales2",
        "sales1a",
    }
    assert await _visible_logins(database, await _principal(database, "sales3")) == {"sales3"}


async def test_all_scope_sees_everyone(database: Database) -> None:
    principal = await _principal(database, "admin")
    assert principal.visible_owner_ids is None
    assert len(await _visible_logins(database, principal)) == 5


async def test_a_user_without_position_has_no_permissions_and_own_scope(
    database: Database,
) -> None:
    async with database.writer() as session, session.begin():
        user = await session.scalar(select(User).where(User.login_name == "sales3"))
        assert user is not None
        user.position_id = None
    principal = await _principal(database, "sales3")
    assert principal.permissions == frozenset()
    assert principal.data_scope is DataScope.OWN


LOG = """
query($type: String) {
  operationLog(entityType: $type, first: 50) {
    totalCount
    edges { node { action entityId actor { loginName } } }
  }
}
"""
CHANGE_PASSWORD = """
mutation { changePassword(currentPassword: "demo-password", newPassword: "changed-password") {
  __typename } }
"""


async def test_operation_log_follows_the_readers_scope(gql: GraphQLClient) -> None:
    for login_name in ("sales1", "sales3", "manager1"):
        client = await gql.as_user(login_name)
        assert (await client.data(CHANGE_PASSWORD))["changePassword"]["__typename"] == (
            "LoginSuccess"
        )

    async def actors(login_name: str) -> list[str]:
        client = await gql.as_user(login_name, "changed-password")
        data = await client.data(LOG, type="user")
        log = data["operationLog"]
        assert log["totalCount"] == len(log["edges"])
        return [edge["node"]["actor"]["loginName"] for edge in log["edges"]]

    assert await actors("sales1") == ["sales1"]
    assert await actors("manager1") == ["manager1", "sales1"]  # newest first, no sales3
    assert await actors("sales3") == ["sales3"]
    admin = await gql.as_user("admin")
    assert [
        e["node"]["actor"]["loginName"]
        for e in (await admin.data(LOG, type="user"))["operationLog"]["edges"]
    ] == ["manager1", "sales3", "sales1"]
