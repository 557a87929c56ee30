"""GraphiQL works without the internet: its files come from this package, as pinned, and the
page says which (Subresource Integrity)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Route, async_playwright
from starlette.applications import Starlette

from gql_crm.web import graphiql
from tests.fixtures.browser import CHROMIUM, needs_chromium
from tests.fixtures.live_server import listening
from tests.graphql_client import GraphQLClient


def _sri(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_the_recorded_hashes_are_those_of_the_vendored_files() -> None:
    recorded = json.loads((graphiql.HERE / "assets.json").read_text())
    assert recorded, "assets.json lists the page's files"
    for entry in recorded:
        assert _sri(graphiql.ASSETS / entry["path"]) == entry["integrity"], entry["path"]


async def test_the_page_loads_each_file_from_here_with_its_hash(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    tags = re.findall(r'(?:src|href)="(graphiql/[^"]+)" integrity="([^"]+)"', page.text)
    assert len(tags) == len(graphiql.assets())
    assert "unpkg.com" not in page.text and "https://" not in page.text.split("<body>")[0]
    for url, integrity in tags:
        served = await http.get(f"/{url}")
        assert served.status_code == 200, url
        digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url
        assert served.headers["cache-control"] == graphiql.CACHE_CONTROL
    assert (await http.get("/graphiql/react@18.2.0/package.json")).status_code == 404
    assert (await http.get("/graphiql/../../settings.py")).status_code == 404


@needs_chromium
async def test_graphiql_runs_a_query_and_a_subscription_with_the_network_off(
    app: Starlette, gql: GraphQLClient
) -> None:
    token = (await gql.as_user("sales1")).token
    admin = await gql.as_user("admin")
    blocked: list[str] = []

    async def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    async with listening(app) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = await browser.new_page()
            await page.route("**/*", local_only)
            await page.goto(f"{base}/graphql")
            query_editor = page.locator(".graphiql-query-editor .CodeMirror")
            await query_editor.wait_for(timeout=30_000)  # React and GraphiQL have run
            # The documentation, from the schema's introspection.
            await page.get_by_role("button", name="Show Documentation Explorer").click()
            docs = page.locator(".graphiql-doc-explorer")
            await docs.get_by_text("Query", exact=True).first.wait_for(timeout=10_000)
            # The token goes in the headers tab, as a person would put it there.
            await page.get_by_role("button", name="Headers").click()
            await page.locator(".graphiql-editor-tool .CodeMirror").last.click()
            await page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {token}"}))
            await query_editor.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text("query WhoAmI { me { loginName } }")
            await page.locator(".graphiql-execute-button").click()
            response = page.locator(".graphiql-response")
            await response.get_by_text('"sales1"').wait_for(timeout=10_000)

            # Subscriptions: GraphiQL sends the headers tab's token in connection_init.
            await query_editor.click()
            await page.keyboard.press("Control+A")
            await page.keyboard.insert_text("subscription { instantNotices { title } }")
            execute = page.locator(".graphiql-execute-button")
            await execute.click()
            notice = response.get_by_text('"Fire drill"')
            went_over_http = response.get_by_text('"errors"')
            for _ in range(50):  # until the subscription is attached and hears a notice
                await admin.data(
                    'mutation { sendInstantNotice(title: "Fire drill") { __typename } }'
                )
                if await notice.count():
                    break
                if await went_over_http.count():
                    # GraphiQL picks WebSocket from its parse of the editor, which lags
                    # typing by a moment: it sent the subscription as a POST. Again.
                    await execute.click()
                await page.wait_for_timeout(100)
            assert await notice.count() == 1
        finally:
            await browser.close()
    assert blocked == [], "the page asked for nothing beyond this server"
