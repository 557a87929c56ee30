"""A single-page front end served from another origin, in a real browser: it queries with its
token (CORS preflight and all) and subscribes over WebSocket when its origin is allowed, and
the browser keeps the API from a page whose origin is not."""

from __future__ import annotations

from playwright.async_api import Page, async_playwright
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from gql_crm.clock import FrozenClock
from gql_crm.db.engine import Database
from gql_crm.settings import Settings
from tests.edge.conftest import edge_app
from tests.fixtures.browser import CHROMIUM, needs_chromium
from tests.fixtures.live_server import listening
from tests.graphql_client import GraphQLClient
from tests.server_process import free_port

# What a front end does, in plain browser JavaScript: fetch with a bearer token, and the
# graphql-transport-ws protocol with the token in connection_init.
FRONT_END = """<!doctype html>
<html><body><script>
window.state = {notices: [], error: null, subscribed: false};
window.start = async (api, token) => {
  try {
    const response = await fetch(api + "/graphql", {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
      body: JSON.stringify({query: "{ me { loginName } }"}),
    });
    window.state.query = await response.json();
  } catch (error) {
    window.state.error = String(error);
    return;
  }
  const socket = new WebSocket(api.replace("http", "ws") + "/graphql", "graphql-transport-ws");
  socket.onopen = () => socket.send(JSON.stringify(
    {type: "connection_init", payload: {Authorization: "Bearer " + token}}));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      socket.send(JSON.stringify({id: "1", type: "subscribe",
        payload: {query: "subscription { instantNotices { title } }"}}));
      window.state.subscribed = true;
    } else if (message.type === "next") {
      window.state.notices.push(message.payload.data.instantNotices.title);
    }
  };
  socket.onclose = (event) => { window.state.closed = event.code; };
};
</script></body></html>"""


def _front_end_server() -> Starlette:
    return Starlette(routes=[Route("/", lambda _: HTMLResponse(FRONT_END))])


async def _open(page: Page, url: str, api: str, token: str) -> dict[str, object]:
    await page.goto(url)
    await page.evaluate("([api, token]) => window.start(api, token)", [api, token])
    state: dict[str, object] = await page.evaluate("window.state")
    return state


@needs_chromium
async def test_a_page_on_an_allowed_origin_queries_and_subscribes(
    settings: Settings, clock: FrozenClock, database: Database
) -> None:
    page_port = free_port()
    allowed = f"http://localhost:{page_port}"  # the same page as 127.0.0.1 is another origin
    async with (
        edge_app(settings, clock, allowed_origins=[allowed]) as (api_app, http),
        listening(api_app) as api,
        listening(_front_end_server(), page_port),
        async_playwright() as playwright,
    ):
        client = GraphQLClient(http)
        token = (await client.as_user("sales1")).token
        admin = await client.as_user("admin")
        assert token is not None
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = await browser.new_page()
            state = await _open(page, allowed, api, token)
            assert state["error"] is None
            assert state["query"] == {"data": {"me": {"loginName": "sales1"}}}

            await page.wait_for_function("window.state.subscribed", timeout=10_000)
            for _ in range(50):  # until the subscription is attached and hears a notice
                await admin.data(
                    'mutation { sendInstantNotice(title: "Fire drill") { __typename } }'
                )
                if await page.evaluate("window.state.notices.length"):
                    break
                await page.wait_for_timeout(100)
            assert "Fire drill" in await page.evaluate("window.state.notices")

            elsewhere = await browser.new_page()
            refused = await _open(elsewhere, f"http://127.0.0.1:{page_port}", api, token)
            assert refused["error"] is not None and "query" not in refused
        finally:
            await browser.close()
