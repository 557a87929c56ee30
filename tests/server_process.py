"""Real `gql-crm serve` processes (and a private redis-server) for tests across processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from gql_crm.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until(check: object, what: str, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            if await check():  # type: ignore[operator]
                return
        except (httpx.HTTPError, OSError):
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{what} did not come up within {seconds} s")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def serve(
    settings: Settings,
    redis_url: str | None,
    data_dir: Path,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    stderr: Path | None = None,
) -> AsyncIterator[str]:
    """A server process on a free port, sharing the test database; yields its base URL.

    ``env`` adds settings; ``stderr`` is where its log goes (nowhere by default)."""
    port = free_port()
    environment = {
        **os.environ,
        "GQL_CRM_DATABASE_URL": settings.resolved_database_url,
        "GQL_CRM_SECRET_KEY": settings.secret_key or "",
        "GQL_CRM_DATA_DIR": str(data_dir),
        "GQL_CRM_BUS_NAMESPACE": settings.bus_namespace,
        **(env or {}),
    }
    environment.pop("GQL_CRM_REDIS_URL", None)
    if redis_url:
        environment["GQL_CRM_REDIS_URL"] = redis_url
    log = stderr.open("wb") if stderr is not None else None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gql_crm",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    async def ready() -> bool:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{base}/readyz")).status_code == 200

    try:
        await wait_until(ready, f"server on port {port}")
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):  # a test may have ended it already
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        if log is not None:
            log.close()


class RedisServer:
    """A redis-server of the test's own, so stopping it leaves the shared service alone."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is needed for this test")
        self.binary = binary
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        async def accepts() -> bool:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.close()
            return True

        await wait_until(accepts, "redis-server")

    async def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            await self.process.wait()
            self.process = None
