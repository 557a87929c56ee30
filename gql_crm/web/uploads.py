"""Checks on multipart (file upload) requests before Strawberry parses them."""

from __future__ import annotations

from cross_web import HTTPException
from starlette.requests import Request

from gql_crm.settings import Settings

# Room for the multipart envelope (operations, map, part headers) around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


def check_multipart(request: Request, settings: Settings) -> bool:
    """Refuse multipart requests a browser could send cross-site without asking first.

    A multipart/form-data POST is a "simple" request: any page may send one, with the user's
    cookies, and no CORS preflight. Strawberry only keeps multipart off by default; it has no
    check of its own once it is on. Our tokens travel in the Authorization header (which a
    page cannot add without a preflight), but we also require a header that forces the
    preflight, as Apollo Server does, so that uploads stay safe whatever authentication is
    added later. Bodies far beyond the attachment limit are refused before they are read.
    True when the request is a multipart one that passed.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
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
    length = request.headers.get("content-length", "")
    limit = settings.max_attachment_bytes
    if length.isdigit() and int(length) > limit + _MULTIPART_OVERHEAD:
        raise HTTPException(413, f"The request is over the attachment limit ({limit} bytes).")
    return True
