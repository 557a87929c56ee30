"""GraphiQL without the internet: Strawberry's page, its npm files served from this package.

Strawberry's page loads React, GraphiQL and the explorer plugin from a CDN, so on an
intranet it never gets past "Loading...". The same files, at the same pinned versions, are
vendored in ``assets/`` by ``scripts/vendor_graphiql.py``, which records their Subresource
Integrity hashes in ``assets.json``; the page names them by version, so they are cached for
good.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from gql_crm.settings import Settings

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
# Relative to the page (``/graphql``), so that the server may sit under a path prefix.
URL_PREFIX = "graphiql"
# A file's path carries its package's version: a new version is a new address.
CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # "<package>@<version>/<file>", under ASSETS and under URL_PREFIX
    integrity: str  # "sha384-..."


@functools.cache
def assets() -> tuple[Asset, ...]:
    """The vendored files, in the order the page loads them."""
    entries = json.loads((HERE / "assets.json").read_text())
    return tuple(Asset(entry["path"], entry["integrity"]) for entry in entries)


@functools.cache
def page() -> str:
    """The GraphiQL page, its styles and scripts pointing at this server."""
    tags = []
    for asset in assets():
        url = escape(f"{URL_PREFIX}/{asset.path}")
        integrity = escape(asset.integrity)
        if asset.path.endswith(".css"):
            tags.append(f'<link rel="stylesheet" href="{url}" integrity="{integrity}" />')
        else:
            tags.append(f'<script src="{url}" integrity="{integrity}"></script>')
    template = (HERE / "index.html").read_text()
    return template.replace("%ASSETS%", "\n    ".join(tags))


@functools.cache
def _files() -> dict[str, Path]:
    return {asset.path: ASSETS / asset.path for asset in assets()}


async def asset(request: Request) -> Response:
    """One vendored file; only those listed in ``assets.json`` are served."""
    path = _files().get(request.path_params["path"])
    if path is None:
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": CACHE_CONTROL})


def routes(settings: Settings) -> list[Route]:
    """The files' route, when GraphiQL is on."""
    if not settings.graphiql_enabled:
        return []
    return [Route(f"/{URL_PREFIX}/{{path:path}}", asset, methods=["GET", "HEAD"])]
