"""The customer-view benchmark data: N customers with every part of the customer view.

    .venv/bin/python -m bench.seed [--customers 10000] [--database-url URL]

Same as ``gql-crm bench-seed``; the generator lives in ``gql_crm.seed.bench`` so
that the installed command has it too. Rebuilds the database (default
GQL_CRM_BENCH_DATABASE_URL, else the local ``gqlcrm_bench``) from scratch.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from gql_crm.seed.bench import SeedRefused, bench_database_url, seed_benchmark
from gql_crm.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    settings = Settings(database_url=args.database_url or bench_database_url(), scheduler=False)
    try:
        asyncio.run(seed_benchmark(settings, args.customers))
    except SeedRefused as error:
        print(f"bench.seed: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
