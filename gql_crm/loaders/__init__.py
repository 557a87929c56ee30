"""Per-request DataLoaders: one SQL statement per relation per level, whatever the fan-out.

A ``Loaders`` registry is built fresh for every request (and every subscription event):
loaders cache per request only, never across requests.
"""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from gql_crm.db.engine import Database
from gql_crm.db.models import Department, Position, User
from gql_crm.loaders.department import load_children, load_departments
from gql_crm.loaders.position import load_positions
from gql_crm.loaders.user import load_members, load_users


class Loaders:
    def __init__(self, database: Database) -> None:
        self._database = database

    @cached_property
    def user(self) -> DataLoader[int, User | None]:
        return DataLoader(lambda ids: load_users(self._database, ids))

    @cached_property
    def department_members(self) -> DataLoader[int, list[User]]:
        return DataLoader(lambda ids: load_members(self._database, ids))

    @cached_property
    def department(self) -> DataLoader[int, Department | None]:
        return DataLoader(lambda ids: load_departments(self._database, ids))

    @cached_property
    def department_children(self) -> DataLoader[int, list[Department]]:
        return DataLoader(lambda ids: load_children(self._database, ids))

    @cached_property
    def position(self) -> DataLoader[int, Position | None]:
        return DataLoader(lambda ids: load_positions(self._database, ids))
