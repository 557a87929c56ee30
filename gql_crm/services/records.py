"""The ordinary writes of one kind of record, stated once.

``Records`` finds a record through its visibility rule (a record the caller may not see is
'not found'), creates it under parents the caller may see, updates it, deletes it (into the
recycle bin when the kind has one), restores and purges it — each logged in the operation
log — and gives the lists of what a caller may see and of a recycle bin. A domain adds only
its own rules, as ``check``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError

from gql_crm.auth.principal import Principal
from gql_crm.db.pagination import SortKey
from gql_crm.services import recycle_bin
from gql_crm.services.errors import Conflict, InvalidInput
from gql_crm.services.unit_of_work import UnitOfWork, camel, diff, label_of
from gql_crm.services.user import assignee_problem

M = TypeVar("M")
Rule = Callable[[Principal], ColumnElement[bool]]
Check = Callable[[UnitOfWork, dict[str, Any], Any], Awaitable[dict[str, Any]]]


async def _unchecked(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
    return values


def owned(field: str = "owner_id") -> Check:
    """``field`` names the record's owner: an active user within the caller's data scope;
    left out, the caller when creating and the owner it had when updating."""

    async def check(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
        if p := await assignee_problem(uow, values[field]):
            raise InvalidInput.single(camel(field), p)
        default = getattr(row, field) if row else uow.principal.user_id
        return {**values, field: values[field] or default}

    return check


def ordered(first: str, then: str) -> Check:
    """``then`` must not come before ``first`` (a period's end before its start); either may
    be left open."""

    async def check(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
        start, end = values.get(first), values.get(then)
        if start is not None and end is not None and end < start:
            raise InvalidInput.single(camel(then), f"must not be before {camel(first)}")
        return values

    return check


def same_parent(field: str, model: Any, parent: str) -> Check:
    """The ``model`` row that ``field`` names (if any) hangs on the record's own ``parent``
    (a contact of the same customer)."""

    async def check(uow: UnitOfWork, values: dict[str, Any], row: Any) -> dict[str, Any]:
        own = getattr(row, parent) if row else values[parent]
        if (id := values[field]) and await uow.session.scalar(
            select(getattr(model, parent)).where(model.id == id)
        ) != own:
            whose = parent.removesuffix("_id")
            raise InvalidInput.single(
                camel(field), f"{label_of(model).lower()} {id} is not this {whose}'s"
            )
        return values

    return check


def equal_to(model: Any, values: Mapping[str, Any] | None) -> list[ColumnElement[bool]]:
    """Each column named equals its value (None: any value): a list's filter of ids, flags
    and enums. The values are tested against None only, so that compiled reads can make
    them statement parameters."""
    return [getattr(model, k) == v for k, v in (values or {}).items() if v is not None]


@dataclass(frozen=True)
class Records(Generic[M]):
    model: type[M]
    entity: str  # as the operation log names it
    visible: Rule
    binned: Rule | None = None  # the kind has a recycle bin: who reaches which binned rows
    parents: Mapping[str, Records[Any]] = field(default_factory=dict)
    # (uow, input values, the row or None when creating) -> the values to write
    check: Check = _unchecked
    summary: str = "name"  # the field the log keeps of a created or deleted record
    searched: str | None = None  # the column a list's ``search`` matches

    def rows(self, principal: Principal, search: str | None = None, **equal: Any) -> Select[M]:
        """The rows the caller may see, where each column named equals its value (None: any)
        and, with ``search``, the ``searched`` column contains it."""
        wanted = equal_to(self.model, equal)
        if term := (search or "").strip():
            assert self.searched is not None, f"{self.entity} has no searched column"
            wanted.append(getattr(self.model, self.searched).icontains(term, autoescape=True))
        return select(self.model).where(self.visible(principal), *wanted)

    def bin(self, principal: Principal) -> Select[M]:
        """The binned rows the caller may restore or purge."""
        assert self.binned is not None, f"{self.entity} has no recycle bin"
        return select(self.model).where(self.binned(principal))

    @property
    def bin_order(self) -> tuple[SortKey, SortKey]:
        return recycle_bin.latest_first(self.model)

    async def get(self, uow: UnitOfWork, id: int) -> M:
        return await uow.find(self.model, id, self.visible(uow.principal))

    async def create(self, uow: UnitOfWork, input: dict[str, Any], **parent_ids: int) -> M:
        for name, parent_id in parent_ids.items():
            await self.parents[name].get(uow, parent_id)
        values = await self.check(uow, {**input, **parent_ids}, None)
        logged = {k: values[k] for k in (*parent_ids, self.summary) if k in values}
        return await uow.add(self.entity, self.model(**values), **logged)

    async def update(self, uow: UnitOfWork, id: int, input: dict[str, Any]) -> M:
        row = await self.get(uow, id)
        uow.apply(self.entity, row, await self.check(uow, input, row))
        return row

    async def delete(self, uow: UnitOfWork, id: int) -> int:
        row: Any = await self.get(uow, id)
        if self.binned is not None:
            recycle_bin.discard(uow, self.entity, row)
            return id
        try:
            await uow.session.delete(row)
            await uow.session.flush()
        except IntegrityError as in_use:
            raise Conflict(
                f"{label_of(self.model)} {id} still has records of its own: delete them first.",
                "id",
            ) from in_use
        uow.log(self.entity, id, "delete", self._gone(row))
        return id

    async def _binned(self, uow: UnitOfWork, id: int) -> Any:
        assert self.binned is not None, f"{self.entity} has no recycle bin"
        return await recycle_bin.binned(
            uow, self.model, id, self.binned(uow.principal), label_of(self.model)
        )

    async def restore(self, uow: UnitOfWork, id: int) -> M:
        row = await self._binned(uow, id)
        recycle_bin.restore(uow, self.entity, row)
        return row  # type: ignore[no-any-return]

    async def purge(self, uow: UnitOfWork, id: int) -> int:
        row = await self._binned(uow, id)
        return await recycle_bin.purge(uow, self.entity, row, self._gone(row))

    def _gone(self, row: Any) -> dict[str, list[Any]]:
        return diff({self.summary: getattr(row, self.summary)}, {self.summary: None})
