"""Secret hunting: no token, client secret, consumer_key, secret_token, PKCE verifier or
authorization code shows anywhere it does not belong (issue 11).

Every scenario runs the real client over TCP against ``FakeSoundCloud`` with distinctive
secrets, and collects everything the library shows the world in a :class:`Hunt`: DEBUG
records of every logger (aiohttp's included), every event hook, the strings, reprs and
full tracebacks of every exception, the reprs of every object a user holds (client,
auth, stores, pages, paginators, models) and paginator checkpoints. A second server on
another loopback address poses as a foreign host (a ``next_href`` pointing at it, a
media redirect to it, a redirect chain through it): its request log (headers, query,
body) must hold no ``Authorization`` and no secret. The command line is hunted in its
output (``get``, ``resolve`` with a private share link, errors) and in every file a
crawl writes.

Where a secret *must* appear it is not hunted: a request to the API carries its own
token; a token store's file holds the token; an object's own data (``Track.secret_uri``
of a user's private track) is what the user asked for.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import socket
import subprocess
import traceback
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest
from aiohttp import web

from soundcloud_async import (
    AuthError,
    AuthorizationCodeFlow,
    ClientCredentials,
    EventHooks,
    InvalidArgument,
    JSONFileTokenStore,
    MemoryTokenStore,
    NotFound,
    PaginationError,
    RefreshingToken,
    RetryPolicy,
    SoundCloud,
    SoundCloudError,
    Unlimited,
)
from soundcloud_async._pagination import Paginator
from soundcloud_async.models import User
from soundcloud_async.testing import FakeSoundCloud, World
from tests.fake_process import FakeProcess as Server
from tests.fake_process import fake_server_process, run_cli

pytestmark = pytest.mark.integration

CLIENT_ID = "hunt-app-id"
CLIENT_SECRET = "CLIENTSECRET-7f3a9c5e1b"
#: A second registered app whose id is only ever sent as a legacy ``consumer_key``
#: (client ids are not secret in general; this one is, as a consumer_key).
CONSUMER_KEY = "CONSUMERKEY-0d4c22aa9e"
REDIRECT_URI = "http://127.0.0.1:9/callback"
#: Secrets a user might paste by mistake (module constants, so that a traceback's
#: source lines show their names, not their values).
WRONG_SHARE_TOKEN = "s-Wq9zX"
WRONG_SECRET = "WRONG-secret-4411"
#: The fake's access tokens look like ``2-123456-<32 url-safe characters>``.
TOKEN_SHAPE = re.compile(r"2-\d{6}-[A-Za-z0-9_-]{32}")


# -- what the library shows -------------------------------------------------------------------


@dataclass
class Hunt:
    """Everything the library showed, as ``(where, text)``, and the secrets to look for."""

    shown: list[tuple[str, str]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)

    def secret(self, name: str, value: str | None) -> None:
        """Hunt ``value`` (a distinctive one: short values would match by chance)."""
        assert value is not None
        assert len(value) >= 7, f"{name} is too short to hunt: {value!r}"
        self.secrets[name] = value

    def show(self, where: str, *objects: object) -> None:
        """Record the str and repr of ``objects``."""
        for obj in objects:
            self.shown.append((where, f"{obj!s} {obj!r}"))

    def exception(self, where: str, exc: BaseException) -> None:
        """Record an exception's str, repr and whole traceback (causes included)."""
        self.shown.append((where, "".join(traceback.format_exception(exc)) + repr(exc)))
        args = getattr(exc, "args", ())
        self.shown.append((where, repr(args)))

    @contextlib.contextmanager
    def expect(self, where: str, *errors: type[BaseException]) -> Iterator[None]:
        """Run a step that must raise one of ``errors``; record it."""
        try:
            yield
        except errors as exc:
            self.exception(where, exc)
        else:
            raise AssertionError(f"{where}: expected {errors}")

    def hooks(self) -> EventHooks:
        """Hooks recording every event (and the error a retry carries)."""
        hooks = EventHooks()

        def record(event: object) -> None:
            self.show(f"event {type(event).__name__}", event)
            error = getattr(event, "error", None)
            if isinstance(error, BaseException):
                self.exception(f"event {type(event).__name__}.error", error)

        for hook in (
            hooks.request_sent,
            hooks.response_received,
            hooks.retry_scheduled,
            hooks.rate_limit_wait,
        ):
            hook.append(record)
        return hooks

    def leaks(self, extra: list[tuple[str, str]] = ()) -> list[str]:  # type: ignore[assignment]
        """``secret-name in where`` for every secret found."""
        found = []
        for where, text in [*self.shown, *extra]:
            for name, value in self.secrets.items():
                if value in text:
                    found.append(f"{name} in {where}: …{_around(text, value)}…")
            if TOKEN_SHAPE.search(text):
                found.append(f"an access token in {where}: …{_around(text, TOKEN_SHAPE)}…")
        return found


def _around(text: str, what: str | re.Pattern[str]) -> str:
    if isinstance(what, str):
        i = text.index(what)
    else:
        match = what.search(text)
        assert match is not None
        i = match.start()
    return text[max(0, i - 60) : i + 60].replace("\n", "⏎")


@pytest.fixture
def hunt(caplog: pytest.LogCaptureFixture) -> Iterator[Hunt]:
    """A hunt that, at the end, also searches every DEBUG record of every logger."""
    caplog.set_level(logging.DEBUG)
    found = Hunt()
    yield found
    logs = [(f"log {r.name}", caplog.handler.format(r)) for r in caplog.records]
    assert [] == found.leaks(logs)


# -- the servers ------------------------------------------------------------------------------


@dataclass
class Foreign:
    """A server on another loopback address, posing as a foreign host (a CDN, an
    internal host a ``next_href`` leaked). It logs every request it gets."""

    url: str = ""
    #: Where its redirect chain leads back to (the fake API), once that runs.
    api_url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)

    def shown(self) -> list[tuple[str, str]]:
        """Each request as ``(where, text)`` for the hunt."""
        return [(f"foreign {r['method']} {r['path']}", repr(r)) for r in self.requests]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query_string,
                "headers": dict(request.headers),
                "body": await request.read(),
            }
        )
        if request.path == "/cdn/hop":  # a redirect chain back to the API host
            raise web.HTTPFound(f"{self.api_url}/hostile/final.mp3")
        if request.path.startswith("/cdn/"):
            return web.Response(body=b"ID3-foreign-audio", content_type="audio/mpeg")
        return web.json_response({"collection": [{"urn": "soundcloud:users:999"}]})


def _loopback_host() -> str:
    """127.0.0.2 (another host than the fake's 127.0.0.1) where it can be bound."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.2", 0))
        except OSError:  # pragma: no cover - platforms without the whole 127/8
            return "127.0.0.1"
    return "127.0.0.2"


@pytest.fixture
async def foreign() -> AsyncIterator[Foreign]:
    server = Foreign()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host = _loopback_host()
    await web.TCPSite(runner, host, 0).start()
    server.url = f"http://{host}:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()


def _add_hostile_routes(fake: FakeSoundCloud, foreign: Foreign) -> None:
    """Routes on the fake API that send the client towards the foreign host."""

    async def followers(request: web.Request) -> web.Response:
        if request.query.get("cursor") is None:
            return web.json_response(
                {
                    "collection": [{"urn": "soundcloud:users:1", "username": "one"}],
                    "next_href": f"{foreign.url}/hostile/followers?cursor=2",
                }
            )
        return web.json_response({"collection": [{"urn": "soundcloud:users:2"}]})

    async def to_cdn(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{foreign.url}/cdn/audio.mp3?Policy=p&Signature=s")

    async def chain(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{foreign.url}/cdn/hop")

    async def final(request: web.Request) -> web.Response:
        return web.Response(body=b"ID3-api-audio", content_type="audio/mpeg")

    fake.app.router.add_get("/hostile/followers", followers)
    fake.app.router.add_get("/hostile/media.mp3", to_cdn)
    fake.app.router.add_get("/hostile/chain.mp3", chain)
    fake.app.router.add_get("/hostile/final.mp3", final)


@pytest.fixture
async def fake(foreign: Foreign) -> AsyncIterator[FakeSoundCloud]:
    server = FakeSoundCloud(
        seed=5,
        size="tiny",
        clients={CLIENT_ID: CLIENT_SECRET, CONSUMER_KEY: "legacy-app-secret-2b9d"},
    )
    _add_hostile_routes(server, foreign)
    async with server:
        foreign.api_url = server.base_url
        yield server


def client(fake: FakeSoundCloud, hunt: Hunt, **kwargs: Any) -> SoundCloud:
    """A client on the fake with the hunt's hooks, no rate limit and instant retries."""
    kwargs.setdefault("rate_limiter", Unlimited())
    kwargs.setdefault("retry", RetryPolicy(wait=False, max_attempts=3))
    return SoundCloud(base_url=fake.base_url, hooks=hunt.hooks(), **kwargs)


def private_track(world: World) -> tuple[str, str, str]:
    """A private, live track not of the test user: its URN, its secret token and its
    private share link (the test user's clients need the token to see it)."""
    me = world.user_index(world.default_user_urn)
    for t in range(world.n_tracks):
        if world.track_meta(t).private and world.track_owner(t) != me:
            token = world.secret_token(t)
            if world.track_visible(t, None, token):
                owner = world.user_permalink(world.track_owner(t))
                link = f"https://soundcloud.com/{owner}/{world.track_permalink(t)}/{token}"
                return world.track_urn(t), token, link
    raise AssertionError("the world has no private track")


def private_playlist(world: World) -> tuple[str, str]:
    """A private, live playlist not of the test user: its URN and its secret token."""
    me = world.user_index(world.default_user_urn)
    for p in range(world.n_playlists):
        meta = world.playlist_meta(p)
        token = world.playlist_secret_token(p)
        if meta.private and meta.owner != me and world.playlist_visible(p, None, token):
            return world.playlist_urn(p), token
    raise AssertionError("the world has no private playlist")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_auth(fake: FakeSoundCloud) -> ClientCredentials:
    return ClientCredentials(
        CLIENT_ID, CLIENT_SECRET, token_url=fake.url("/oauth/token"), store=MemoryTokenStore()
    )


# -- the library ------------------------------------------------------------------------------


class TestLibrary:
    """The library's own output: logs, events, errors, reprs, pages and checkpoints."""

    async def test_app_token_pages_and_legacy(self, fake: FakeSoundCloud, hunt: Hunt) -> None:
        """Client credentials, paginated reads, legacy consumer_key reads, retries,
        decode and connection errors."""
        hunt.secret("client secret", CLIENT_SECRET)
        hunt.secret("consumer_key", CONSUMER_KEY)
        auth = app_auth(fake)
        user = fake.world.default_user_urn
        async with client(fake, hunt, auth=auth) as sc:
            sc.legacy.consumer_key = CONSUMER_KEY
            followings = sc.users.iter_followings(user, limit=2, max_items=5)
            async for page in followings.pages():
                hunt.show("page", page, page.url, page.next_href)
                hunt.show("checkpoint", followings.checkpoint.dumps())
            legacy = sc.legacy.iter_tracks(limit=2, max_items=5)
            async for page in legacy.pages():
                hunt.show("legacy page", page, page.url, page.next_href)
                hunt.show("legacy checkpoint", legacy.checkpoint.dumps())
            tracks = await sc.legacy.iter_tracks(limit=3, max_items=3).collect()
            fake.faults.add("server_error", route="/tracks/*", times=1)
            track = await sc.legacy.get_track(tracks[0].urn or "")
            fake.faults.add("truncated_json", route="/tracks/*", times=None)
            with hunt.expect("truncated legacy body", SoundCloudError):
                await sc.legacy.get_track(tracks[1].urn or "")
            hunt.show("objects", sc, auth, auth.store, sc.legacy, followings, legacy, track)
            assert auth.token is not None
            hunt.secret("app access token", auth.token.access_token)
            hunt.secret("app refresh token", auth.token.refresh_token)
            assert 0 < fake.count("GET", "*.json")
        closed = SoundCloud(
            base_url=f"http://127.0.0.1:{free_port()}",
            hooks=hunt.hooks(),
            retry=RetryPolicy(wait=False, max_attempts=2),
        )
        async with closed:
            with hunt.expect("connection refused", SoundCloudError):
                await closed.legacy.get_track("soundcloud:tracks:1", consumer_key=CONSUMER_KEY)

    async def test_user_login_refresh_and_sign_out(
        self, fake: FakeSoundCloud, hunt: Hunt, tmp_path: Path
    ) -> None:
        """Code + PKCE, the exchange, refreshes, sign-out and every OAuth failure."""
        import aiohttp

        hunt.secret("client secret", CLIENT_SECRET)
        flow = AuthorizationCodeFlow(
            CLIENT_ID,
            CLIENT_SECRET,
            REDIRECT_URI,
            authorize_url=fake.url("/authorize"),
            token_url=fake.url("/oauth/token"),
        )
        login = flow.start()
        hunt.secret("PKCE verifier", login.code_verifier)
        hunt.secret("state", login.state)
        async with (
            aiohttp.ClientSession() as browser,  # the user's browser
            browser.get(login.url, allow_redirects=False) as answer,
        ):
            code = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))["code"]
        hunt.secret("authorization code", code)
        hunt.show("flow", flow, login)
        async with client(fake, hunt) as sc:
            token = await flow.exchange(
                sc,
                code=code,
                state=login.state,
                expected_state=login.state,
                code_verifier=login.code_verifier,
            )
            hunt.secret("access token", token.access_token)
            hunt.secret("refresh token", token.refresh_token)
            with hunt.expect("code used twice", AuthError):
                await flow.exchange(
                    sc,
                    code=code,
                    state=login.state,
                    expected_state=login.state,
                    code_verifier=login.code_verifier,
                )
            with hunt.expect("state mismatch", AuthError):
                await flow.exchange(
                    sc,
                    code=code,
                    state="forged-state-value",
                    expected_state=login.state,
                    code_verifier=login.code_verifier,
                )
            store = JSONFileTokenStore(tmp_path / "user.json")
            user_auth = flow.refreshing(attrs.evolve(token, expires_in=0), store=store)
            async with sc.with_auth(user_auth) as user_sc:
                me = await user_sc.me.get()  # refreshes first: the token has expired
                assert user_auth.token is not None
                hunt.secret("rotated access token", user_auth.token.access_token)
                hunt.secret("rotated refresh token", user_auth.token.refresh_token)
                hunt.show("user objects", user_sc, user_auth, store, me, user_auth.token)
                await user_sc.sign_out()
                with hunt.expect("signed out", SoundCloudError):
                    await user_sc.me.get()
            dead = RefreshingToken(
                attrs.evolve(token, expires_in=0),
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                token_url=fake.url("/oauth/token"),
            )
            async with sc.with_auth(dead) as dead_sc:
                with hunt.expect("used refresh token", AuthError):
                    await dead_sc.me.get()
            hunt.show("dead", dead)
        wrong = ClientCredentials(CLIENT_ID, WRONG_SECRET, token_url=fake.url("/oauth/token"))
        hunt.secret("wrong client secret", WRONG_SECRET)
        async with client(fake, hunt, auth=wrong) as sc:
            with hunt.expect("wrong client secret", AuthError):
                await sc.users.get(fake.world.default_user_urn)

    async def test_private_share_link(self, fake: FakeSoundCloud, hunt: Hunt) -> None:
        """Resolving a private share link, right and wrong, and using it where a URN goes."""
        urn, token, link = private_track(fake.world)
        hunt.secret("secret_token", token)
        wrong_link = link.rsplit("/", 1)[0] + "/" + WRONG_SHARE_TOKEN
        hunt.secret("a wrong secret_token", WRONG_SHARE_TOKEN)
        viewer = fake.issue_token(user_urn=None)  # not the owner: the token is the key
        async with client(fake, hunt, access_token=viewer) as sc:
            found = await sc.resolve(link)
            assert urn == found.urn  # (its secret_uri is the track's own data: not shown)
            hunt.show("urn only", await sc.resolve(link, urn_only=True))
            with hunt.expect("wrong share token", NotFound):
                await sc.resolve(wrong_link)
            with hunt.expect("share link as a URN", InvalidArgument):
                await sc.tracks.get(link)
            with hunt.expect("wrong token on get", NotFound):
                await sc.tracks.get(urn, secret_token=WRONG_SHARE_TOKEN)
            playlist, playlist_token = private_playlist(fake.world)
            hunt.secret("playlist secret_token", playlist_token)
            tracks = sc.playlists.iter_tracks(
                playlist, secret_token=playlist_token, limit=1, max_items=2
            )
            async for page in tracks.pages():
                hunt.show("private page", page.url, page.next_href)
                hunt.show("private checkpoint", tracks.checkpoint.dumps(), tracks)
            assert 1 <= tracks.pages_fetched


class TestForeignHost:
    """Nothing secret reaches another host: next_href, redirects, CDN media."""

    async def test_next_href_redirects_and_media(
        self, fake: FakeSoundCloud, foreign: Foreign, hunt: Hunt
    ) -> None:
        """A foreign next_href is never fetched; media and redirect chains reach the
        foreign host without Authorization, token, consumer_key or secret_token."""
        access = fake.issue_token()
        hunt.secret("access token", access)
        hunt.secret("consumer_key", CONSUMER_KEY)
        _, token, _ = private_track(fake.world)
        hunt.secret("secret_token", token)
        async with client(fake, hunt, access_token=access) as sc:
            sc.legacy.consumer_key = CONSUMER_KEY
            users = await Paginator(
                lambda: sc._transport,
                "/hostile/followers",
                lambda items: [User(urn=i.get("urn")) for i in items],
            ).collect()
            assert ["soundcloud:users:1", "soundcloud:users:2"] == [u.urn for u in users]
            with hunt.expect("foreign next_href refused", PaginationError):
                await Paginator(
                    lambda: sc._transport,
                    "/hostile/followers",
                    list,
                    foreign_next_href="raise",
                ).collect()
            out = io.BytesIO()
            secret_query = f"consumer_key={CONSUMER_KEY}&secret_token={token}"
            await sc.tracks.download_url(fake.url(f"/hostile/media.mp3?{secret_query}"), out)
            await sc.tracks.download_url(fake.url(f"/hostile/chain.mp3?{secret_query}"), out)
            assert b"ID3-foreign-audioID3-api-audio" == out.getvalue()
        assert ["/cdn/audio.mp3", "/cdn/hop"] == [r["path"] for r in foreign.requests]
        assert [] == [r for r in foreign.requests if "Authorization" in r["headers"]]
        hunt.shown.extend(foreign.shown())
        final = fake.requests[-1]
        assert ("/hostile/final.mp3", True) == (final.path, final.had_authorization)


# -- the command line -----------------------------------------------------------------------------


SEED, SIZE = 4, "tiny"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with fake_server_process("--seed", str(SEED), "--size", SIZE) as fake:
        yield fake


def cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a subprocess, with no SOUNDCLOUD_ variables from this environment."""
    return run_cli(*argv, cwd=cwd)


def output(where: str, done: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    return [(f"{where} stdout", done.stdout), (f"{where} stderr", done.stderr)]


def run_crawl(server: Server, out_dir: Path, *credentials: str) -> subprocess.CompletedProcess[str]:
    """A depth-1 crawl of the fake's test user, writing whatever it writes into out_dir.

    The one place to adapt when the crawl's output options change: the test greps every
    file under ``out_dir``, whatever the files are.
    """
    world = World.generate(seed=SEED, size=SIZE)
    return cli(
        "crawl", "--base-url", server.url, *credentials,
        "--seed-user", world.default_user_urn, "--depth", "1", "-q",
        "--out", str(out_dir / "crawl.jsonl"),
        cwd=out_dir,
    )  # fmt: skip


class TestCommandLine:
    """get, resolve, errors and crawls print and write no secret."""

    def test_get_resolve_and_errors(self, server: Server) -> None:
        """Outputs of successes and failures hold no token, secret or share token."""
        hunt = Hunt()
        hunt.secret("access token", server.token)
        hunt.secret("client secret", server.client_secret)
        world = World.generate(seed=SEED, size=SIZE)
        urn, token, link = private_track(world)
        hunt.secret("secret_token", token)
        wrong = link.rsplit("/", 1)[0] + "/" + WRONG_SHARE_TOKEN
        hunt.secret("a wrong secret_token", WRONG_SHARE_TOKEN)
        token_args = ("--base-url", server.url, "--access-token", server.token)
        app_args = (
            *("--base-url", server.url, "--client-id", server.client_id),
            *("--client-secret", server.client_secret),
        )
        runs = {
            "get with a token": cli("get", world.default_user_urn, *token_args),
            "get with client credentials": cli("get", world.track_urn(0), *app_args),
            "resolve --urn-only a share link": cli("resolve", link, "--urn-only", *token_args),
            "resolve a wrong share link": cli("resolve", wrong, *token_args),
            "get a share link": cli("get", wrong, *token_args),
            "a refused token": cli(
                "get", urn, "--base-url", server.url, "--access-token", "2-999999-" + "x" * 32
            ),
            "a wrong client secret": cli(
                "get",
                urn,
                "--base-url",
                server.url,
                "--client-id",
                server.client_id,
                "--client-secret",
                WRONG_SECRET,
            ),
        }
        hunt.secret("wrong client secret", WRONG_SECRET)
        codes = {where: done.returncode for where, done in runs.items()}
        assert {
            "get with a token": 0,
            "get with client credentials": 0,
            "resolve --urn-only a share link": 0,
            "resolve a wrong share link": 1,
            "get a share link": 1,
            "a refused token": 1,
            "a wrong client secret": 1,
        } == codes, {w: d.stderr for w, d in runs.items()}
        assert urn == runs["resolve --urn-only a share link"].stdout.strip().strip('"')
        shown = [text for where, done in runs.items() for text in output(where, done)]
        # The refused token is the test's own invention: only its shape is hunted.
        assert [] == hunt.leaks(shown)

    def test_crawl_writes_no_secret(self, server: Server, tmp_path: Path) -> None:
        """Every file a crawl writes, and its output, hold no token or client secret.

        (A crawl's objects may carry their own ``secret_uri``: that is the user's data.)
        """
        hunt = Hunt()
        hunt.secret("access token", server.token)
        hunt.secret("client secret", server.client_secret)
        shown: list[tuple[str, str]] = []
        for name, credentials in (
            ("token", ("--access-token", server.token)),
            (
                "client credentials",
                ("--client-id", server.client_id, "--client-secret", server.client_secret),
            ),
        ):
            out_dir = tmp_path / name.replace(" ", "-")
            out_dir.mkdir()
            done = run_crawl(server, out_dir, *credentials)
            assert 0 == done.returncode, done.stderr
            shown.extend(output(f"crawl with {name}", done))
            files = [p for p in out_dir.rglob("*") if p.is_file()]
            assert files, "the crawl wrote nothing"
            for path in files:
                text = path.read_bytes().decode("latin-1")  # any bytes, binary files too
                shown.append((f"file {path.relative_to(tmp_path)}", text))
        assert [] == hunt.leaks(shown)
