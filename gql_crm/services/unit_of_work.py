"""One transaction, its operation-log entries and the events it publishes after commit."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_crm.auth.masking import MASKS
from gql_crm.auth.principal import Principal, Unauthenticated
from gql_crm.clock import Clock
from gql_crm.db.base import core_table
from gql_crm.db.bulk import copy_rows
from gql_crm.db.engine import Database
from gql_crm.db.masking import sensitive_columns, sensitive_models
from gql_crm.db.models import OperationLog
from gql_crm.services.errors import NotFound
from gql_crm.settings import Settings
from gql_crm.subscriptions.bus import Bus, Event

if TYPE_CHECKING:
    from gql_crm.services.job import JobQueue

logger = logging.getLogger("gql_crm.events")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Services:
    """What every unit of work needs from the running application."""

    settings: Settings
    database: Database
    clock: Clock
    bus: Bus
    # Where started imports and exports go (``services/job.py``).
    jobs: JobQueue = field(default_factory=lambda: _job_queue())


def _job_queue() -> JobQueue:
    from gql_crm.services.job import JobQueue

    return JobQueue()


class UnitOfWork:
    """``async with UnitOfWork(services, principal) as uow:`` — commit on success.

    Events given to ``emit`` are published only after the commit succeeded, so no subscriber
    ever hears of a change that was rolled back.
    """

    def __init__(self, services: Services, principal: Principal | None) -> None:
        self.services = services
        self._principal = principal
        self.now: datetime = services.clock.now()
        self._events: list[Event] = []
        self._undo: list[Callable[[], Awaitable[None] | None]] = []
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._before_commit: dict[str, Callable[[], Awaitable[None]]] = {}
        # What a domain gathers during the unit of work for its before-commit step to write
        # (the outbox rows of webhook events), by the step's name.
        self.pending: dict[str, Any] = {}
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with'")
        return self._session

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            raise Unauthenticated()
        return self._principal

    @property
    def actor_id(self) -> int | None:
        """Who the operation log names: the principal's user, or None for the system (jobs)."""
        return self._principal.user_id if self._principal else None

    async def __aenter__(self) -> UnitOfWork:
        self._session = self.services.database.writer()
        await self._session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        committed = False
        try:
            if exc_type is None:
                try:
                    for step in list(self._before_commit.values()):
                        await step()
                except BaseException:
                    await session.rollback()
                    raise
                await session.commit()
                committed = True
            else:
                await session.rollback()
        finally:
            await session.close()
            self._session = None
            if not committed:
                await self._run_undo()
        if committed:
            await self._publish()
            await self._run_after_commit()

    def before_commit(self, name: str, step: Callable[[], Awaitable[None]]) -> None:
        """Run ``step`` once, inside the transaction, just before it commits: writes that
        must commit or roll back with the change (outbox rows). A failing step rolls back."""
        self._before_commit.setdefault(name, step)

    def on_rollback(self, undo: Callable[[], Awaitable[None] | None]) -> None:
        """Undo a change made outside the database (a file written) if this unit of work
        does not commit, whether it failed before the commit or in it."""
        self._undo.append(undo)

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` once this unit of work committed and published its events (a purged
        file's bytes removed, a job started); a failure is logged: the commit stands."""
        self._after_commit.append(action)

    async def _run_undo(self) -> None:
        for undo in reversed(self._undo):
            try:
                result = undo()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("could not undo a change outside the database")

    async def _run_after_commit(self) -> None:
        for action in self._after_commit:
            try:
                await action()
            except Exception:
                logger.exception("could not finish a change outside the database")

    async def _publish(self) -> None:
        # The commit is the truth and events are hints: a failed publish is logged, never
        # turned into a failure of the request that already succeeded.
        if not self._events:
            return
        try:
            await self.services.bus.publish(*self._events)
        except Exception:
            first = self._events[0]
            logger.warning(
                "could not publish %d event(s), the first %s on %s",
                len(self._events),
                first.type,
                first.channel,
            )

    def log(
        self, entity_type: str, entity_id: int, action: str, changes: dict[str, Any] | None = None
    ) -> None:
        """Record who did what to which record; ``changes`` maps field -> [from, to].

        Phone numbers and e-mails are logged masked: the log is read by people who may not
        see contact details.
        """
        if changes:
            changes = {k: _masked(k, v) for k, v in changes.items()}
        self.session.add(
            OperationLog(
                actor_id=self.actor_id,
                entity_type=entity_type,
                entity_id=entity_id,
                action=action,
                changes=changes or {},
                created_at=self.now,
            )
        )

    async def log_many(
        self, entity_type: str, action: str, entries: list[tuple[int, dict[str, Any]]]
    ) -> None:
        """``log`` for many records at once, as multi-row INSERTs (jobs touching thousands)."""
        if not entries:
            return
        await self.session.execute(
            insert(core_table(OperationLog)), self._log_rows(entity_type, action, entries)
        )

    async def log_copied(
        self, entity_type: str, action: str, entries: Iterable[tuple[int, dict[str, Any]]]
    ) -> None:
        """``log_many`` for imports of thousands of records: one COPY on PostgreSQL."""
        await copy_rows(
            self.session,
            core_table(OperationLog),
            (self._log_row(entity_type, action, e) for e in entries),
        )

    def _log_rows(
        self, entity_type: str, action: str, entries: list[tuple[int, dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        return [self._log_row(entity_type, action, entry) for entry in entries]

    def _log_row(
        self, entity_type: str, action: str, entry: tuple[int, dict[str, Any]]
    ) -> dict[str, Any]:
        entity_id, changes = entry
        return {
            "actor_id": self.actor_id,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "action": action,
            "changes": {k: _masked(k, v) for k, v in changes.items()},
            "created_at": self.now,
        }

    async def find(
        self, model: type[R], record_id: int, *conditions: Any, label: str | None = None
    ) -> R:
        """The row of ``model`` with this id that meets ``conditions`` (its visibility rule),
        locked for the rest of the unit of work; else 'not found', as for a missing one."""
        table: Any = model
        stmt = select(model).where(table.id == record_id, *conditions).with_for_update(of=table)
        row = await self.session.scalar(stmt)
        if row is None:
            raise NotFound(label or label_of(table), record_id)
        return row

    async def add(self, entity_type: str, row: R, **logged: Any) -> R:
        """Insert ``row``, stamped with now (and its author), and log its creation with the
        ``logged`` values."""
        record: Any = row
        for stamp in ("created_at", "updated_at"):
            if hasattr(record, stamp) and getattr(record, stamp) is None:
                setattr(record, stamp, self.now)
        if hasattr(record, "created_by_id") and record.created_by_id is None:
            record.created_by_id = self.actor_id
        self.session.add(record)
        await self.session.flush()
        self.log(entity_type, record.id, "create", diff({}, logged))
        return row

    def apply(
        self, entity_type: str, row: Any, values: dict[str, Any], action: str = "update"
    ) -> dict[str, list[Any]]:
        """Set ``values`` on ``row`` and log what changed (nothing when nothing did); the
        changes are returned, as logged."""
        before = {name: getattr(row, name) for name in values}
        for name, value in values.items():
            setattr(row, name, value)
        changes = diff(before, values)
        if changes:
            if hasattr(row, "updated_at"):
                row.updated_at = self.now
            self.log(entity_type, row.id, action, changes)
        return changes

    def emit(
        self, channel: str, type_: str, entity_id: int | None, payload: dict[str, Any]
    ) -> None:
        self._events.append(
            Event(channel=channel, type=type_, id=entity_id, payload=payload, time=self.now)
        )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """camelCase field -> [old, new] for the fields whose value changed.

    Keys are given as attribute names and logged as the API's field names.
    """
    return {
        camel(k): [_jsonable(before.get(k)), _jsonable(v)]
        for k, v in after.items()
        if before.get(k) != v
    }


def label_of(model: type[Any]) -> str:
    """TrainingCourse -> Training course: a model's name as messages say it."""
    words = re.findall(r"[A-Z][a-z0-9]*", model.__name__)
    return " ".join([words[0], *(word.lower() for word in words[1:])])


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _declared_maskers() -> dict[str, Callable[[str | None], str | None]]:
    """The log's field names (camelCase) of every sensitive column, with their masks."""
    maskers: dict[str, Callable[[str | None], str | None]] = {}
    for model in sensitive_models():
        for name, mask in sensitive_columns(model).items():
            field = camel(name)
            if maskers.setdefault(field, MASKS[mask]) is not MASKS[mask]:
                raise ValueError(f"{field} is declared with different masks")
    return maskers


_MASKERS = _declared_maskers()


def _masked(field: str, values: Any) -> Any:
    mask = _MASKERS.get(field)
    if mask is None or not isinstance(values, list):
        return values
    return [mask(v) if isinstance(v, str) else v for v in values]


def _jsonable(value: Any) -> Any:
    """Log values as JSON can hold them: dates as ISO text, enums and Decimals as text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum | Decimal):
        return str(value)
    return value
