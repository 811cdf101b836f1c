"""Contracts shared by the fake server's parts (routes, auth, limits, faults).

The fake server is an independent oracle: nothing here (or anywhere under
``soundcloud_async.testing``) imports the client's models or converter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

__all__ = [
    "API_HOST_URL",
    "PAGE_FAULT_KEY",
    "PRINCIPAL_KEY",
    "PageFault",
    "Principal",
    "error_body",
    "json_error",
    "json_response",
]

#: The host used in ``uri`` fields (real data points there); self-links such as
#: ``next_href`` and ``Location`` use the serving origin instead.
API_HOST_URL: Final = "https://api.soundcloud.com"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: set on ``request[PRINCIPAL_KEY]`` by the auth middleware.

    ``user_urn`` is ``None`` for client-credentials tokens and legacy ``consumer_key``
    calls (public resources only).
    """

    client_id: str
    user_urn: str | None
    scope: str = "*"


#: ``request[PRINCIPAL_KEY]``: the :class:`Principal` of an authenticated request.
PRINCIPAL_KEY: Final = "sc.principal"

PageFault = Literal["repeat_next", "foreign_next", "empty_page"]
#: ``request.get(PAGE_FAULT_KEY)``: a pagination fault the fault injector asks the
#: collection handler to produce on this response.
PAGE_FAULT_KEY: Final = "sc.page_fault"

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def error_body(status: int, message: str, *, code: str | None = None) -> dict[str, Any]:
    """The error object SoundCloud sends (spec ``Error`` plus its deprecated fields)."""
    return {
        "code": status,
        "message": message,
        "link": "https://developers.soundcloud.com/docs/api/explorer/open-api",
        "status": f"{status} - {_REASONS.get(status, 'Error')}",
        "errors": [{"error_message": message}],
        "error": None,
        "error_code": code or message.lower().replace(" ", "_"),
    }


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response serialised with orjson (the fast path for pages)."""
    return web.Response(
        body=orjson.dumps(data), status=status, content_type="application/json", headers=headers
    )


def json_error(status: int, message: str, *, code: str | None = None) -> web.Response:
    """An error response with SoundCloud's error body."""
    return json_response(error_body(status, message, code=code), status=status)


#: What aiohttp raises while parsing a malformed form or multipart body: a missing or
#: wrong boundary, a bad part header, text that is not UTF-8 (``UnicodeDecodeError`` is
#: a ``ValueError``), an unknown charset (``LookupError``). SoundCloud answers 400.
MALFORMED_BODY_ERRORS: Final = (ValueError, LookupError, HttpProcessingError)
