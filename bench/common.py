"""Shared pieces of the benchmarks: a server process, users and tokens, percentiles."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select, text

from gql_crm.auth.passwords import hash_password
from gql_crm.auth.tokens import issue_token
from gql_crm.db.engine import Database
from gql_crm.db.migrate import upgrade
from gql_crm.db.models import Position, User
from gql_crm.seed.demo import seed_organisation
from gql_crm.settings import Settings

SECRET = "benchmark-secret-key-not-for-production-0123456789"


def bench_settings(database_url: str, redis_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        secret_key=SECRET,
        data_dir=Path("var/bench"),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(values: Sequence[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, "
        f"max {max(values):.1f} ms, mean {statistics.fmean(values):.1f} ms"
    )


async def prepare_database(settings: Settings, users: int) -> list[int]:
    """Migrate, reset the bench users, create ``users`` sales users; their ids."""
    await asyncio.to_thread(upgrade, settings)
    database = Database(settings)
    now = datetime.now(UTC)
    try:
        async with database.writer() as session, session.begin():
            await seed_organisation(session, password_hash=hash_password("demo-password"), now=now)
            await session.execute(text("DELETE FROM message_recipients"))
            await session.execute(text("DELETE FROM messages"))
            await session.execute(text("DELETE FROM notifications"))
            await session.execute(text("DELETE FROM users WHERE login_name LIKE 'bench%'"))
            staff = await session.scalar(select(Position.id).where(Position.name == "Sales staff"))
            password_hash = hash_password("bench-password")
            await session.execute(
                insert(User),
                [
                    {
                        "login_name": f"bench{i:05d}",
                        "password_hash": password_hash,
                        "name": f"Bench user {i}",
                        "position_id": staff,
                        "created_at": now,
                    }
                    for i in range(users)
                ],
            )
            ids = list(
                await session.scalars(
                    select(User.id).where(User.login_name.like("bench%")).order_by(User.id)
                )
            )
    finally:
        await database.dispose()
    return ids


def token_for(user_id: int) -> str:
    """A token exactly as `login` issues it (signing N logins would only time Argon2)."""
    token, _ = issue_token(
        SECRET, user_id=user_id, token_version=1, now=datetime.now(UTC), ttl=timedelta(hours=2)
    )
    return token


class ServerProcess:
    def __init__(self, settings: Settings, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "GQL_CRM_DATABASE_URL": settings.resolved_database_url,
            "GQL_CRM_REDIS_URL": settings.redis_url or "",
            "GQL_CRM_SECRET_KEY": SECRET,
            "GQL_CRM_DATA_DIR": str(settings.data_dir),
            "GQL_CRM_MAX_SUBSCRIPTIONS_PER_CONNECTION": "5",
            # The load comes from a few users on one address, far above what the edge
            # lets one person do: the benchmarks measure the server, not its limits.
            "GQL_CRM_RATE_LIMIT": "",
            "GQL_CRM_MAX_CONNECTIONS_PER_USER": "1000000",
            "GQL_CRM_MAX_PENDING_CONNECTIONS_PER_CLIENT": "1000000",
            # Redis pub/sub ignores database numbers: keep the benchmark's channels apart
            # from other runs sharing this Redis.
            "GQL_CRM_BUS_NAMESPACE": os.environ.get("GQL_CRM_BUS_NAMESPACE", "gql-crm-bench"),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gql_crm",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def wait_ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")

    def _pids(self) -> list[int]:
        """The server process tree: uvicorn and its workers."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return pids

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process tree has used so far."""
        ticks = 0
        for pid in self._pids():
            # Fields 14 and 15 of /proc/PID/stat, counted after the command's closing ")".
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        """Resident memory of the server process tree (uvicorn and its workers)."""
        total = 0
        for pid in self._pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
