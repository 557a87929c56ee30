"""Liveness and readiness routes for load balancers and orchestrators."""

from __future__ import annotations

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gql_crm.services.unit_of_work import Services


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    services: Services = request.app.state.services
    checks: dict[str, str] = {}
    try:
        await services.database.ping()
        checks["database"] = "ok"
    except Exception as error:  # readiness reports any failure, whatever its kind
        checks["database"] = f"unavailable: {type(error).__name__}"
    redis_url = services.settings.redis_url
    if redis_url:
        try:
            async with Redis.from_url(redis_url, socket_timeout=2) as redis:
                await redis.ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"unavailable: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)
