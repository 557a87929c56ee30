"""Nothing lost, nothing twice: a real server process delivering the outbox (its in-process
scheduler) is killed with SIGKILL in the middle of a 1,000-recipient send and of a webhook
burst; after a restart every recipient has exactly one e-mail, counted by Message-ID on a
real SMTP server, and the endpoint every event, by webhook-id."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from gql_crm.db.models.webhook import WebhookEndpoint
from gql_crm.services import outbox, sending, webhook
from gql_crm.services.unit_of_work import Services, UnitOfWork
from tests.fixtures.receiver import Received, receiving
from tests.fixtures.smtp import SmtpServer, smtp_server
from tests.fixtures.users import user_id
from tests.server_process import free_port

RECIPIENTS = 1000


class CountingSmtp(SmtpServer):
    """Sets ``first`` after some messages, and ``every`` once every key has arrived."""

    def __init__(self, port: int, keys: set[str], first: int) -> None:
        super().__init__(port=port)
        self.keys, self.first_count = keys, first
        self.first, self.every = threading.Event(), threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        with self._lock:
            if len(self.messages) >= self.first_count:
                self.first.set()
            if self.keys <= set(self.message_ids()):
                self.every.set()
        return answer


async def _worker(services: Services, port: int, tmp_path: Path) -> asyncio.subprocess.Process:
    settings = services.settings
    environment = {
        **os.environ,
        "GQL_CRM_DATABASE_URL": settings.resolved_database_url,
        "GQL_CRM_SECRET_KEY": settings.secret_key or "",
        "GQL_CRM_DATA_DIR": str(tmp_path),
        "GQL_CRM_BUS_NAMESPACE": settings.bus_namespace,
        "GQL_CRM_SCHEDULER": "true",
        "GQL_CRM_SMTP_HOST": "127.0.0.1",
        "GQL_CRM_SMTP_PORT": str(port),
        "GQL_CRM_OUTBOX_LEASE_SECONDS": "2",
        "GQL_CRM_OUTBOX_BATCH": "50",
        "GQL_CRM_OUTBOX_CONCURRENCY": "10",
    }
    environment.pop("GQL_CRM_REDIS_URL", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gql_crm", "serve", "--port", str(free_port()),
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    services: Services, tmp_path: Path
) -> None:
    rows: list[dict[str, Any]] = [
        {
            "key": sending.message_id(services.settings),
            "payload": {"to": f"r{n}@kill.test", "subject": "Hello", "body": f"Message {n}"},
        }
        for n in range(RECIPIENTS)
    ]
    async with UnitOfWork(services, None) as uow:
        await outbox.enqueue(uow, sending.EMAIL, rows)
    keys = {row["key"] for row in rows}

    with smtp_server() as probe:
        port = probe.port
    server = CountingSmtp(port, keys, first=RECIPIENTS // 5)
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        worker = await _worker(services, port, tmp_path)
        try:
            assert await asyncio.to_thread(server.first.wait, 120), "no e-mail arrived"
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
        sent_before_kill = len(server.messages)
        assert sent_before_kill < RECIPIENTS, "the kill came too late to prove anything"

        worker = await _worker(services, port, tmp_path)
        try:
            assert await asyncio.to_thread(server.every.wait, 180), "some e-mails never came"
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
    finally:
        controller.stop()

    ids_by_recipient: dict[str, set[str]] = defaultdict(set)
    message: Message
    for message in server.messages:
        ids_by_recipient[str(message["To"])].add(str(message["Message-ID"]))
    assert len(ids_by_recipient) == RECIPIENTS
    assert all(len(ids) == 1 for ids in ids_by_recipient.values())  # one e-mail each
    assert set().union(*ids_by_recipient.values()) == keys
    repeats = len(server.messages) - RECIPIENTS  # the same Message-ID again: a receiver dedups
    assert repeats <= 50, repeats  # at most what was in flight at the kill


async def test_a_killed_worker_delivers_every_webhook_once_by_id(
    services: Services, tmp_path: Path
) -> None:
    burst = 300
    async with receiving() as receiver:
        owner = await user_id(services, "admin")
        async with UnitOfWork(services, None) as uow:
            endpoint = WebhookEndpoint(
                owner_id=owner, url=receiver.url(), event_types=["customer.released"],
                secret=webhook.new_secret(), enabled=True, created_at=uow.now,
                updated_at=uow.now,
            )  # fmt: skip
            uow.session.add(endpoint)
            await uow.session.flush()
            rows: list[dict[str, Any]] = [
                {
                    "key": outbox.new_key("msg"),
                    "target_id": endpoint.id,
                    "payload": {"type": "customer.released", "data": {"customerIds": [n]}},
                }
                for n in range(burst)
            ]
            await outbox.enqueue(uow, webhook.KIND, rows)
        keys = {row["key"] for row in rows}
        first, every = asyncio.Event(), asyncio.Event()

        def arrived(_: Received) -> None:
            seen = {r.headers["webhook-id"] for r in receiver.requests}
            if len(receiver.requests) >= burst // 5:
                first.set()
            if keys <= seen:
                every.set()

        receiver.on_request = arrived
        worker = await _worker(services, 9, tmp_path)
        try:
            await asyncio.wait_for(first.wait(), 120)
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
        worker = await _worker(services, 9, tmp_path)
        try:
            await asyncio.wait_for(every.wait(), 180)
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
        ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert set(ids) == keys  # every event, and repeats only under the same id
    assert len(ids) - burst <= 200  # at most one claimed batch (sent, not yet marked) again
