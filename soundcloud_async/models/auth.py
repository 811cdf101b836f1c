"""Auth: the OAuth token response."""

from __future__ import annotations

import attrs

from soundcloud_async.models.common import Model

__all__ = ["OAuthToken"]


def _mask(value: object) -> str:
    return "'***'" if value else repr(value)


@attrs.define(kw_only=True)
class OAuthToken(Model):
    """The token endpoint's answer; its repr masks ``access_token`` and ``refresh_token``.

    ``expires_in`` is in seconds (about 3599). Refresh tokens are single-use: store
    the new one after every refresh.
    """

    access_token: str | None = attrs.field(default=None, repr=_mask)
    refresh_token: str | None = attrs.field(default=None, repr=_mask)
    expires_in: int | None = None
    scope: str | None = None
    token_type: str | None = None
