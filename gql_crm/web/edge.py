"""What is settled at the edge, before a request reaches GraphQL: CORS for browser front ends
on other origins, the request body limit, and the refusals (413, 429, 401) that answer
without reading or running anything.

The body limit is checked twice: a declared ``Content-Length`` over the cap is refused
before a byte is read, and a body without one (chunked) is counted while it streams in, so
that the refusal comes at the cap, not after the whole body was buffered or spooled. The
server (uvicorn) discards the unread rest of a refused body without keeping it, so the
client still reads the 413 (``bench/edge_body.py`` shows the memory staying put).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql_crm.services.files import describe_size
from gql_crm.settings import Settings
from gql_crm.web.protocol import RequestRefused
from gql_crm.web.uploads import is_multipart, upload_cap


def _too_large(settings: Settings, upload: bool) -> RequestRefused:
    if upload:
        message = f"Files may hold at most {describe_size(settings.max_attachment_bytes)}."
    else:
        message = f"A request body may hold at most {describe_size(settings.max_body_bytes)}."
    return RequestRefused(message, "PAYLOAD_TOO_LARGE", status=413)


class EdgeLimits:
    """ASGI middleware: the body limit, and a ``RequestRefused`` raised below it (a route,
    the GraphQL view's context) turned into its response while none has started."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload = is_multipart(headers.get("content-type"))
        limit = upload_cap(self.settings) if upload else self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            refusal = _too_large(self.settings, upload).response(headers.get("accept"))
            await refusal(scope, receive, send)
            return

        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(self.settings, upload)
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except RequestRefused as refused:
            if started:
                raise
            await refused.response(headers.get("accept"))(scope, receive, send)


def edge_middleware(settings: Settings) -> list[Middleware]:
    """The middleware in front of every route, outermost first: CORS answers preflights and
    marks every response (refusals too, so that a page can read a 413 or 429)."""
    middleware = []
    if settings.allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST"],
                # The origins listed are trusted: a list of headers would protect nothing
                # and break clients that send one more (tracing, client names).
                allow_headers=["*"],
                allow_credentials=True,
                expose_headers=["Retry-After"],
                max_age=600,
            )
        )
    middleware.append(Middleware(EdgeLimits, settings=settings))
    return middleware
