"""The outbox: what leaves the system (webhook deliveries, e-mails, SMS) is first a row,
written in the transaction of the change that causes it, so a rolled-back change sends
nothing and a committed one is never lost.

Workers deliver due rows (``deliver_due``): a pass claims a batch with one conditional
UPDATE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite runs writers one at a time), which
sets the rows to ``sending`` and moves their due time to the end of a lease. Two workers
never claim the same row; a worker that dies mid-send leaves rows that are due again when
the lease ends, and the next worker sends them again under the same idempotency key (the
webhook-id, the e-mail's Message-ID), by which receivers recognise a repeat. Each attempt is
logged with its outcome and response time; failures are retried on the handler's schedule
and then marked ``failed`` with the reason; a recipient refused for good is ``bounced`` at
once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, insert, select, update

from gql_crm.db.base import core_table
from gql_crm.db.claims import skipping_locked
from gql_crm.db.models.outbox import OutboxAttempt, OutboxMessage, OutboxStatus
from gql_crm.services.unit_of_work import Services, UnitOfWork

logger = logging.getLogger("gql_crm.outbox")

_DUE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)
_ERROR_LENGTH = 500
_CLAIMED = ("id", "kind", "key", "target_id", "payload", "attempts")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message as a worker holds it while sending: ``attempt`` is this attempt's number."""

    id: int
    kind: str
    key: str
    target_id: int | None
    payload: dict[str, Any]
    attempt: int
    # What the handler's ``load`` read for the batch the message was claimed in.
    loaded: Any = None


@dataclass(frozen=True, slots=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None
    # Never worth retrying (an endpoint answering 410 Gone, a disabled endpoint).
    permanent: bool = False
    response_ms: int = 0
    # The recipient's address was refused for good (implies permanent).
    bounced: bool = False


class Handler(Protocol):
    """How one kind of message is sent, and what else changes when an attempt ends."""

    retry_delays: Sequence[timedelta]  # after the 1st, 2nd… failed attempt; then 'failed'

    async def load(self, services: Services, messages: Sequence[Claimed]) -> Any:
        """What sending a claimed batch's messages of this kind needs from the database,
        read once for the batch (it reaches ``send`` as ``message.loaded``)."""

    async def send(self, services: Services, message: Claimed) -> Outcome: ...

    async def settled(
        self, uow: UnitOfWork, message: Claimed, outcome: Outcome, final: bool
    ) -> None: ...


HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


def new_key(prefix: str) -> str:
    """A fresh idempotency key (``msg_`` and 32 hex digits for webhooks)."""
    return f"{prefix}_{uuid.uuid4().hex}"


async def enqueue(uow: UnitOfWork, kind: str, rows: Sequence[dict[str, Any]]) -> None:
    """Write messages (each: key, target_id, payload) in the unit of work's transaction, due
    now, as one multi-row INSERT."""
    if not rows:
        return
    await uow.session.execute(
        insert(core_table(OutboxMessage)),
        [
            {
                "kind": kind,
                "key": row["key"],
                "target_id": row.get("target_id"),
                "payload": row["payload"],
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": row.get("due_at") or uow.now,
                "created_at": uow.now,
            }
            for row in rows
        ],
    )


async def claim(
    services: Services, limit: int, kinds: Sequence[str] | None = None
) -> list[Claimed]:
    """Take up to ``limit`` due messages for this worker, oldest due first."""
    now = services.clock.now()
    lease_end = now + timedelta(seconds=services.settings.outbox_lease_seconds)
    due = and_(OutboxMessage.status.in_(_DUE_STATUSES), OutboxMessage.next_attempt_at <= now)
    if kinds is not None:
        due = and_(due, OutboxMessage.kind.in_(kinds))
    chosen = skipping_locked(
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit),
        "chosen",
    )
    table = core_table(OutboxMessage)
    statement = (
        update(table)
        .where(table.c.id.in_(select(chosen.c.id)), due)
        .values(
            status=OutboxStatus.SENDING,
            attempts=table.c.attempts + 1,
            next_attempt_at=lease_end,
        )
        .returning(*(table.c[name] for name in _CLAIMED))
    )
    async with services.database.writer() as session, session.begin():
        rows = (await session.execute(statement)).all()
    return sorted(
        (Claimed(r.id, r.kind, r.key, r.target_id, r.payload, r.attempts) for r in rows),
        key=lambda c: c.id,
    )


# What the recorder receives: an outcome; a future, to be set once everything before it is
# written; None, the end.
_Recorded = tuple[Claimed, Outcome] | asyncio.Future[None] | None


async def deliver_due(
    services: Services, *, passes: int = 50, kinds: Sequence[str] | None = None
) -> int:
    """Deliver what is due: claim a batch, send its messages concurrently (a slow receiver
    holds only its own slot), record outcomes in the background as they come, and once the
    batch is sent and recorded claim again while messages are due, up to ``passes`` batches.
    Returns the number of attempts made."""
    settings = services.settings
    slots = asyncio.Semaphore(settings.outbox_concurrency)
    outcomes: asyncio.Queue[_Recorded] = asyncio.Queue()
    recorder = asyncio.create_task(
        _record_outcomes(services, outcomes, settings.outbox_concurrency)
    )
    attempts = 0
    try:
        for _ in range(passes):
            batch = await claim(services, settings.outbox_batch, kinds)
            if not batch:
                break
            attempts += len(batch)
            batch = await _loaded(services, batch)
            await asyncio.gather(*(_attempt(services, m, slots, outcomes) for m in batch))
            # What a killed worker sends again stays within one claimed batch.
            recorded = asyncio.get_running_loop().create_future()
            await outcomes.put(recorded)
            await recorded
    finally:
        await outcomes.put(None)
        await recorder
    return attempts


async def _loaded(services: Services, batch: list[Claimed]) -> list[Claimed]:
    """The batch, each message with what its handler loaded for its kind."""
    loaded: dict[str, Any] = {}
    for kind in sorted({message.kind for message in batch}):
        if (handler := HANDLERS.get(kind)) is not None:
            loaded[kind] = await handler.load(services, [m for m in batch if m.kind == kind])
    return [dataclasses.replace(m, loaded=loaded.get(m.kind)) for m in batch]


async def _attempt(
    services: Services,
    message: Claimed,
    slots: asyncio.Semaphore,
    outcomes: asyncio.Queue[_Recorded],
) -> None:
    async with slots:
        handler = HANDLERS.get(message.kind)
        started = time.perf_counter()
        if handler is None:
            outcome = Outcome(False, error=f"no handler for {message.kind!r}", permanent=True)
        else:
            try:
                outcome = await handler.send(services, message)
            except Exception as error:  # a handler's bug must not stop the others
                logger.exception("sending outbox message %d failed", message.id)
                outcome = Outcome(False, error=f"{type(error).__name__}: {error}")
        if not outcome.response_ms:
            elapsed = round((time.perf_counter() - started) * 1000)
            outcome = dataclasses.replace(outcome, response_ms=elapsed)
        await outcomes.put((message, outcome))


async def _record_outcomes(
    services: Services, outcomes: asyncio.Queue[_Recorded], size: int
) -> None:
    """Write outcomes as they arrive, ``size`` to a transaction, and whatever is waiting
    when asked to (a future) or at the end."""
    waiting: list[tuple[Claimed, Outcome]] = []
    while True:
        item = await outcomes.get()
        if isinstance(item, tuple):
            waiting.append(item)
            if len(waiting) < size:
                continue
        if waiting:
            try:
                await record(services, waiting)
            except Exception:
                # The messages stay claimed until their lease ends, then are sent again.
                logger.exception("could not record %d outbox outcome(s)", len(waiting))
            waiting = []
        if item is None:
            return
        if isinstance(item, asyncio.Future):
            item.set_result(None)


async def record(services: Services, results: Sequence[tuple[Claimed, Outcome]]) -> None:
    """Settle attempts: delivered, due again after the handler's delay, or failed. Only the
    holder of an attempt settles it (not one whose lease ran out and whose message another
    worker has claimed since); the delivered are settled with one statement per attempt
    number."""
    table = core_table(OutboxMessage)
    async with UnitOfWork(services, None) as uow:
        settled: list[tuple[Claimed, Outcome, datetime | None]] = []
        by_attempt: dict[int, dict[int, tuple[Claimed, Outcome]]] = {}
        for message, outcome in results:
            if outcome.delivered:
                by_attempt.setdefault(message.attempt, {})[message.id] = (message, outcome)
        for attempt, delivered in by_attempt.items():
            ids = await uow.session.scalars(
                update(table)
                .where(
                    table.c.id.in_(delivered),
                    table.c.attempts == attempt,
                    table.c.status == OutboxStatus.SENDING,
                )
                .values(status=OutboxStatus.DELIVERED, delivered_at=uow.now)
                .returning(table.c.id)
            )
            settled += [(*delivered[id], None) for id in ids]
        for message, outcome in results:
            if outcome.delivered:
                continue
            handler = HANDLERS.get(message.kind)
            delays = handler.retry_delays if handler else ()
            permanent = outcome.permanent or outcome.bounced
            next_at: datetime | None = None
            values: dict[str, Any]
            if permanent or message.attempt > len(delays):
                status = OutboxStatus.BOUNCED if outcome.bounced else OutboxStatus.FAILED
                values = {"status": status, "last_error": _short(outcome)}
            else:
                next_at = uow.now + delays[message.attempt - 1]
                values = {
                    "status": OutboxStatus.PENDING,
                    "next_attempt_at": next_at,
                    "last_error": _short(outcome),
                }
            done = await uow.session.execute(
                update(table)
                .where(
                    table.c.id == message.id,
                    table.c.attempts == message.attempt,
                    table.c.status == OutboxStatus.SENDING,
                )
                .values(**values)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                settled.append((message, outcome, next_at))
        settled.sort(key=lambda s: s[0].id)
        for message, outcome, next_at in settled:
            handler = HANDLERS.get(message.kind)
            if handler is not None:
                await handler.settled(uow, message, outcome, final=next_at is None)
        if settled:
            await uow.session.execute(
                insert(core_table(OutboxAttempt)),
                [
                    {
                        "message_id": message.id,
                        "attempt": message.attempt,
                        "started_at": uow.now,
                        "delivered": outcome.delivered,
                        "status_code": outcome.status_code,
                        "response_ms": outcome.response_ms,
                        "error": None if outcome.delivered else _short(outcome),
                        "next_attempt_at": next_at,
                    }
                    for message, outcome, next_at in settled
                ],
            )


async def requeue(uow: UnitOfWork, ids: Sequence[int]) -> int:
    """Make settled messages due now for one more attempt (a replay, a resend of failed
    ones), under their own keys."""
    if not ids:
        return 0
    result = await uow.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status != OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, next_attempt_at=uow.now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _short(outcome: Outcome) -> str:
    text = outcome.error or (f"HTTP {outcome.status_code}" if outcome.status_code else "failed")
    return text[:_ERROR_LENGTH]
