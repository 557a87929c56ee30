"""The graphql-transport-ws handler: current rights per operation, plain-data subscriptions
served by projection, sessions that end close the socket."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, cast

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    ConnectionInitMessage,
    ErrorMessage,
    NextMessage,
    NextMessagePayload,
)
from strawberry.utils.aio import aclosing

from gql_crm.auth.principal import Principal, Unauthenticated
from gql_crm.context import Context
from gql_crm.direct.frames import OperationFrames
from gql_crm.direct.subscriptions import DirectSubscription, error_payload
from gql_crm.observability.metrics import WEBSOCKETS
from gql_crm.services.auth import client_key
from gql_crm.subscriptions.bus import user_channel
from gql_crm.subscriptions.live import Feed, listening, live_items
from gql_crm.subscriptions.long_lived import TOO_MANY_CONNECTIONS_CLOSE_CODE, TooManyConnections
from gql_crm.subscriptions.session import (
    SESSION_ENDED_CLOSE_CODE,
    SessionEnded,
    current_principal,
)
from gql_crm.web.rate_limits import RATE_LIMITED, rate_limited_message, rate_limits_of

if TYPE_CHECKING:
    from gql_crm.web.graphql_view import CrmGraphQL

logger = logging.getLogger("gql_crm")


class LiveTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with plain-data subscriptions served by projection.

    See ``gql_crm/direct/subscriptions.py``: the feed (and with it every permission and scope check)
    is the same as Strawberry's resolver runs; only graphql-core's per-event execution and
    Strawberry's per-result extension hooks are left out. Everything else is Strawberry's.
    """

    _closing = False  # the connection is being closed because its session ended
    _awaiting_init: str | None = None  # the client address, until connection_init

    async def handle(self) -> None:
        connections = self._view().connections
        settings = self.context.services.settings
        request = self.context.request
        client = client_key(request.client.host if request and request.client else None)
        try:
            connections.await_init(client, settings.max_pending_connections_per_client)
        except TooManyConnections as refused:
            await self._close_over_cap(refused)
            return
        self._awaiting_init = client
        connections.opened()
        WEBSOCKETS.inc()
        try:
            await super().handle()
        finally:
            self._initialised()
            admitted = self.context.principal  # by on_ws_connect, with its credentials
            if self.context.token_claims is not None and admitted is not None:
                connections.user_left(admitted.user_id)
            connections.closed()
            WEBSOCKETS.dec()

    def _view(self) -> CrmGraphQL:
        return cast("CrmGraphQL", self.view)

    def _initialised(self) -> None:
        if self._awaiting_init is not None:
            self._view().connections.initialised(self._awaiting_init)
            self._awaiting_init = None

    async def _close_over_cap(self, refused: TooManyConnections) -> None:
        with contextlib.suppress(WebSocketDisconnected, WebSocketDisconnect, RuntimeError):
            await self.websocket.close(
                code=TOO_MANY_CONNECTIONS_CLOSE_CODE, reason=_close_reason(refused.reason)
            )

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        self._initialised()
        try:
            await super().handle_connection_init(message)
        except TooManyConnections as refused:  # raised by the view's on_ws_connect
            await self._close_over_cap(refused)
            return
        if self.connection_init_received:
            # The timeout task is cancelled by now; holding it kept its CancelledError, the
            # traceback and both frames alive for the connection's lifetime (about 1 KB each).
            self.connection_init_timeout_task = None

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        view = self._view()
        context = self.context
        if context.session_ended is None:
            try:
                # Every operation runs with the rights of now, not those of connection_init.
                context.principal = await self._current_principal()
            except SessionEnded as ended:
                context.session_ended = ended
            except Exception as error:  # the database is unreachable...: this operation fails
                await self._refuse(operation, error, view.error_policy.process)
                return
        if context.session_ended is not None:
            await self._end_session(operation, context.session_ended)
            return
        if await self._rate_limited(operation):
            return
        direct = view.planner.plan(operation.query, operation.variables, operation.operation_name)
        if direct is None:
            await super().run_operation(operation)
        else:
            try:
                await self._run_direct(operation, direct, view.error_policy.process)
            except WebSocketDisconnected:
                self.operations.pop(operation.id, None)
                return
        if context.session_ended is not None:  # learnt by the subscription that just ended
            await self._end_session(operation, context.session_ended)

    async def _rate_limited(self, operation: Operation[Context, None]) -> bool:
        """Count the operation against the caller's limits; refuse it when over."""
        connection = self.context.request
        assert connection is not None  # the view always gives the context its socket
        wait = await rate_limits_of(connection).retry_after(self.context.require_principal())
        if wait is None:
            return False
        error = GraphQLError(
            rate_limited_message(wait),
            extensions={"code": RATE_LIMITED, "retryAfter": wait},
        )
        with contextlib.suppress(WebSocketDisconnected):
            await operation.send_operation_message(
                ErrorMessage(id=operation.id, type="error", payload=[error.formatted])
            )
        return True

    async def _current_principal(self) -> Principal:
        claims = self.context.token_claims
        assert claims is not None  # an acknowledged connection has them (on_ws_connect)
        return await current_principal(self.context.services, claims)

    async def _refuse(
        self,
        operation: Operation[Context, None],
        error: Exception,
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> None:
        logger.warning("could not reload a connection's principal", exc_info=error)
        with contextlib.suppress(WebSocketDisconnected):
            await operation.send_operation_message(
                ErrorMessage(id=operation.id, type="error", payload=error_payload(error, process))
            )

    async def _end_session(
        self, operation: Operation[Context, None], ended: Unauthenticated
    ) -> None:
        """Close the connection with the reason: no later operation may run on it."""
        self.operations.pop(operation.id, None)
        if self._closing:
            return
        self._closing = True
        # Closed already by the client, or by another operation or a protocol error.
        with contextlib.suppress(WebSocketDisconnected, WebSocketDisconnect, RuntimeError):
            await self.websocket.close(
                code=SESSION_ENDED_CLOSE_CODE, reason=_close_reason(ended.message)
            )

    async def _run_direct(
        self,
        operation: Operation[Context, None],
        direct: DirectSubscription,
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> None:
        try:
            feed = direct.feed(self.context, **direct.arguments)
            if isinstance(feed, Feed):
                await self._frames(operation, direct, feed, process)
            else:
                await self._items(operation, direct, live_items(self.context, feed), process)
        except WebSocketDisconnected:
            raise
        except Exception as error:
            # The feed ended the subscription (session over, permissions changed, bus
            # interrupted, too slow): one result with the coded error, then complete,
            # exactly as Strawberry reports an exception raised by the source stream.
            if isinstance(error, Unauthenticated):
                self.context.session_ended = error
            payload = NextMessagePayload(data=None, errors=error_payload(error, process))
            await operation.send_operation_message(
                NextMessage(id=operation.id, type="next", payload=payload)
            )
        await operation.send_operation_message(CompleteMessage(id=operation.id, type="complete"))

    async def _frames(
        self,
        operation: Operation[Context, None],
        direct: DirectSubscription,
        feed: Feed[object],
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> None:
        """Each event's frames are sent by the bus's delivery (``direct/frames.py``);
        this task only waits for what ends the subscription, and raises it."""
        context = self.context
        own = user_channel(context.require_principal().user_id)
        frames = OperationFrames(
            operation, direct, feed, own, process, context.services.bus.queue_size
        )
        try:
            async with listening(context, feed.channels, frames):
                failure = await frames.ended
        except BaseException:  # the client completed it (cancelled), or it could not start
            frames.cancel()
            raise
        # A frame still waiting for the socket goes out before the error and complete.
        raise failure

    async def _items(
        self,
        operation: Operation[Context, None],
        direct: DirectSubscription,
        items: AsyncIterator[object],
        process: Callable[[list[GraphQLError]], list[GraphQLError]],
    ) -> None:
        async with aclosing(items):
            async for item in items:
                await operation.send_operation_message(
                    direct.next_message(operation.id, item, process)
                )


# RFC 6455 allows 123 bytes of reason in a close frame.
_CLOSE_REASON_MAX = 123


def _close_reason(message: str) -> str:
    return message.encode()[:_CLOSE_REASON_MAX].decode(errors="ignore")
