"""`gql-crm serve --workers N` on Linux: each process listens on a socket of its own, so a
burst of new connections is spread over the processes instead of landing on whichever
woke first; a process that ends is replaced, and all end with their parent."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from uvicorn.config import STARTUP_FAILURE

from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from gql_crm.web.processes import own_sockets_supported
from tests.server_process import serve, wait_until

pytestmark = pytest.mark.skipif(
    not own_sockets_supported(), reason="the kernel balances SO_REUSEPORT sockets on Linux"
)
LISTEN, ESTABLISHED = "0A", "01"


def _sockets(port: int, state: str) -> set[str]:
    """The inodes of this machine's IPv4 TCP sockets on local ``port`` in ``state``."""
    found: set[str] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            found.add(fields[9])
    return found


def _owners(inodes: set[str]) -> Counter[int]:
    """How many of these sockets each process holds."""
    held: Counter[int] = Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:  # gone, or not ours to read
            continue
        held[int(pid)] += sum(link[len("socket:[") : -1] in inodes for link in links)
    return +held


async def _listening_processes(port: int, count: int, without: int = 0) -> Counter[int]:
    """The processes listening on ``port`` once there are ``count`` of them (``without``
    that one), waiting up to 20 s: a process answers before the others have started."""
    listening: Counter[int] = Counter()

    async def settled() -> bool:
        nonlocal listening
        listening = _owners(_sockets(port, LISTEN))
        return len(listening) == count and without not in listening

    await wait_until(settled, f"{count} processes listening on port {port}")
    return listening


@dataclass(frozen=True, slots=True)
class Served:
    base: str  # the server's URL
    port: int
    listening: Counter[int]  # the processes listening on the port: how many sockets each


@pytest.fixture
async def two_processes(
    settings: Settings, database: Database, redis_url: str, tmp_path: Path
) -> AsyncIterator[Served]:
    """`gql-crm serve --workers 2`, once both of its processes listen."""
    async with serve(settings, redis_url, tmp_path, workers=2) as base:
        port = int(base.rsplit(":", 1)[1])
        yield Served(base, port, await _listening_processes(port, 2))


async def test_each_process_accepts_on_its_own_socket_and_a_burst_is_spread(
    two_processes: Served,
) -> None:
    port, listening = two_processes.port, two_processes.listening
    assert len(listening) == 2 and set(listening.values()) == {1}, listening
    # 32 connections opened at once, kept open: a shared socket gives them all to the
    # process that wakes first; two sockets all to one only once in 2**31 bursts.
    opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(32)))
    try:
        accepted = Counter[int]()

        async def all_accepted() -> bool:
            nonlocal accepted
            accepted = _owners(_sockets(port, ESTABLISHED)) - Counter({os.getpid(): 32})
            return sum(accepted[pid] for pid in listening) == 32

        await wait_until(all_accepted, "the 32 connections accepted", seconds=5)
        assert all(accepted[pid] > 0 for pid in listening), accepted
    finally:
        for _, writer in opened:
            writer.close()


async def test_a_process_that_ends_is_replaced(two_processes: Served) -> None:
    first = two_processes.listening
    killed = min(first)
    os.kill(killed, signal.SIGKILL)
    after = await _listening_processes(two_processes.port, 2, without=killed)
    assert killed not in after and len(after) == 2, (first, after)
    async with httpx.AsyncClient(base_url=two_processes.base) as client:
        assert (await client.get("/readyz")).status_code == 200


async def test_the_processes_stop_when_their_parent_is_killed(two_processes: Served) -> None:
    port = two_processes.port
    parents = {_parent(pid) for pid in two_processes.listening}
    assert len(parents) == 1, parents
    os.kill(parents.pop(), signal.SIGKILL)  # no chance to stop its processes itself

    async def port_free() -> bool:
        return not _owners(_sockets(port, LISTEN))

    await wait_until(port_free, f"port {port} free")
    assert not _owners(_sockets(port, LISTEN)), "nobody serves on unsupervised"


def test_a_port_another_server_listens_on_is_refused() -> None:
    """Even one that shares it (``SO_REUSEPORT``, as another of our servers does): the
    processes' sockets would join it and take a share of its connections."""
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        script = (
            "import uvicorn\n"
            "from gql_crm.web.processes import serve\n"
            f"serve(uvicorn.Config('gql_crm.app:create_app', factory=True, port={port}), 2)\n"
        )
        started = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
    assert started.returncode == STARTUP_FAILURE, started.stderr
    assert f"Cannot listen on 127.0.0.1:{port}" in started.stderr


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
