"""A web backend acting for its users: one SoundCloud client, many users' tokens.

OAuth 2.1 authorization code + PKCE, per-user self-refreshing tokens, and one
connection pool and one request budget shared by every user (``sc.with_auth``).

Run it against the fake server (no network needed)::

    python -m soundcloud_async.testing &      # port 8080; prints client id/secret
    SOUNDCLOUD_CLIENT_ID=fake-client-id SOUNDCLOUD_CLIENT_SECRET=fake-client-secret \\
    SOUNDCLOUD_API=http://127.0.0.1:8080 python examples/web_backend.py

then open http://localhost:8000/ (the app listens on port 8000, ``PORT`` to change it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from soundcloud_async import (
    AuthError,
    AuthorizationCodeFlow,
    AuthorizationRequest,
    ClientCredentials,
    OAuthToken,
    RefreshingToken,
    SoundCloud,
)

CLIENT_ID = os.environ.get("SOUNDCLOUD_CLIENT_ID", "")
CLIENT_SECRET = os.environ.get("SOUNDCLOUD_CLIENT_SECRET", "")
# Point both at the fake server to try it locally; by default the real hosts.
API = os.environ.get("SOUNDCLOUD_API", "https://api.soundcloud.com")
AUTH = os.environ.get("SOUNDCLOUD_API", "https://secure.soundcloud.com")
# Not 8080: that is where the fake server (and many dev servers) listen by default.
PORT = int(os.environ.get("PORT", "8000"))
REDIRECT_URI = f"http://localhost:{PORT}/callback"

SC = web.AppKey("sc", SoundCloud)
FLOW = web.AppKey("flow", AuthorizationCodeFlow)
PENDING = web.AppKey("pending", dict)  # browser session id -> AuthorizationRequest
USERS = web.AppKey("users", dict)  # browser session id -> RefreshingToken


async def soundcloud_ctx(app: web.Application) -> AsyncIterator[None]:
    # One client for the whole app: one connection pool, one request budget. Its own
    # auth (an app token) serves public lookups; users get views of it (with_auth).
    app_auth = ClientCredentials(CLIENT_ID, CLIENT_SECRET, token_url=f"{AUTH}/oauth/token")
    async with SoundCloud(auth=app_auth, base_url=API) as sc:
        app[SC] = sc
        yield


def session_id(request: web.Request) -> str | None:
    return request.cookies.get("sid")


async def index(request: web.Request) -> web.Response:
    """The landing page: where /logout ends, with the links to try."""
    logged_in = session_id(request) in request.app[USERS]
    links = '<a href="/me">/me</a> <a href="/logout">log out</a>'
    body = links if logged_in else '<a href="/login">log in with SoundCloud</a>'
    return web.Response(text=f"<!doctype html><p>{body}</p>", content_type="text/html")


async def login(request: web.Request) -> web.Response:
    """Send the user to SoundCloud with a fresh state and PKCE challenge."""
    login_request = request.app[FLOW].start()
    sid = secrets.token_urlsafe(24)
    request.app[PENDING][sid] = login_request  # state and verifier stay server side
    response = web.HTTPFound(login_request.url)
    response.set_cookie("sid", sid, httponly=True, samesite="Lax")
    raise response


async def callback(request: web.Request) -> web.Response:
    """Check the state, exchange the code, keep the user's self-refreshing token."""
    sid = session_id(request)
    pending: AuthorizationRequest | None = request.app[PENDING].pop(sid, None)
    if pending is None:
        raise web.HTTPBadRequest(text="no login in progress")
    if "error" in request.query:
        raise web.HTTPForbidden(text="the login was declined")
    try:
        token = await request.app[FLOW].exchange(
            request.app[SC],
            code=request.query.get("code", ""),
            state=request.query.get("state", ""),
            expected_state=pending.state,
            code_verifier=pending.code_verifier,
        )
    except AuthError:
        raise web.HTTPBadRequest(text="login failed, please try again") from None

    async def save(
        new: OAuthToken,
    ) -> None: ...  # persist new.refresh_token: it rotates, the old one is now dead

    await save(token)
    # One RefreshingToken per user: it refreshes once for all the user's requests.
    request.app[USERS][sid] = request.app[FLOW].refreshing(token, on_refresh=save)
    raise web.HTTPFound("/me")


async def me(request: web.Request) -> web.Response:
    """Call the API as the logged-in user, on the app's pool and budget."""
    user_auth: RefreshingToken | None = request.app[USERS].get(session_id(request))
    if user_auth is None:
        raise web.HTTPFound("/login")
    try:
        async with request.app[SC].with_auth(user_auth) as user_sc:
            profile = await user_sc.me.get()
            likes = await user_sc.me.iter_liked_tracks(max_items=5).collect()
    except AuthError:  # the refresh token was revoked or reused: log in again
        request.app[USERS].pop(session_id(request), None)
        raise web.HTTPFound("/login") from None
    return web.json_response({"user": profile.username, "likes": [t.title for t in likes]})


async def logout(request: web.Request) -> web.Response:
    user_auth = request.app[USERS].pop(session_id(request), None)
    if user_auth is not None:
        async with request.app[SC].with_auth(user_auth) as user_sc:
            await user_sc.sign_out()  # POST /sign-out: the tokens stop working
    raise web.HTTPFound("/")


def make_app() -> web.Application:
    app = web.Application()
    app[FLOW] = AuthorizationCodeFlow(
        CLIENT_ID,
        CLIENT_SECRET,
        REDIRECT_URI,
        authorize_url=f"{AUTH}/authorize",
        token_url=f"{AUTH}/oauth/token",
    )
    app[PENDING] = {}
    app[USERS] = {}
    app.cleanup_ctx.append(soundcloud_ctx)
    app.router.add_get("/", index)
    app.router.add_get("/login", login)
    app.router.add_get("/callback", callback)
    app.router.add_get("/me", me)
    app.router.add_get("/logout", logout)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), port=PORT)
