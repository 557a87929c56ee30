"""Oversized request bodies against a real server: its memory must not move.

Starts ``gql-crm serve`` (embedded SQLite, a data directory of its own under var/bench-edge),
prints the server process's resident memory (VmRSS), then sends, one after the other and
then four at once:

- a 150 MiB JSON body with its Content-Length (refused from the header),
- a 150 MiB JSON body in chunks, without a Content-Length (refused once the count passes
  GQL_CRM_MAX_BODY_BYTES),
- a 150 MiB multipart upload in chunks with a valid token (counted like the above against
  the upload cap), and one without a token (refused before its body is read),

and prints each answer's status with the RSS after it. Before the body limit, the first of
these took the server from 224 to 557 MB and four at once to 1.2 GB.

    .venv/bin/python -m bench.edge_body [--mib 150]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx

from bench.common import free_port

CHUNK = 256 * 1024
DATA_DIR = Path("var/bench-edge")
BOUNDARY = "bench-edge-boundary"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def chunks(head: bytes, size: int) -> AsyncIterator[bytes]:
    yield head
    block = b"0" * CHUNK
    for _ in range(size // CHUNK):
        yield block


def multipart_head() -> bytes:
    operations = (
        '{"query": "mutation($f: Upload!) { uploadAttachment(recordType: CUSTOMER, '
        'recordId: 1, file: $f) { __typename } }", "variables": {"f": null}}'
    )
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f"{operations}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.f"]}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-"
    ).encode()


async def sign_in(client: httpx.AsyncClient, base: str) -> str:
    query = (
        'mutation { login(loginName: "sales1", password: "demo-password") '
        "{ ... on LoginSuccess { token } } }"
    )
    response = await client.post(f"{base}/graphql", json={"query": query})
    token: str = response.json()["data"]["login"]["token"]
    return token


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GQL_CRM_")},
        "GQL_CRM_DATA_DIR": str(DATA_DIR),
        "GQL_CRM_RATE_LIMIT": "",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gql_crm",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def main(mib: int) -> None:
    size = mib * 1024 * 1024
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        async with httpx.AsyncClient(timeout=120) as client:
            for _ in range(600):
                try:
                    if (await client.get(f"{base}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            token = await sign_in(client, base)
            upload_headers = {
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Apollo-Require-Preflight": "true",
            }
            cases: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
                "JSON with Content-Length": lambda: client.post(
                    f"{base}/graphql",
                    content=b'{"query": "{ __typename }", "x": "' + b"0" * size + b'"}',
                    headers={"Content-Type": "application/json"},
                ),
                "JSON, chunked": lambda: client.post(
                    f"{base}/graphql",
                    content=chunks(b'{"query": "{ __typename }", "x": "', size),
                    headers={"Content-Type": "application/json"},
                ),
                "upload, chunked, signed in": lambda: client.post(
                    f"{base}/graphql",
                    content=chunks(multipart_head(), size),
                    headers={**upload_headers, "Authorization": f"Bearer {token}"},
                ),
                "upload, chunked, no token": lambda: client.post(
                    f"{base}/graphql",
                    content=chunks(multipart_head(), size),
                    headers=upload_headers,
                ),
            }
            print(f"server RSS at rest: {rss_mib(server.pid):.0f} MiB; bodies of {mib} MiB")
            for name, send in cases.items():
                start = time.perf_counter()
                try:
                    status = str((await send()).status_code)
                except httpx.HTTPError as error:  # the server closed before the body was sent
                    status = f"closed ({type(error).__name__})"
                elapsed = (time.perf_counter() - start) * 1000
                print(
                    f"  {name:30} -> {status:>6} in {elapsed:7.0f} ms; "
                    f"server RSS {rss_mib(server.pid):.0f} MiB"
                )
            for name, send in cases.items():
                answers = await asyncio.gather(*(send() for _ in range(4)), return_exceptions=True)
                statuses = [
                    str(a.status_code) if isinstance(a, httpx.Response) else type(a).__name__
                    for a in answers
                ]
                print(
                    f"  4 x {name:26} -> {', '.join(statuses)}; "
                    f"server RSS {rss_mib(server.pid):.0f} MiB"
                )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=150)
    asyncio.run(main(parser.parse_args().mib))
