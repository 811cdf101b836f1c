"""Authentication: the seam the transport asks before each request.

The transport calls :meth:`Auth.authorization` for the ``Authorization`` header value
before every attempt, and :meth:`Auth.on_unauthorized` after a 401, retrying the
request once when it answers ``True`` (a fresh token is available).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Auth", "StaticToken"]


@runtime_checkable
class Auth(Protocol):
    """What the transport needs from an authentication scheme."""

    async def authorization(self) -> str | None:
        """The ``Authorization`` header value for the next request, or ``None`` for none."""
        ...

    async def on_unauthorized(self, used: str | None) -> bool:
        """A request sent with ``used`` got a 401: return ``True`` if a retry may succeed."""
        ...


class StaticToken:
    """A fixed OAuth access token (``Authorization: OAuth <token>``); never refreshed."""

    __slots__ = ("_header",)

    def __init__(self, access_token: str) -> None:
        if not isinstance(access_token, str) or not access_token.strip():
            raise ValueError("access_token must be a non-empty string")
        if any(c in access_token for c in "\r\n"):
            raise ValueError("access_token must not contain line breaks")
        self._header = f"OAuth {access_token.strip()}"

    async def authorization(self) -> str | None:
        return self._header

    async def on_unauthorized(self, used: str | None) -> bool:
        return False

    def __repr__(self) -> str:
        return "StaticToken(access_token=***)"
