"""Outbox throughput: e-mails to a local SMTP server and webhooks to a local receiver, sent by
one worker (this process running the delivery passes back to back).

    .venv/bin/python -m bench.outbox [--emails 10000] [--webhooks 5000]

Prints, for e-mail, messages per second from queueing to accepted by the server, beside the
server's own ceiling measured in the same run (the same client library and concurrency,
without the outbox); and for webhooks, deliveries per second beside the receiver's ceiling.
The SMTP server (aiosmtpd's Sink) and the receiver (uvicorn) run in their own processes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

import aiosmtplib
import httpx
from sqlalchemy import func, select

from bench.common import free_port
from bench.jobs import DATABASE_URL, bulk_users, fresh_schema, services_for
from gql_crm.clock import SystemClock
from gql_crm.db.models.outbox import OutboxMessage, OutboxStatus
from gql_crm.db.models.webhook import WebhookEndpoint
from gql_crm.services import outbox, sending, webhook
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.settings import Settings

RECEIVER = """
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


async def _until_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise TimeoutError(f"nothing listens on {port}")


async def smtp_ceiling(port: int, n: int, concurrency: int) -> float:
    """Messages per second straight to the server: ``concurrency`` open connections, each
    sending its share one after the other (as the worker's pooled connections do), each
    message written as the worker writes it."""

    async def connection(share: range) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await client.connect()
        for i in share:
            to, key = f"r{i}@b.test", f"<ceiling{i}@b.test>"
            message = sending.render_email("a@b.test", to, "Hello", key, f"Message {i}")
            await client.sendmail("a@b.test", [to], message)
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(connection(range(c, n, concurrency)) for c in range(concurrency)))
    return n / (time.perf_counter() - started)


async def receiver_ceiling(url: str, n: int, concurrency: int) -> float:
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def one(i: int) -> None:
            async with slots:
                (await client.post(url, content=b'{"n": %d}' % i)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
    return n / (time.perf_counter() - started)


async def drain(services: Services, kind: str) -> tuple[float, int]:
    """Seconds until no message of ``kind`` is pending, and how many were delivered."""
    started = time.perf_counter()
    while await outbox.deliver_due(services, kinds=[kind]):
        pass
    elapsed = time.perf_counter() - started
    async with services.database.reader() as session:
        delivered = await session.scalar(
            select(func.count()).where(
                OutboxMessage.kind == kind, OutboxMessage.status == OutboxStatus.DELIVERED
            )
        )
    return elapsed, int(delivered or 0)


async def main(emails: int, webhooks: int) -> None:
    smtp_port, web_port = free_port(), free_port()
    smtp = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
        "-l", f"127.0.0.1:{smtp_port}",
    )  # fmt: skip
    receiver = await asyncio.create_subprocess_exec(sys.executable, "-c", RECEIVER, str(web_port))
    try:
        await _until_listening(smtp_port)
        await _until_listening(web_port)
        settings = Settings(
            database_url=DATABASE_URL, secret_key="benchmark-secret-key-that-is-long-enough",
            scheduler=False, smtp_host="127.0.0.1", smtp_port=smtp_port,
        )  # fmt: skip
        database = await fresh_schema(settings)
        await bulk_users(database, 1)
        services = await services_for(settings, database, SystemClock())
        concurrency = settings.outbox_concurrency
        print(f"one worker: batch {settings.outbox_batch}, concurrency {concurrency}")

        ceiling = await smtp_ceiling(smtp_port, min(emails, 3000), concurrency)
        rows = [
            {"key": sending.message_id(settings),
             "payload": {"to": f"r{n}@bench.test", "subject": "Hello", "body": f"Message {n}"}}
            for n in range(emails)
        ]  # fmt: skip
        queued = time.perf_counter()
        async with UnitOfWork(services, None) as uow:
            await outbox.enqueue(uow, sending.EMAIL, rows)
        queue_s = time.perf_counter() - queued
        elapsed, delivered = await drain(services, sending.EMAIL)
        total = queue_s + elapsed
        print(
            f"e-mail: {delivered}/{emails} accepted in {total:.1f} s (queueing {queue_s:.2f} s) "
            f"= {delivered / total:.0f} messages/s; aiosmtpd's own ceiling, same client and "
            f"concurrency: {ceiling:.0f} messages/s"
        )

        if not webhooks:
            return
        url = f"http://127.0.0.1:{web_port}/hook"
        web_ceiling = await receiver_ceiling(url, min(webhooks, 3000), concurrency)
        async with UnitOfWork(services, None) as uow:
            owner = await uow.session.scalar(select(func.min(WebhookEndpoint.owner_id)))
            endpoint = WebhookEndpoint(
                owner_id=owner or 1, url=url, event_types=["customer.released"],
                secret=webhook.new_secret(), enabled=True, created_at=uow.now,
                updated_at=uow.now,
            )  # fmt: skip
            uow.session.add(endpoint)
            await uow.session.flush()
            now = datetime.now(UTC).isoformat()
            await outbox.enqueue(uow, webhook.KIND, [
                {"key": outbox.new_key("msg"), "target_id": endpoint.id,
                 "payload": {"type": "customer.released", "timestamp": now,
                             "data": {"customerIds": [n]}}}
                for n in range(webhooks)
            ])  # fmt: skip
        elapsed, delivered = await drain(services, webhook.KIND)
        print(
            f"webhooks: {delivered}/{webhooks} delivered in {elapsed:.1f} s "
            f"= {delivered / elapsed:.0f} deliveries/s; the receiver's own ceiling, same "
            f"concurrency: {web_ceiling:.0f} requests/s"
        )
        await services.bus.disconnect()
        await database.dispose()
    finally:
        for process in (smtp, receiver):
            process.terminate()
            await process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=5_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.emails, arguments.webhooks))
