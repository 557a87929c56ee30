"""Fan-out benchmark: live events from one server process to many WebSocket subscribers.

    python -m bench.fanout --subscribers 5000 [--rate 1000] [--seconds 10]

Runs on PostgreSQL + Redis (GQL_CRM_BENCH_DATABASE_URL, GQL_CRM_BENCH_REDIS_URL), starts the
`gql-crm serve` process under test (every subscriber connects to it) and spreads the
subscribers over client processes. The mutations (the announcement of (a), the `sendMessage`
calls of (b)) go to a second server process sharing the database and Redis, as they would in
a deployment of several processes: the process under test only delivers. It prints:
- the floor: a raw Redis publish -> receive round trip, measured in the same run;
- (a) one announcement to every subscriber, latency from the mutation's response to receipt;
- (b) per-user messages at a steady rate, latency from each mutation's response to receipt;
- delivered / expected, p50 / p99, and server memory per idle subscribed connection.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import multiprocessing
import os
import resource
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any, cast

import httpx
import orjson
import uvloop
from redis.asyncio import Redis
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from bench.common import (
    ServerProcess,
    bench_settings,
    percentile,
    prepare_database,
    summary,
    token_for,
)

NOTIFICATIONS = "subscription { notifications { notification { id kind linkId } } }"
MESSAGES = "subscription { messages { id subject } }"
ANNOUNCE = """mutation($title: String!) { createAnnouncement(publish: true,
  input: {title: $title, content: "benchmark"}) {
    ... on AnnouncementSuccess { announcement { id } } } }"""
SEND = """mutation($to: [Int!]!, $subject: String!) {
  sendMessage(recipientIds: $to, subject: $subject, body: "benchmark") { __typename } }"""
SEND_MANY = """mutation($messages: [MessageInput!]!) {
  sendMessages(messages: $messages) { __typename } }"""


# ---- client processes ---------------------------------------------------------------------
#
# The clients share this machine's two cores with the server they time, so every microsecond
# a client spends on a frame is taken from the server under test. Each subscriber is a plain
# asyncio Protocol on uvloop (no task, queue or reader coroutine per connection) that reads
# the server's frames itself: a server's frames are unmasked, and these are small text
# frames, so a few slices and `orjson.loads` per message are enough. websockets'
# `async for` client spent about 90 µs of the clients' CPU per message here (5,000
# subscribers, five announcements), its Sans-I/O parser about 40; this, about 25. The
# frames a client sends (init, subscribe, pongs) are built by websockets.


class _Subscriber(asyncio.Protocol):
    """One graphql-transport-ws subscriber: init, subscribe, then record each frame's arrival."""

    def __init__(self, url: str, token: str, query: str, received: list[Any]) -> None:
        self._address = parse_uri(url)
        self._token = token
        self._query = query
        self._received = received
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False
        self.subscribed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        key = base64.b64encode(os.urandom(16)).decode()
        self._transport.write(
            (
                f"GET {self._address.resource_name} HTTP/1.1\r\n"
                f"Host: {self._address.host}:{self._address.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        at = time.time()
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.close()
                return
            del buffer[: end + 4]
            self._upgraded = True
            self._send(Opcode.TEXT, {"type": "connection_init", "payload": {"token": self._token}})
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(buffer[2:4]), 4
            elif length == 127:
                length, start = int.from_bytes(buffer[2:10]), 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == Opcode.TEXT:
                self._message(at, orjson.loads(payload))
            elif opcode == Opcode.PING:
                self._send(Opcode.PONG, payload)
            elif opcode == Opcode.CLOSE:
                self.close()

    def _message(self, at: float, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "connection_ack":
            self._send(
                Opcode.TEXT, {"id": "1", "type": "subscribe", "payload": {"query": self._query}}
            )
            if not self.subscribed.done():
                self.subscribed.set_result(True)
        elif kind == "next":
            self._received.append((at, message["payload"]["data"]))
        elif kind in ("error", "complete"):
            self._received.append((at, {"error": message}))

    def _send(self, opcode: Opcode, message: dict[str, Any] | bytes) -> None:
        data = message if isinstance(message, bytes) else orjson.dumps(message)
        assert self._transport is not None
        self._transport.write(Frame(opcode, data).serialize(mask=True))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.subscribed.done():
            self.subscribed.set_result(False)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _clients(url: str, tokens: list[str], query: str, pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    received: list[Any] = []
    subscribers: list[_Subscriber] = []
    address = parse_uri(url)
    limit = asyncio.Semaphore(100)  # don't overrun the server's accept backlog

    async def start(token: str) -> bool:
        async with limit:
            try:
                _, subscriber = await loop.create_connection(
                    lambda: _Subscriber(url, token, query, received), address.host, address.port
                )
            except OSError:
                return False
            subscribers.append(subscriber)
            return await subscriber.subscribed

    opened = sum(await asyncio.gather(*(start(t) for t in tokens)))
    # Thousands of open client connections are long-lived objects: without this, the
    # client's own collections (0.1-0.7 s each) would be timed as the server's latency.
    # A client process lives for one measurement: it can do without the cycle collector.
    gc.collect()
    gc.freeze()
    gc.disable()
    pipe.send(("connected", opened))
    await asyncio.to_thread(pipe.recv)  # "go": the driver is about to act
    cpu_at_go = time.process_time()
    await asyncio.to_thread(pipe.recv)  # "report"
    pipe.send(("received", received, time.process_time() - cpu_at_go))
    for subscriber in subscribers:
        subscriber.close()


def _client_process(url: str, tokens: list[str], query: str, pipe: Connection) -> None:
    uvloop.run(_clients(url, tokens, query, pipe))


class ClientFleet:
    def __init__(self, url: str, tokens: list[str], query: str, processes: int) -> None:
        self.pipes: list[Connection] = []
        self.processes: list[multiprocessing.Process] = []
        share = -(-len(tokens) // processes)
        for i in range(processes):
            chunk = tokens[i * share : (i + 1) * share]
            if not chunk:
                continue
            ours, theirs = multiprocessing.Pipe()
            process = multiprocessing.Process(
                target=_client_process, args=(url, chunk, query, theirs), daemon=True
            )
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    def wait_connected(self) -> int:
        return sum(pipe.recv()[1] for pipe in self.pipes)

    def go(self) -> None:
        for pipe in self.pipes:
            pipe.send("go")

    def collect(self) -> list[Any]:
        """What every client received; ``cpu_seconds``: the CPU they used since "go"."""
        received: list[Any] = []
        self.cpu_seconds = 0.0
        for pipe in self.pipes:
            pipe.send("report")
        for pipe in self.pipes:
            _, theirs, cpu_seconds = pipe.recv()
            received += theirs
            self.cpu_seconds += cpu_seconds
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
        return received


LOGIN = """mutation($name: String!) { login(loginName: $name, password: "demo-password") {
  ... on LoginSuccess { token } } }"""


async def login(base_url: str, login_name: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            base_url + "/graphql", json={"query": LOGIN, "variables": {"name": login_name}}
        )
    token: str = response.json()["data"]["login"]["token"]
    return token


# ---- measurements --------------------------------------------------------------------------


async def redis_floor(redis_url: str, samples: int = 1000) -> list[float]:
    """Raw publish -> receive round trips through Redis, in ms."""
    async with Redis.from_url(redis_url) as redis:
        pubsub = redis.pubsub()
        await pubsub.subscribe("bench:floor")
        await pubsub.get_message(timeout=1)
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            await redis.publish("bench:floor", "x")
            while await pubsub.get_message(timeout=1) is None:
                pass
            times.append((time.perf_counter() - start) * 1000)
        await pubsub.aclose()
    return times


async def _post(
    client: httpx.AsyncClient, url: str, token: str, query: str, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    return body


async def announcement(
    server: ServerProcess,
    sender: ServerProcess,
    admin_token: str,
    user_ids: list[int],
    processes: int,
    repeats: int,
) -> None:
    ws_url = server.url.replace("http", "ws") + "/graphql"
    rss_before = server.rss_kib()
    fleet = ClientFleet(ws_url, [token_for(u) for u in user_ids], NOTIFICATIONS, processes)
    connected = fleet.wait_connected()
    # "Connected" means the subscribe frame was sent; the server registers each subscription
    # (one Redis SUBSCRIBE for the subscriber's own channel) afterwards. An event published
    # before that is not replayed, so give thousands of registrations time to finish.
    await asyncio.sleep(max(2.0, len(user_ids) / 500))
    per_connection = (server.rss_kib() - rss_before) / max(connected, 1)
    fleet.go()
    responded: dict[int, float] = {}  # announcement id -> its mutation's response
    # The server's CPU from each mutation's request until its fan-out is surely done. The
    # window also holds whatever else the server does meanwhile: WebSocket keep-alive pings
    # (one per connection every 20 s, about 60 µs each here), the bus's heartbeat.
    window = 0.5 + len(user_ids) / 10_000
    cpu: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        for number in range(repeats):
            cpu_before = server.cpu_seconds()
            body = await _post(
                client, sender.url + "/graphql", admin_token, ANNOUNCE, title=f"Fan-out {number}"
            )
            responded[body["data"]["createAnnouncement"]["announcement"]["id"]] = time.time()
            await asyncio.sleep(window)
            cpu.append(server.cpu_seconds() - cpu_before)
            # Each announcement is timed on its own: the next starts once this one is out.
            await asyncio.sleep(max(3.0, len(user_ids) / 2000) - window)
    received = fleet.collect()
    arrivals: dict[int, list[float]] = {id_: [] for id_ in responded}
    for at, data in received:
        if "notifications" in data:
            link_id = data["notifications"]["notification"]["linkId"]
            arrivals[link_id].append((at - responded[link_id]) * 1000)
    errors = [data for _, data in received if "error" in data]
    for number, latencies in enumerate(arrivals.values(), 1):
        print(
            f"(a) announcement {number}/{repeats} to {len(user_ids)} subscribers "
            f"({connected} connected): delivered {len(latencies)}/{len(user_ids)}, "
            f"{summary(latencies)}"
        )
    delivered = sum(len(latencies) for latencies in arrivals.values())
    print(f"    errors {len(errors)}")
    print(f"    server memory per idle subscribed connection: {per_connection:.1f} KiB")
    # Both sides share this machine's cores: what the clients spend is not the server's.
    server_ms = statistics.median(cpu) * 1000
    print(
        f"    server CPU per announcement (median, {window:.1f} s from its request): "
        f"{server_ms:.0f} ms, {server_ms * 1000 / len(user_ids):.0f} µs per subscriber; "
        f"clients' CPU per delivery: {fleet.cpu_seconds * 1e6 / max(delivered, 1):.0f} µs"
    )


async def messages(
    server: ServerProcess,
    sender: ServerProcess,
    sender_token: str,
    user_ids: list[int],
    rate: int,
    seconds: float,
    processes: int,
    batch: int,
) -> None:
    ws_url = server.url.replace("http", "ws") + "/graphql"
    fleet = ClientFleet(ws_url, [token_for(u) for u in user_ids], MESSAGES, processes)
    fleet.wait_connected()
    await asyncio.sleep(max(1.0, len(user_ids) / 500))  # registrations, as in (a)
    fleet.go()
    sent: dict[str, tuple[float, float]] = {}  # subject -> (request sent, response received)
    failed: list[int] = []
    url = sender.url + "/graphql"

    async def steady(client: httpx.AsyncClient, prefix: str, total: int) -> float:
        """Send ``total`` messages at ``rate`` per second; the rate achieved."""
        in_flight: set[asyncio.Task[None]] = set()

        async def send(call: int) -> None:
            numbers = range(call * batch, min(total, (call + 1) * batch))
            subjects = [f"{prefix}{n}" for n in numbers]
            recipients = [user_ids[n % len(user_ids)] for n in numbers]
            requested = time.time()
            try:
                if batch == 1:
                    await _post(client, url, sender_token, SEND, to=recipients, subject=subjects[0])
                else:
                    messages = [
                        {"recipientIds": [to], "subject": subject, "body": "benchmark"}
                        for to, subject in zip(recipients, subjects, strict=True)
                    ]
                    await _post(client, url, sender_token, SEND_MANY, messages=messages)
                responded = time.time()
                sent.update(dict.fromkeys(subjects, (requested, responded)))
            except (httpx.HTTPError, AssertionError) as error:
                # Reported, not raised: an overloaded sender must not end the run.
                if not failed:
                    print(f"    first failed mutation: {str(error)[:300]}")
                failed.extend(numbers)

        interval = batch / rate
        start = time.perf_counter()
        for call in range(-(-total // batch)):
            await asyncio.sleep(max(0.0, start + call * interval - time.perf_counter()))
            task = asyncio.create_task(send(call))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        await asyncio.gather(*in_flight)
        return total / (time.perf_counter() - start)

    total = int(rate * seconds)
    # Sixteen connections, as a front end's pool would hold: unbounded, a hiccup let hundreds
    # of requests pile up and the sender's database pools outgrow PostgreSQL's 100 connections.
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        # Two seconds at the same rate first, not counted: the sender's database pools and
        # statement caches fill up, as they would have long ago in a running deployment.
        await steady(client, "warm-up ", 2 * rate)
        sent.clear()
        failed.clear()
        await asyncio.sleep(1)
        achieved = await steady(client, "m", total)
    await asyncio.sleep(2)
    received = fleet.collect()
    arrivals = [
        (at, sent[d["messages"]["subject"]])
        for at, d in received
        if "messages" in d and d["messages"]["subject"] in sent
    ]
    # The event is published after the commit, before the response is written: a negative
    # latency is a message that arrived before its mutation's response did.
    latencies = [(at - responded) * 1000 for at, (_, responded) in arrivals]
    whole = [(at - requested) * 1000 for at, (requested, _) in arrivals]
    late = sum(1 for value in latencies if value > 2000)
    print(
        f"(b) per-user messages to {len(user_ids)} subscribers at {achieved:.0f}/s "
        f"(asked {rate}/s, {batch} per mutation): delivered {len(latencies)}/{total}, "
        f"from the response {summary(latencies)}, later than 2 s: {late}; "
        f"mutations failed: {len(failed)}"
    )
    print(f"    from the request (the mutation's own time included): {summary(whole)}")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=200, help="per-user messages per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--batch",
        type=int,
        default=10,
        help="per-user messages per mutation: 1 sends each with sendMessage, more with one "
        "sendMessages call (each message still to one user)",
    )
    parser.add_argument(
        "--announcements", type=int, default=3, help="announcements of (a), each timed alone"
    )
    parser.add_argument("--skip-messages", action="store_true", help="measure (a) only, not (b)")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument(
        "--sender-workers",
        type=int,
        default=1,
        help="uvicorn workers of the second server process that runs the sendMessage mutations",
    )
    args = parser.parse_args()
    # One socket per subscriber on each side: lift the open-file limit as far as allowed.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    settings = bench_settings(
        os.environ.get(
            "GQL_CRM_BENCH_DATABASE_URL",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/gqlcrm_bench",
        ),
        os.environ.get("GQL_CRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    )
    print(f"preparing {args.subscribers} users ...", flush=True)
    user_ids = await prepare_database(settings, args.subscribers)
    floor = await redis_floor(settings.redis_url or "")
    print(f"floor: raw Redis publish->receive {summary(floor)}")
    server = ServerProcess(settings)
    sender = ServerProcess(settings, workers=args.sender_workers)
    try:
        await server.wait_ready()
        await sender.wait_ready()
        admin_token = await login(server.url, "admin")
        await announcement(
            server, sender, admin_token, user_ids, args.client_processes, args.announcements
        )
        if not args.skip_messages:
            await messages(
                server,
                sender,
                admin_token,
                user_ids,
                args.rate,
                args.seconds,
                args.client_processes,
                args.batch,
            )
    finally:
        server.stop()
        sender.stop()
    print(f"floor p50 {percentile(floor, 0.5):.2f} ms / p99 {percentile(floor, 0.99):.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
