"""What a front end shows first: our server against PostGraphile v5, same data, same load, one run.

    .venv/bin/gql-crm bench-seed --customers 10000      # once: fills the benchmark database
    .venv/bin/python -m bench.customer_view              # ~2 minutes: the customer view
    .venv/bin/python -m bench.customer_view --read list  # a list page of one owner's customers
    .venv/bin/python -m bench.customer_view --read workbench   # sales01's workbench (ours only)
    .venv/bin/python -m bench.customer_view --read workbench --login bench   # who sees everyone
    .venv/bin/python -m bench.customer_view --read orders   # manager01's orders page (ours only)

Both servers answer the same 16-part customer view (written in each one's names) for customer
ids rotating over every seeded customer, passed as a GraphQL variable, under the same load
(``../shared/peers/load.sh``: 16 connections, 10 s after a 3 s warm-up). Ours runs as
``gql-crm serve`` in production configuration (PostgreSQL, Redis, two worker processes, and
again with one, then with compiled reads switched off: every query through Strawberry and the
loaders, and last with one and with four connections: the time a user waits when few others
are asking); the benchmark user logs in and goes through the normal permission path.
PostGraphile reads the same tables without any permission checks (the peer's reference setup).
The workbench and the orders page have no peer: their baseline is our server answering
``{ __typename }`` under the same load, a read of nothing, the most any read reaches on the
machine.
Nothing is cached across requests in either server beyond parsed and planned documents, and
in ours each token's principal, which the one statement of a compiled answer checks against
the database (a request answered otherwise reads it again first); never a response.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import ServerProcess, bench_settings, free_port

PEERS = Path(__file__).resolve().parents[2] / "shared" / "peers"
DATABASE_URL = os.environ.get(
    "GQL_CRM_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/gqlcrm_bench"
)
REDIS_URL = os.environ.get("GQL_CRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
BENCH_LOGIN, BENCH_PASSWORD = "bench", "bench-password"
CONNECTIONS = 16
FEWER_CONNECTIONS = (1, 4)  # ours again, with fewer users at once
PAGE = 5  # rows per list part: about 5 KB of JSON per view, as a customer page shows
SALES_IDS = "4-57"  # the salespeople's user ids (sales01 is 4; four managers among them own none)

OURS = f"""
query CustomerView($id: Int!) {{
  customer(id: $id) {{
    id name kind city pool lastFollowUpAt createdAt
    owner {{ id name }}
    category {{ label }}
    maturity {{ label }}
    money {{ contractTotal receivedTotal }}
    primaryContact {{ id name mobile email }}
    contacts {{ id name title mobile }}
    schedules(first: {PAGE}) {{ nodes {{ id title startsAt endsAt }} }}
    tasks(first: {PAGE}) {{ nodes {{ id content dueAt done }} }}
    followUps(first: {PAGE}) {{
      nodes {{ id content followedAt method {{ label }} author {{ name }} }}
    }}
    opportunities(first: {PAGE}) {{ nodes {{ id title amount stage {{ name }} }} }}
    orders(first: {PAGE}) {{ nodes {{ id title amount signedOn }} }}
    paymentPlans(first: {PAGE}) {{ nodes {{ id dueOn amount }} }}
    payments(first: {PAGE}) {{ nodes {{ id paidOn amount }} }}
    invoices(first: {PAGE}) {{ nodes {{ id number amount issuedOn }} }}
    complaints(first: {PAGE}) {{ nodes {{ id complaintType content status }} }}
    serviceRecords(first: {PAGE}) {{ nodes {{ id serviceType servedAt content }} }}
    notes(first: {PAGE}) {{ nodes {{ id content createdAt }} }}
    expenses(first: {PAGE}) {{ nodes {{ id amount occurredOn description }} }}
  }}
}}
"""

# PostGraphile's names for the same parts. Payment plans, payments and invoices belong to
# orders in the tables, so they are read through the customer's orders; the money totals are
# computed columns (SQL functions, created below) as PostGraphile has no aggregates of its own.
# PostGraphile filters only on indexed columns, so the primary contact comes with the list.
POSTGRAPHILE = f"""
query CustomerView($id: Int!) {{
  customer(rowId: $id) {{
    rowId name kind city pool lastFollowUpAt createdAt
    owner {{ rowId name }}
    category {{ label }}
    maturity {{ label }}
    contractTotal receivedTotal
    contacts(orderBy: PRIMARY_KEY_ASC) {{ nodes {{ rowId name title mobile email isPrimary }} }}
    schedules(first: {PAGE}, orderBy: STARTS_AT_DESC) {{ nodes {{ rowId title startsAt endsAt }} }}
    tasks(first: {PAGE}, orderBy: DUE_AT_ASC) {{ nodes {{ rowId content dueAt done }} }}
    followUps(first: {PAGE}, orderBy: FOLLOWED_AT_DESC) {{
      nodes {{ rowId content followedAt method {{ label }} author {{ name }} }}
    }}
    opportunities(first: {PAGE}, orderBy: CREATED_AT_DESC) {{
      nodes {{ rowId title amount stage {{ name }} }}
    }}
    orders(first: {PAGE}, orderBy: CREATED_AT_DESC) {{
      nodes {{
        rowId title amount signedOn
        paymentPlans(first: {PAGE}) {{ nodes {{ rowId dueOn amount }} }}
        paymentRecords(first: {PAGE}) {{ nodes {{ rowId paidOn amount }} }}
        invoices(first: {PAGE}) {{ nodes {{ rowId number amount issuedOn }} }}
      }}
    }}
    complaints(first: {PAGE}, orderBy: PRIMARY_KEY_DESC) {{
      nodes {{ rowId complaintType content status }}
    }}
    serviceRecords(first: {PAGE}, orderBy: PRIMARY_KEY_DESC) {{
      nodes {{ rowId serviceType servedAt content }}
    }}
    customerNotes(first: {PAGE}, orderBy: PRIMARY_KEY_DESC) {{
      nodes {{ rowId content createdAt }}
    }}
    expenses(first: {PAGE}, orderBy: PRIMARY_KEY_DESC) {{
      nodes {{ rowId amount occurredOn description }}
    }}
  }}
}}
"""

# A list page: 50 of one owner's customers, newest first, with what a list row shows and the
# total; the owner rotates over the salespeople.
LIST = """
query CustomerList($id: Int!) {
  customers(first: 50, filter: {ownerId: $id}) {
    totalCount
    edges { node { id name city pool lastFollowUpAt createdAt
      owner { id name } category { label } maturity { label } } }
  }
}
"""
LIST_POSTGRAPHILE = """
query CustomerList($id: Int!) {
  customers(first: 50, condition: {ownerId: $id}, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) {
    totalCount
    nodes { rowId name city pool lastFollowUpAt createdAt
      owner { rowId name } category { label } maturity { label } }
  }
}
"""
# Every part of the workbench, as sales01 opens it in the morning (no peer has one).
WORKBENCH = """
query Workbench {
  workbench {
    today
    schedules { id title startsAt }
    tasks { id content dueAt }
    announcements { id title }
    receivables { overdue plan { id amount dueOn } order { id title } }
    callRecords { id callerNumber }
    complaints { id status }
    deliveryReminders { deliveredQuantity plan { id quantity } order { id } }
    mySalesThisMonth
    companySalesThisMonth
    releasingCustomers { id name }
  }
}
"""


# The orders page a manager opens: the newest orders of their department, with the count.
ORDERS = """
query Orders {
  orders(first: 20) {
    totalCount
    nodes { id title amount signedOn customerName owner { id name } }
  }
}
"""


@dataclass(frozen=True, slots=True)
class Read:
    """One read of the benchmark: our query, PostGraphile's (if it has one), the ids it
    rotates over, the root field its answer must hold, and who reads."""

    ours: str
    peer: str | None
    ids: str
    root: str
    login: str = BENCH_LOGIN


def reads(customers: int) -> dict[str, Read]:
    return {
        "view": Read(OURS, POSTGRAPHILE, f"1-{customers}", "customer"),
        "list": Read(LIST, LIST_POSTGRAPHILE, SALES_IDS, "customers"),
        "workbench": Read(WORKBENCH, None, "1-1", "workbench", login="sales01"),
        "orders": Read(ORDERS, None, "1-1", "orders", login="manager01"),
    }


COMPUTED_COLUMNS = [
    """
    CREATE OR REPLACE FUNCTION customers_contract_total(c customers) RETURNS numeric
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(sum(amount), 0) FROM orders
      WHERE customer_id = c.id AND deleted_at IS NULL
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION customers_received_total(c customers) RETURNS numeric
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(sum(p.amount), 0) FROM payment_records p
      JOIN orders o ON o.id = p.order_id
      WHERE o.customer_id = c.id AND o.deleted_at IS NULL
    $$
    """,
]


@dataclass(frozen=True, slots=True)
class Figures:
    name: str
    rps: float
    p50: float
    p99: float
    requests: int
    failures: int
    response_bytes: int

    def row(self) -> str:
        return (
            f"| {self.name} | {self.rps:.0f} | {self.p50:.0f} ms | {self.p99:.0f} ms "
            f"| {self.requests} | {self.failures} | {self.response_bytes / 1024:.1f} KB |"
        )


async def prepare(customers_needed: int) -> None:
    """Checks the seeded data and adds PostGraphile's computed columns."""
    engine = create_async_engine(DATABASE_URL)
    try:
        async with engine.begin() as connection:
            count = int(await connection.scalar(text("SELECT count(*) FROM customers")) or 0)
            seeded = await connection.scalar(
                text("SELECT count(*) FROM users WHERE login_name = :login"), {"login": BENCH_LOGIN}
            )
            if count < customers_needed or not seeded:
                raise SystemExit(
                    f"{DATABASE_URL} holds {count} customers"
                    f"{'' if seeded else ' and no benchmark user'}; run "
                    f"`gql-crm bench-seed --customers {customers_needed}` first."
                )
            for statement in COMPUTED_COLUMNS:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def load(
    url: str,
    body: dict[str, object],
    ids: str,
    seconds: int,
    *headers: str,
    connections: int = CONNECTIONS,
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(body, file)
    try:
        command = [
            str(PEERS / "load.sh"),
            "--url", url,
            "--body", file.name,
            "--connections", str(connections),
            "--seconds", str(seconds),
            "--ids", ids,
        ]  # fmt: skip
        for header in headers:
            command += ["--header", header]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(file.name)
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


async def measure(
    name: str,
    url: str,
    query: str,
    read: Read,
    seconds: int,
    *headers: str,
    connections: int = CONNECTIONS,
) -> Figures:
    ids = read.ids
    variables = {"id": "__ID__"} if "$id" in query else {}
    body: dict[str, object] = {"query": query, "variables": variables}
    first = int(ids.split("-")[0])
    async with httpx.AsyncClient(timeout=30) as client:
        sample = await client.post(
            url,
            json={"query": query, "variables": {"id": first} if variables else {}},
            headers=dict(h.split(": ", 1) for h in headers),
        )
    answer = sample.json()
    if answer.get("errors") or not answer.get("data", {}).get(read.root):
        raise SystemExit(f"{name} answered with {sample.text[:500]}")
    load(url, body, ids, 3, *headers)  # warm-up: connections, plans, caches
    result = load(url, body, ids, seconds, *headers, connections=connections)
    failures = int(result["errors"] + result["non2xx"] + result["graphql_errors"])
    return Figures(
        name,
        result["rps"],
        result["p50_ms"],
        result["p99_ms"],
        int(result["requests"]),
        failures,
        len(sample.content),
    )


async def ours(
    workers: int, read: Read, seconds: int, compiled: bool = True, connections: int = CONNECTIONS
) -> Figures:
    settings = bench_settings(DATABASE_URL, REDIS_URL)
    # The server process reads its settings from the environment it starts with.
    os.environ["GQL_CRM_COMPILED_READS"] = str(compiled).lower()
    try:
        server = ServerProcess(settings, workers=workers)
    finally:
        del os.environ["GQL_CRM_COMPILED_READS"]
    try:
        await server.wait_ready()
        url = f"{server.url}/graphql"
        login = {
            "query": "mutation($login: String!, $password: String!) { login("
            "loginName: $login, password: $password) { ... on LoginSuccess { token } } }",
            "variables": {"login": read.login, "password": BENCH_PASSWORD},
        }
        async with httpx.AsyncClient(timeout=30) as client:
            answer = (await client.post(url, json=login)).json()
        token = answer["data"]["login"]["token"]
        name = f"gql-crm serve --workers {workers}" + ("" if compiled else ", compiled reads off")
        if connections != CONNECTIONS:
            name += f", {connections} connection" + ("s" if connections > 1 else "")
        authorization = f"authorization: Bearer {token}"
        return await measure(
            name, url, read.ours, read, seconds, authorization, connections=connections
        )
    finally:
        server.stop()


def start_postgraphile(port: int) -> subprocess.Popen[bytes]:
    plain_url = DATABASE_URL.replace("postgresql+asyncpg://", "postgres://")
    return subprocess.Popen(
        [str(PEERS / "postgraphile.sh"), plain_url, "public", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the script's node process goes down with it
    )


async def postgraphile(read: Read, seconds: int) -> Figures:
    port = free_port()
    process = start_postgraphile(port)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                try:
                    await client.post(url, json={"query": "{ __typename }"})
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        assert read.peer is not None
        return await measure("PostGraphile v5", url, read.peer, read, seconds)
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--customers", type=int, default=10_000, help="ids rotate over 1..N")
    parser.add_argument("--read", choices=("view", "list", "workbench", "orders"), default="view")
    parser.add_argument("--login", help="who reads (the workbench: sales01, scope 'own'; "
                        "manager01 sees a department, bench everyone)")  # fmt: skip
    args = parser.parse_args()
    await prepare(args.customers)
    read = reads(args.customers)[args.read]
    if args.login:
        read = replace(read, login=args.login)
    under = f"{CONNECTIONS} connections, {args.seconds} s, ids {read.ids}"
    print(f"{args.read} as {read.login}, {under}")
    # Without a peer, the baseline is our own server answering a query that reads nothing:
    # the most any read can reach on this machine under the same load.
    floor = replace(read, ours="{ __typename }", root="__typename")
    if read.peer:
        baseline = await postgraphile(read, args.seconds)
    else:
        nothing = await ours(2, floor, args.seconds)
        baseline = replace(nothing, name=f"{nothing.name}, {floor.ours}")
    results = [
        await ours(2, read, args.seconds),
        await ours(1, read, args.seconds),
        # Every query through Strawberry and the loaders: what the compiled reads replace.
        await ours(2, read, args.seconds, compiled=False),
        # Fewer users at once: how long one waits when the server has little else to do.
        *[await ours(2, read, args.seconds, connections=n) for n in FEWER_CONNECTIONS],
    ]
    print("| server | req/s | p50 | p99 | requests | failed | response |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for figures in [baseline, *results]:
        print(figures.row())
    for figures in results[: -len(FEWER_CONNECTIONS)]:  # the baseline ran with 16
        if not read.peer:
            print(f"{figures.name}: throughput {figures.rps / baseline.rps:.2f}x a read of nothing")
            continue
        print(
            f"{figures.name}: throughput {figures.rps / baseline.rps:.2f}x PostGraphile, "
            f"p99 {figures.p99 / baseline.p99:.2f}x PostGraphile's"
        )


if __name__ == "__main__":
    asyncio.run(main())
