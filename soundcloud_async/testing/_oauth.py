"""OAuth 2.1 for the fake SoundCloud: ``/oauth/token``, ``/authorize``, ``/sign-out``.

What it enforces, the way ``secure.soundcloud.com`` does (see ``docs/background/api-facts.md``):

* ``POST /oauth/token`` (form-encoded) with three grants:

  - ``client_credentials``: client authenticated by ``Authorization: Basic
    base64(id:secret)`` or by ``client_id``/``client_secret`` form fields; public
    resources only (the principal has no user). Limited by the
    ``client-credentials-exchange`` group (see :mod:`._limits`).
  - ``authorization_code``: the code from ``/authorize``, ``redirect_uri`` equal to the
    one given there, and a PKCE ``code_verifier`` (43-128 unreserved characters) whose
    S256 digest is the stored ``code_challenge``. Codes are single-use and expire.
  - ``refresh_token``: **single-use rotation**. Each refresh returns a new refresh token
    and kills the old one; reusing a dead one answers 400 ``invalid_grant``. A
    ``redirect_uri``, if sent, must be the one of the code grant that began the session.

  Every success answers ``{access_token, expires_in, refresh_token, scope, token_type}``
  (client credentials included, like the real server). Errors carry both the OAuth
  form (``error``, ``error_description``) and the spec's form (``code``, ``message``,
  ``link``, as in the ``ErrorInvalidGrant`` example): unknown client or bad secret is
  401 ``invalid_client``, an unknown grant type 400 ``unsupported_grant_type``.

* ``GET /authorize`` issues a code for the test user with no browser and no consent
  page: it answers 302 to ``redirect_uri?code=…&state=…``. PKCE S256 and ``state`` are
  required (400 otherwise).

* ``POST /sign-out`` invalidates the calling token's session: its access tokens and
  its refresh token.

* ``/connect`` and ``/oauth2/token`` were retired on 2024-10-01: they answer **410 Gone**
  with an error body naming the replacement, so a client still using them fails loudly
  instead of seeming to work.

The auth middleware (:meth:`OAuthServer.middleware`) accepts ``Authorization: OAuth
<token>`` (and ``Bearer``), sets ``request[PRINCIPAL_KEY]``, and answers 401 for a
missing, unknown, expired or signed-out token. Legacy ``.{format}`` routes also
accept ``consumer_key=<client_id>`` (public access, no user). The ``client_id`` and
``oauth_token`` query parameters authenticate nothing (retired in 2021). The fake
CDN (``/cdn/…``, where media redirects land) needs no token, like the real one.

Secrets (tokens, client secrets, codes, verifiers) never appear in a repr or a log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from soundcloud_async.testing._api import PUBLIC_PATH_PREFIXES
from soundcloud_async.testing._limits import RateLimiter
from soundcloud_async.testing._shared import (
    MALFORMED_BODY_ERRORS,
    PRINCIPAL_KEY,
    Principal,
    error_body,
    json_response,
)

__all__ = [
    "AUTH_LINK",
    "NO_AUTH_PATHS",
    "RETIRED_PATHS",
    "OAuthServer",
    "oauth_error",
    "set_request_state",
]

#: The ``link`` the spec's OAuth error examples carry.
AUTH_LINK: Final = "https://developers.soundcloud.com/docs/api/guide#authentication"
#: Paths served without an access token (the auth server's own endpoints).
NO_AUTH_PATHS: Final = frozenset({"/oauth/token", "/authorize"})
#: Endpoints retired on 2024-10-01 (answered 410 without authentication).
RETIRED_PATHS: Final = frozenset({"/connect", "/oauth2/token"})
#: Authorization codes live this long (seconds, by the injected clock).
CODE_LIFETIME: Final = 600.0

#: Where the calling session is kept on the request (for ``/sign-out``).
_SESSION_KEY: Final = "sc.oauth_session"
# Legacy routes end in ``.{format}`` (``/tracks/123.json``); media file names do too.
_LEGACY_PATH = re.compile(r"^/(?!media/|cdn/).*\.[A-Za-z0-9]+$")
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
_QUIETED: set[str] = set()


def set_request_state(request: web.Request, key: str, value: Any) -> None:
    """Store ``value`` under a string key without aiohttp's ``NotAppKeyWarning``.

    aiohttp >= 3.14 warns on string request keys; the contract in ``_shared`` uses
    strings so that it works with every aiohttp we support, and a warning raised
    inside a handler (``filterwarnings = error``) would turn into a 500.
    """
    if key in _QUIETED:
        request[key] = value
        return
    # aiohttp warns once per key and process; after that, plain assignment is quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        request[key] = value
    _QUIETED.add(key)


def oauth_error(status: int, error: str, description: str) -> web.Response:
    """An OAuth error: the RFC 6749 fields plus the spec's ``{code, message, link}``."""
    return json_response(
        {
            "error": error,
            "error_description": description,
            "code": status,
            "message": error,
            "link": AUTH_LINK,
        },
        status=status,
    )


def _unauthorized(message: str) -> web.Response:
    return json_response(error_body(401, message, code="unauthorized"), status=401)


@dataclass(slots=True, eq=False)
class _Session:
    client_id: str
    user_urn: str | None
    scope: str
    signed_out: bool = False
    #: The redirect_uri of the code grant that began the session (None otherwise).
    redirect_uri: str | None = None


@dataclass(slots=True, eq=False)
class _AccessToken:
    session: _Session
    expires_at: float


@dataclass(slots=True, eq=False)
class _RefreshToken:
    session: _Session
    used: bool = False


@dataclass(slots=True, eq=False)
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    user_urn: str
    scope: str
    expires_at: float
    used: bool = False


@dataclass(slots=True)
class _Stats:
    tokens_issued: int = 0
    refreshes: int = 0
    unauthorized: int = 0


@dataclass(slots=True, eq=False)
class OAuthServer:
    """The fake's authorization server and token store.

    Args:
        clients: client_id → client_secret of the registered apps.
        default_user_urn: whose codes ``/authorize`` issues (settable:
            :attr:`authorize_user_urn`).
        token_lifetime: seconds an access token lives (``expires_in``).
        clock: monotonic seconds; token and code expiry follow it.
        limiter: counts client-credentials exchanges; ``None`` means unlimited.
    """

    clients: Mapping[str, str]
    default_user_urn: str
    token_lifetime: float = 3599.0
    clock: Callable[[], float] = field(default=lambda: 0.0)
    limiter: RateLimiter | None = None
    authorize_user_urn: str = ""
    stats: _Stats = field(default_factory=_Stats)
    _access: dict[str, _AccessToken] = field(default_factory=dict, repr=False)
    _refresh: dict[str, _RefreshToken] = field(default_factory=dict, repr=False)
    _codes: dict[str, _Code] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.authorize_user_urn:
            self.authorize_user_urn = self.default_user_urn

    def __repr__(self) -> str:
        return (
            f"OAuthServer(clients={sorted(self.clients)!r}, "
            f"token_lifetime={self.token_lifetime!r}, live_tokens={len(self._access)})"
        )

    # -- issuing ------------------------------------------------------------------

    def issue(
        self,
        *,
        client_id: str,
        user_urn: str | None,
        scope: str = "*",
        expires_in: float | None = None,
    ) -> dict[str, Any]:
        """Create a session with an access and a refresh token; the token response."""
        return self._issue(_Session(client_id, user_urn, scope), expires_in)

    def _issue(self, session: _Session, expires_in: float | None = None) -> dict[str, Any]:
        lifetime = self.token_lifetime if expires_in is None else expires_in
        access = f"2-{secrets.randbelow(900000) + 100000}-{secrets.token_urlsafe(24)}"
        refresh = secrets.token_hex(16)
        self._access[access] = _AccessToken(session, self.clock() + lifetime)
        self._refresh[refresh] = _RefreshToken(session)
        return {
            "access_token": access,
            "expires_in": int(lifetime),
            "refresh_token": refresh,
            "scope": session.scope,
            "token_type": "bearer",
        }

    def revoke(self, access_token: str) -> bool:
        """Sign out the session of ``access_token``; whether it was known."""
        entry = self._access.get(access_token)
        if entry is None:
            return False
        self._sign_out(entry.session)
        return True

    def _sign_out(self, session: _Session) -> None:
        session.signed_out = True
        for table in (self._access, self._refresh):
            for key in [k for k, v in table.items() if v.session is session]:
                del table[key]

    def principal_for(self, access_token: str) -> Principal | None:
        """The principal of a live access token, or ``None`` (unknown/expired)."""
        entry = self._access.get(access_token)
        if entry is None or entry.session.signed_out or self.clock() >= entry.expires_at:
            return None
        s = entry.session
        return Principal(s.client_id, s.user_urn, s.scope)

    # -- routes -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register ``/oauth/token``, ``/authorize``, ``/sign-out`` and the retired ones."""
        app.router.add_post("/oauth/token", self.token_endpoint)
        app.router.add_get("/authorize", self.authorize)
        app.router.add_post("/sign-out", self.sign_out)
        for path in sorted(RETIRED_PATHS):
            app.router.add_route("*", path, self.retired)

    async def retired(self, request: web.Request) -> web.Response:
        """``/connect``, ``/oauth2/token``: gone since 2024-10-01."""
        replacement = "/authorize" if request.path == "/connect" else "/oauth/token"
        body = error_body(
            410,
            f"{request.path} was retired on 2024-10-01; use "
            f"https://secure.soundcloud.com{replacement}",
            code="endpoint_retired",
        )
        body["status"] = "410 - Gone"
        return json_response(body, status=410)

    async def authorize(self, request: web.Request) -> web.Response:
        """``GET /authorize``: approve at once and redirect with a code."""
        q = request.query
        client_id = q.get("client_id", "")
        if client_id not in self.clients:
            return oauth_error(401, "invalid_client", "unknown client_id")
        redirect_uri = q.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if not parts.scheme or not (parts.netloc or parts.scheme not in ("http", "https")):
            return oauth_error(400, "invalid_request", "redirect_uri is required")
        if q.get("response_type") != "code":
            return oauth_error(400, "unsupported_response_type", "response_type must be code")
        if q.get("code_challenge_method") != "S256":
            return oauth_error(400, "invalid_request", "PKCE with code_challenge_method=S256")
        challenge = q.get("code_challenge", "")
        if not _CHALLENGE.fullmatch(challenge):
            return oauth_error(400, "invalid_request", "code_challenge must be base64url S256")
        state = q.get("state", "")
        if not state:
            return oauth_error(400, "invalid_request", "state is required")
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(
            client_id=client_id,
            redirect_uri=redirect_uri,
            challenge=challenge,
            user_urn=self.authorize_user_urn,
            scope=q.get("scope") or "*",
            expires_at=self.clock() + CODE_LIFETIME,
        )
        query = [*parse_qsl(parts.query, keep_blank_values=True), ("code", code), ("state", state)]
        location = urlunsplit(parts._replace(query=urlencode(query)))
        return web.Response(status=302, headers={"Location": location})

    async def sign_out(self, request: web.Request) -> web.Response:
        """``POST /sign-out``: invalidate the calling token's session."""
        session = request.get(_SESSION_KEY)
        if isinstance(session, _Session):
            self._sign_out(session)
        return json_response({"status": "200 - OK"})

    async def token_endpoint(self, request: web.Request) -> web.Response:
        """``POST /oauth/token``: the three grants."""
        if request.content_type not in ("application/x-www-form-urlencoded", ""):
            return oauth_error(
                400, "invalid_request", "the body must be application/x-www-form-urlencoded"
            )
        try:
            form = await request.post()
        except MALFORMED_BODY_ERRORS:
            return oauth_error(400, "invalid_request", "the form body is malformed")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        grant = fields.get("grant_type", "")
        client_id = self._authenticate_client(request, fields)
        if client_id is None:
            return oauth_error(401, "invalid_client", "unknown client or wrong secret")
        if grant == "client_credentials":
            if self.limiter is not None:
                limited = self.limiter.check_token_exchange(client_id, request.remote or "")
                if limited is not None:
                    return limited
            self.stats.tokens_issued += 1
            return json_response(self.issue(client_id=client_id, user_urn=None))
        if grant == "authorization_code":
            return self._grant_code(client_id, fields)
        if grant == "refresh_token":
            return self._grant_refresh(client_id, fields)
        return oauth_error(
            400, "unsupported_grant_type", f"grant_type {grant[:40]!r} is not supported"
        )

    def _authenticate_client(self, request: web.Request, fields: dict[str, str]) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
            client_id, sep, secret = decoded.partition(":")
            if not sep:
                return None
        else:
            client_id = fields.get("client_id", "")
            secret = fields.get("client_secret", "")
        expected = self.clients.get(client_id)
        if expected is None or not secrets.compare_digest(expected, secret):
            return None
        return client_id

    def _grant_code(self, client_id: str, fields: dict[str, str]) -> web.Response:
        entry = self._codes.get(fields.get("code", ""))
        if (
            entry is None
            or entry.used
            or entry.client_id != client_id
            or self.clock() >= entry.expires_at
        ):
            return oauth_error(400, "invalid_grant", "the code is invalid, used or expired")
        if fields.get("redirect_uri", "") != entry.redirect_uri:
            return oauth_error(400, "invalid_grant", "redirect_uri does not match /authorize")
        verifier = fields.get("code_verifier", "")
        if not _VERIFIER.fullmatch(verifier):
            return oauth_error(
                400, "invalid_request", "code_verifier must be 43-128 unreserved characters"
            )
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        if not secrets.compare_digest(computed, entry.challenge):
            return oauth_error(400, "invalid_grant", "code_verifier does not match the challenge")
        entry.used = True
        self.stats.tokens_issued += 1
        session = _Session(client_id, entry.user_urn, entry.scope, redirect_uri=entry.redirect_uri)
        return json_response(self._issue(session))

    def _grant_refresh(self, client_id: str, fields: dict[str, str]) -> web.Response:
        token = fields.get("refresh_token", "")
        entry = self._refresh.get(token)
        if entry is None or entry.used or entry.session.client_id != client_id:
            return oauth_error(
                400, "invalid_grant", "the refresh token is invalid, expired or already used"
            )
        # The spec lists redirect_uri for this grant; older clients omit it, so it is
        # optional here, but one that is sent must be the code grant's (sessions issued
        # directly by the harness have none to compare with).
        redirect_uri = fields.get("redirect_uri")
        expected = entry.session.redirect_uri
        if redirect_uri is not None and expected is not None and redirect_uri != expected:
            return oauth_error(
                400, "invalid_grant", "redirect_uri does not match the authorization"
            )
        # Single-use rotation: the old refresh token dies now; the old access token
        # lives on until it expires, as on most OAuth 2.1 servers.
        entry.used = True
        del self._refresh[token]
        self.stats.tokens_issued += 1
        self.stats.refreshes += 1
        return json_response(self._issue(entry.session))

    # -- the auth middleware ---------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Authenticate every API request; see the module docstring for the rules."""
        path = request.path
        if path in NO_AUTH_PATHS or path in RETIRED_PATHS or path.startswith(PUBLIC_PATH_PREFIXES):
            return await handler(request)
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, token = header.strip().partition(" ")
            token = token.strip()
            if scheme.lower() not in ("oauth", "bearer") or not token:
                return self._deny("use Authorization: OAuth <access_token>")
            entry = self._access.get(token)
            principal = self.principal_for(token)
            if entry is None or principal is None:
                return self._deny("invalid or expired access token")
            set_request_state(request, PRINCIPAL_KEY, principal)
            set_request_state(request, _SESSION_KEY, entry.session)
            return await handler(request)
        consumer_key = request.query.get("consumer_key")
        if consumer_key is not None and _LEGACY_PATH.search(path):
            if consumer_key not in self.clients:
                return self._deny("unknown consumer_key")
            set_request_state(request, PRINCIPAL_KEY, Principal(consumer_key, None, "*"))
            return await handler(request)
        if "client_id" in request.query or "oauth_token" in request.query:
            return self._deny(
                "the client_id and oauth_token query parameters are no longer accepted; "
                "send Authorization: OAuth <access_token>"
            )
        return self._deny("missing Authorization header")

    def _deny(self, message: str) -> web.Response:
        self.stats.unauthorized += 1
        return _unauthorized(message)
