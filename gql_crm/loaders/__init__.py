"""Per-request DataLoaders: one SQL statement per relation per level, whatever the fan-out.

A ``Loaders`` registry is built fresh for every request (and every subscription event):
loaders cache per request only, never across requests.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from strawberry.dataloader import DataLoader

from gql_crm.db.engine import Database
from gql_crm.db.models import (
    ApprovalHistory,
    ApprovalStep,
    Contact,
    Customer,
    Department,
    FollowUp,
    MaturityOption,
    OperationLog,
    OptionItem,
    Position,
    SystemSettings,
    User,
    WorkLogComment,
)
from gql_crm.loaders.approval import load_approval_history, load_approval_steps
from gql_crm.loaders.customer import (
    load_contacts,
    load_contacts_by_id,
    load_customers,
    load_follow_ups,
    load_maturity_options,
    load_operation_log,
    load_options,
    load_shared_with,
)
from gql_crm.loaders.department import load_children, load_departments
from gql_crm.loaders.message import load_read_at
from gql_crm.loaders.position import load_positions
from gql_crm.loaders.user import load_members, load_users
from gql_crm.loaders.work_log import load_work_log_comments
from gql_crm.services.setting import SETTINGS_ID, get_settings


class Loaders:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def settings(self) -> SystemSettings:
        """The company settings, read once per request however many fields ask at once."""
        return await self._settings.load(SETTINGS_ID)

    @cached_property
    def _settings(self) -> DataLoader[int, SystemSettings]:
        return DataLoader(lambda keys: self._load_settings(len(keys)))

    async def _load_settings(self, count: int) -> list[SystemSettings]:
        async with self._database.reader() as session:
            return [await get_settings(session)] * count

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

    @cached_property
    def customer(self) -> DataLoader[int, Customer | None]:
        return DataLoader(lambda ids: load_customers(self._database, ids))

    @cached_property
    def customer_contacts(self) -> DataLoader[int, list[Contact]]:
        return DataLoader(lambda ids: load_contacts(self._database, ids))

    @cached_property
    def contact(self) -> DataLoader[int, Contact | None]:
        return DataLoader(lambda ids: load_contacts_by_id(self._database, ids))

    @cached_property
    def customer_follow_ups(self) -> DataLoader[tuple[int, int], list[FollowUp]]:
        """Keys: (customer id, how many newest)."""
        return DataLoader(lambda keys: load_follow_ups(self._database, keys))

    @cached_property
    def customer_operation_log(self) -> DataLoader[tuple[int, int], list[OperationLog]]:
        return DataLoader(lambda keys: load_operation_log(self._database, keys))

    @cached_property
    def customer_shared_with(self) -> DataLoader[int, list[int]]:
        return DataLoader(lambda ids: load_shared_with(self._database, ids))

    @cached_property
    def option(self) -> DataLoader[int, OptionItem | None]:
        return DataLoader(lambda ids: load_options(self._database, ids))

    @cached_property
    def maturity(self) -> DataLoader[int, MaturityOption | None]:
        return DataLoader(lambda ids: load_maturity_options(self._database, ids))

    @cached_property
    def approval_steps(self) -> DataLoader[int, list[ApprovalStep]]:
        return DataLoader(lambda ids: load_approval_steps(self._database, ids))

    @cached_property
    def approval_history(self) -> DataLoader[int, list[ApprovalHistory]]:
        return DataLoader(lambda ids: load_approval_history(self._database, ids))

    @cached_property
    def work_log_comments(self) -> DataLoader[int, list[WorkLogComment]]:
        return DataLoader(lambda ids: load_work_log_comments(self._database, ids))

    @cached_property
    def message_read_at(self) -> DataLoader[tuple[int, int], datetime | None]:
        """Keys: (message id, recipient id)."""
        return DataLoader(lambda keys: load_read_at(self._database, keys))
