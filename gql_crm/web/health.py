"""Liveness and readiness routes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gql_crm.services.unit_of_work import Services

logger = logging.getLogger("gql_crm.health")


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    services: Services = request.app.state.services
    checks: dict[str, str] = {}
    try:
        await services.database.ping()
        checks["database"] = "ok"
    except Exception as error:  # readiness reports any failure, whatever its kind
        # Which dependency failed is the answer; why is for the log, not for any caller.
        logger.warning("readiness: the database is unavailable", exc_info=error)
        checks["database"] = "unavailable"
    redis_url = services.settings.redis_url
    if redis_url:
        try:
            async with Redis.from_url(redis_url, socket_timeout=2) as redis:
                await redis.ping()
            checks["redis"] = "ok"
        except Exception as error:
            logger.warning("readiness: Redis is unavailable", exc_info=error)
            checks["redis"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)
