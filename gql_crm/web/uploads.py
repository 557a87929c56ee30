"""Checks on multipart (file upload) requests before Strawberry parses them."""

from __future__ import annotations

from cross_web import HTTPException
from starlette.requests import Request

from gql_crm.auth.principal import Principal, Unauthenticated
from gql_crm.settings import Settings
from gql_crm.web.protocol import RequestRefused

# Room for the multipart envelope (operations, map, part headers) around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "multipart/form-data"


def upload_cap(settings: Settings) -> int:
    """The largest multipart request body: one file at the largest of the attachment, import
    and document limits, and its envelope (``web/edge.py`` refuses more, counting while the
    body streams in)."""
    largest = max(
        settings.max_attachment_bytes, settings.max_import_bytes, settings.max_document_bytes
    )
    return largest + _MULTIPART_OVERHEAD


def check_multipart(request: Request) -> bool:
    """Refuse multipart requests a browser could send cross-site without asking first.

    A multipart/form-data POST is a "simple" request: any page may send one, with the user's
    cookies, and no CORS preflight. Strawberry only keeps multipart off by default; it has no
    check of its own once it is on. Our tokens travel in the Authorization header (which a
    page cannot add without a preflight), but we also require a header that forces the
    preflight, as Apollo Server does, so that uploads stay safe whatever authentication is
    added later. True when the request is a multipart one that passed.
    """
    if not is_multipart(request.headers.get("content-type")):
        return False
    if not (
        request.headers.get("apollo-require-preflight")
        or request.headers.get("x-apollo-operation-name")
    ):
        raise HTTPException(
            400,
            "Multipart requests must carry a non-empty 'Apollo-Require-Preflight' (or "
            "'X-Apollo-Operation-Name') header.",
        )
    return True


def require_uploader(principal: Principal | None) -> None:
    """An upload is refused before its body is read unless its token is valid: a stranger
    can make the server receive and spool nothing (the request's reads wait for this)."""
    if principal is None:
        raise RequestRefused(
            Unauthenticated().message,
            "UNAUTHENTICATED",
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
