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
import gc
import multiprocessing
import os
import resource
import time
from multiprocessing.connection import Connection
from typing import Any

import httpx
import orjson
import websockets
from redis.asyncio import Redis

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
  input: {title: $title, content: "benchmark"}) { __typename } }"""
SEND = """mutation($to: [Int!]!, $subject: String!) {
  sendMessage(recipientIds: $to, subject: $subject, body: "benchmark") { __typename } }"""
SEND_MANY = """mutation($messages: [MessageInput!]!) {
  sendMessages(messages: $messages) { __typename } }"""


# ---- client processes ---------------------------------------------------------------------


async def _client(
    url: str,
    token: str,
    query: str,
    ready: asyncio.Event,
    received: list[Any],
    subscribed: asyncio.Event,
) -> None:
    protocols: Any = ["graphql-transport-ws"]
    async with websockets.connect(url, subprotocols=protocols, max_queue=None) as ws:
        await ws.send(
            orjson.dumps({"type": "connection_init", "payload": {"token": token}}).decode()
        )
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}).decode()
        )
        subscribed.set()
        await ready.wait()
        async for raw in ws:
            message = orjson.loads(raw)
            if message.get("type") == "next":
                received.append((time.time(), message["payload"]["data"]))
            elif message.get("type") in ("error", "complete"):
                received.append((time.time(), {"error": message}))
                return


async def _clients(url: str, tokens: list[str], query: str, pipe: Connection) -> None:
    received: list[Any] = []
    opened: list[int] = []
    ready = asyncio.Event()
    tasks = []
    limit = asyncio.Semaphore(100)  # don't overrun the server's accept backlog

    async def start(token: str) -> None:
        async with limit:
            subscribed = asyncio.Event()
            task = asyncio.create_task(_client(url, token, query, ready, received, subscribed))
            tasks.append(task)
            await asyncio.wait(
                [asyncio.ensure_future(subscribed.wait()), task],
                return_when=asyncio.FIRST_COMPLETED,
            )
            if subscribed.is_set():
                opened.append(1)

    await asyncio.gather(*(start(t) for t in tokens))
    # Thousands of open client connections are long-lived objects: without this, the
    # client's own collections (0.1-0.7 s each) would be timed as the server's latency.
    # A client process lives for one measurement: it can do without the cycle collector.
    gc.collect()
    gc.freeze()
    gc.disable()
    pipe.send(("connected", len(opened)))
    await asyncio.to_thread(pipe.recv)  # "go": the driver is about to act
    ready.set()
    await asyncio.to_thread(pipe.recv)  # "report"
    pipe.send(("received", received))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _client_process(url: str, tokens: list[str], query: str, pipe: Connection) -> None:
    asyncio.run(_clients(url, tokens, query, pipe))


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
        received: list[Any] = []
        for pipe in self.pipes:
            pipe.send("report")
        for pipe in self.pipes:
            received += pipe.recv()[1]
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
) -> float:
    response = await client.post(
        url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert not body.get("errors"), body
    return time.time()


async def announcement(
    server: ServerProcess,
    sender: ServerProcess,
    admin_token: str,
    user_ids: list[int],
    processes: int,
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
    async with httpx.AsyncClient(timeout=60) as client:
        responded = await _post(
            client, sender.url + "/graphql", admin_token, ANNOUNCE, title="Fan-out"
        )
    await asyncio.sleep(max(3.0, len(user_ids) / 2000))
    received = fleet.collect()
    latencies = [(at - responded) * 1000 for at, data in received if "notifications" in data]
    errors = [data for _, data in received if "error" in data]
    print(
        f"(a) announcement to {len(user_ids)} subscribers ({connected} connected): "
        f"delivered {len(latencies)}/{len(user_ids)}, {summary(latencies)}; errors {len(errors)}"
    )
    print(f"    server memory per idle subscribed connection: {per_connection:.1f} KiB")


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
                    responded = await _post(
                        client, url, sender_token, SEND, to=recipients, subject=subjects[0]
                    )
                else:
                    messages = [
                        {"recipientIds": [to], "subject": subject, "body": "benchmark"}
                        for to, subject in zip(recipients, subjects, strict=True)
                    ]
                    responded = await _post(client, url, sender_token, SEND_MANY, messages=messages)
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
        await announcement(server, sender, admin_token, user_ids, args.client_processes)
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
