"""The paginator: lazy linked partitioning, checkpoints, and the documented next_href faults."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from soundcloud_async import (
    Checkpoint,
    InvalidArgument,
    PaginationError,
    Paginator,
    RetryPolicy,
    SoundCloud,
)
from soundcloud_async._ratelimit import Unlimited
from tests.conftest import BASE, AutoClock

PATH = "/users/soundcloud:users:1/followers"
ANY_FOLLOWERS = re.compile(r"^https://api\.soundcloud\.com/users/soundcloud:users:1/followers.*$")


class PagedServer:
    """Serves `items` in pages of `limit` from a cursor, like SoundCloud's linked partitioning."""

    def __init__(self, items: list[int], *, host: str = BASE) -> None:
        self.items = items
        self.host = host
        self.seen: list[URL] = []
        self.next_href_override: Callable[[URL, str | None], str | None] | None = None
        self.bare_array = False
        self.fail_once_at: set[int] = set()

    def __call__(self, url: URL, **kwargs: Any) -> CallbackResult:
        self.seen.append(url)
        cursor = int(url.query.get("cursor", "0"))
        if cursor in self.fail_once_at:
            self.fail_once_at.discard(cursor)
            return CallbackResult(status=503, body="Service Unavailable")
        limit = int(url.query.get("limit") or url.query.get("page_size") or 50)
        chunk = self.items[cursor : cursor + limit]
        if self.bare_array:
            return CallbackResult(payload=[{"n": n} for n in chunk])
        end = cursor + limit
        next_href: str | None = None
        if end < len(self.items):
            next_href = f"{self.host}{PATH}?cursor={end}&limit={limit}&linked_partitioning=true"
        if self.next_href_override is not None:
            next_href = self.next_href_override(url, next_href)
        return CallbackResult(
            payload={"collection": [{"n": n} for n in chunk], "next_href": next_href}
        )


def numbers(items: list[Any]) -> list[int]:
    return [int(item["n"]) for item in items]


@pytest.fixture
async def client(auto_clock: AutoClock) -> Any:
    async with SoundCloud(
        "tok",
        rate_limiter=Unlimited(),
        retry=RetryPolicy(random=lambda: 0.0),
        clock=auto_clock,
        sleep=auto_clock.sleep,
    ) as sc:
        yield sc


def paginate(client: SoundCloud, **kwargs: Any) -> Paginator[int]:
    return Paginator(lambda: client._transport, PATH, numbers, **kwargs)


async def drain(paginator: Paginator[int], into: list[int]) -> None:
    async for item in paginator:
        into.append(item)


def serve(mocked: aioresponses, server: PagedServer, times: int = 100) -> None:
    for _ in range(times):
        mocked.get(ANY_FOLLOWERS, callback=server)


class TestIteration:
    """Items come lazily, page by page, until next_href runs out."""

    async def test_all_items_in_order(self, mocked: aioresponses, client: SoundCloud) -> None:
        """Every item of every page is yielded once, in order."""
        server = PagedServer(list(range(23)))
        serve(mocked, server)
        result = await paginate(client, limit=10).collect()
        assert list(range(23)) == result
        assert 3 == len(server.seen)

    async def test_first_request_parameters(self, mocked: aioresponses, client: SoundCloud) -> None:
        """The first request asks for linked partitioning and the limit, plus extra params."""
        server = PagedServer([1])
        serve(mocked, server)
        await paginate(client, limit=7, params={"access": "playable", "skip": None}).collect()
        query = dict(server.seen[0].query)
        assert {"access": "playable", "linked_partitioning": "true", "limit": "7"} == query

    async def test_lazy(self, mocked: aioresponses, client: SoundCloud) -> None:
        """Nothing is fetched before iteration, and only the pages needed."""
        server = PagedServer(list(range(100)))
        serve(mocked, server)
        paginator = paginate(client, limit=10)
        assert [] == server.seen
        first: list[int] = []
        async for item in paginator:
            first.append(item)
            if len(first) == 5:
                break
        assert [0, 1, 2, 3, 4] == first
        assert 1 == len(server.seen)

    async def test_max_items(self, mocked: aioresponses, client: SoundCloud) -> None:
        """max_items stops early without fetching further pages."""
        server = PagedServer(list(range(100)))
        serve(mocked, server)
        assert list(range(15)) == await paginate(client, limit=10, max_items=15).collect()
        assert 2 == len(server.seen)

    async def test_pages(self, mocked: aioresponses, client: SoundCloud) -> None:
        """pages() yields whole pages with their next_href."""
        server = PagedServer(list(range(25)))
        serve(mocked, server)
        sizes = [len(page.items) async for page in paginate(client, limit=10).pages()]
        assert [10, 10, 5] == sizes

    async def test_items_and_pages_do_not_mix(self, client: SoundCloud) -> None:
        """A paginator is iterated by items or by pages, not both."""
        paginator = paginate(client)
        paginator.__aiter__()
        with pytest.raises(InvalidArgument):
            paginator.pages()

    @pytest.mark.parametrize("limit", [0, 201, -1, True, 2.5])
    def test_limit_validated(self, limit: Any, client: SoundCloud) -> None:
        """limit must be an integer from 1 to 200."""
        with pytest.raises(InvalidArgument, match="limit"):
            paginate(client, limit=limit)

    async def test_bare_array(self, mocked: aioresponses, client: SoundCloud) -> None:
        """An old endpoint's bare JSON array is accepted as the only page."""
        server = PagedServer(list(range(5)))
        server.bare_array = True
        serve(mocked, server)
        assert list(range(5)) == await paginate(client).collect()

    async def test_retried_page_yields_no_duplicates(
        self, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """A page that failed once is fetched again; items are not yielded twice."""
        server = PagedServer(list(range(30)))
        server.fail_once_at = {10}
        serve(mocked, server)
        assert list(range(30)) == await paginate(client, limit=10).collect()
        assert 4 == len(server.seen)


class TestCheckpoints:
    """A checkpoint read after any item resumes with no gap and no duplicate."""

    @pytest.mark.parametrize("stop_after", [0, 1, 9, 10, 11, 24, 25])
    async def test_resume_after_any_item(
        self, stop_after: int, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """Stopping after n items and resuming yields exactly the rest."""
        server = PagedServer(list(range(25)))
        serve(mocked, server)
        first = paginate(client, limit=10)
        got: list[int] = []
        async for item in first:
            got.append(item)
            if len(got) == stop_after:
                break
        saved = first.checkpoint.dumps() if stop_after else paginate(client).checkpoint.dumps()
        rest = await paginate(client, limit=10, resume_from=saved).collect()
        assert list(range(25)) == got[:stop_after] + rest

    async def test_resume_after_pages(self, mocked: aioresponses, client: SoundCloud) -> None:
        """A checkpoint read after handling a page resumes at the next page."""
        server = PagedServer(list(range(30)))
        serve(mocked, server)
        paginator = paginate(client, limit=10)
        pages = paginator.pages()
        page = await pages.__anext__()
        checkpoint = paginator.checkpoint
        rest = await paginate(client, resume_from=checkpoint).collect()
        assert list(range(30)) == page.items + rest

    async def test_done_checkpoint(self, mocked: aioresponses, client: SoundCloud) -> None:
        """After the last item the checkpoint says done, and resuming yields nothing."""
        server = PagedServer(list(range(3)))
        serve(mocked, server)
        paginator = paginate(client)
        await paginator.collect()
        assert paginator.checkpoint.done
        assert [] == await paginate(client, resume_from=paginator.checkpoint).collect()

    @pytest.mark.parametrize(
        "text", ["", "[]", '{"skip": 1}', '{"url": 3}', '{"url": null, "skip": -1}']
    )
    def test_bad_checkpoint(self, text: str) -> None:
        """A string that is not a checkpoint is a clear InvalidArgument."""
        with pytest.raises(InvalidArgument, match="checkpoint"):
            Checkpoint.loads(text)


class TestFaults:
    """The next_href faults SoundCloud is known for."""

    async def test_repeated_next_href(self, mocked: aioresponses, client: SoundCloud) -> None:
        """The same next_href returned again raises instead of looping."""
        server = PagedServer(list(range(100)))
        server.next_href_override = lambda url, nxt: (
            f"{BASE}{PATH}?cursor=10&limit=10&linked_partitioning=true"
        )
        serve(mocked, server)
        paginator = paginate(client, limit=10)
        got: list[int] = []
        with pytest.raises(PaginationError, match="loop"):
            await drain(paginator, got)
        assert list(range(20)) == got
        assert 2 == len(server.seen)
        resumed = paginate(client, limit=10, resume_from=paginator.checkpoint)
        with pytest.raises(PaginationError, match="loop"):
            await resumed.collect()

    async def test_foreign_next_href_rewritten(
        self, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """A next_href on another host is moved onto the API host; the token stays home."""
        server = PagedServer(list(range(20)), host="https://api-internal.soundcloud.local:8443")
        serve(mocked, server)
        assert list(range(20)) == await paginate(client, limit=10).collect()
        assert {"api.soundcloud.com"} == {url.host for url in server.seen}

    async def test_foreign_next_href_raise(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """With foreign_next_href='raise' the paginator stops with a clear error."""
        server = PagedServer(list(range(20)), host="https://evil.example.com")
        serve(mocked, server)
        async with SoundCloud("tok", rate_limiter=Unlimited(), clock=auto_clock) as sc:
            paginator = paginate(sc, limit=10, foreign_next_href="raise")
            got: list[int] = []
            with pytest.raises(
                PaginationError, match=r"foreign host https://evil\.example\.com:443;"
            ):
                await drain(paginator, got)
        assert list(range(10)) == got
        assert 1 == len(server.seen)

    async def test_foreign_warning_names_the_port(
        self, mocked: aioresponses, client: SoundCloud, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The foreign-host warning shows the port: another port is another server."""
        server = PagedServer(list(range(20)), host="https://api.soundcloud.com:8443")
        serve(mocked, server)
        assert list(range(20)) == await paginate(client, limit=10).collect()
        assert (
            "next_href points at foreign host https://api.soundcloud.com:8443; "
            "rewriting it onto https://api.soundcloud.com:443" in caplog.text
        )

    @pytest.mark.parametrize(
        "href", ["HTTP://:A/x", "https://\x80/x", "HTTP:", "https://h:99999/x"]
    )
    async def test_unusable_next_href(
        self, href: str, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """A next_href yarl refuses only when a part is used is a PaginationError, after
        the page's items (found by tests/test_fuzz.py: ValueError, UnicodeEncodeError)."""
        server = PagedServer(list(range(20)))
        server.next_href_override = lambda url, nxt: href
        serve(mocked, server)
        got: list[int] = []
        with pytest.raises(PaginationError, match="next_href is not"):
            await drain(paginate(client, limit=10), got)
        assert list(range(10)) == got

    def test_unusable_checkpoint_url(self, client: SoundCloud) -> None:
        """A stored checkpoint whose URL yarl cannot use is an InvalidArgument."""
        with pytest.raises(InvalidArgument, match="checkpoint"):
            paginate(client, resume_from=Checkpoint("https://h:A/x", 0))

    async def test_dropped_parameters_restored(
        self, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """Original query parameters a next_href dropped are put back."""
        server = PagedServer(list(range(20)))
        server.next_href_override = lambda url, nxt: (
            f"{BASE}{PATH}?cursor=10&page_size=10" if nxt else None
        )
        serve(mocked, server)
        result = await paginate(client, limit=10, params={"access": "playable"}).collect()
        assert list(range(20)) == result
        second = dict(server.seen[1].query)
        assert {
            "cursor": "10",
            "page_size": "10",
            "access": "playable",
            "linked_partitioning": "true",
        } == second

    async def test_empty_pages_are_followed(self, mocked: aioresponses, client: SoundCloud) -> None:
        """An empty collection beside a next_href continues to the next page."""
        items = list(range(30))

        def callback(url: URL, **kwargs: Any) -> CallbackResult:
            cursor = int(url.query.get("cursor", "0"))
            collection = (
                [] if cursor in (0, 10) else [{"n": n} for n in items[cursor : cursor + 10]]
            )
            nxt = f"{BASE}{PATH}?cursor={cursor + 10}&limit=10" if cursor + 10 < 30 else None
            return CallbackResult(payload={"collection": collection, "next_href": nxt})

        for _ in range(5):
            mocked.get(ANY_FOLLOWERS, callback=callback)
        assert list(range(20, 30)) == await paginate(client, limit=10).collect()

    async def test_endless_empty_pages_stop(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """More than max_empty_pages empty pages in a row raise PaginationError."""
        counter = iter(range(1000))

        def callback(url: URL, **kwargs: Any) -> CallbackResult:
            nxt = f"{BASE}{PATH}?cursor={next(counter) + 1}&limit=10"
            return CallbackResult(payload={"collection": [], "next_href": nxt})

        for _ in range(10):
            mocked.get(ANY_FOLLOWERS, callback=callback)
        async with SoundCloud("tok", rate_limiter=Unlimited(), clock=auto_clock) as sc:
            with pytest.raises(PaginationError, match="empty pages"):
                await paginate(sc, limit=10, max_empty_pages=3).collect()

    async def test_non_page_body(self, mocked: aioresponses, client: SoundCloud) -> None:
        """A body that is not a page raises DecodeError, naming what came back."""
        from soundcloud_async import DecodeError

        mocked.get(ANY_FOLLOWERS, payload={"collection": "nope"})
        with pytest.raises(DecodeError, match="not a list"):
            await paginate(client).collect()


class TestResources:
    """Nothing is held open across a yield: early exit and cancellation leak nothing."""

    async def test_break_early_leaves_nothing_open(
        self, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """Breaking out of iteration leaves the connection pool with no acquired connection."""
        server = PagedServer(list(range(100)))
        serve(mocked, server)
        async for item in paginate(client, limit=10):
            if item == 3:
                break
        connector = client._transport.session.connector
        assert connector is not None
        assert 0 == len(connector._acquired)  # type: ignore[attr-defined]

    async def test_cancel_mid_page(self, mocked: aioresponses, client: SoundCloud) -> None:
        """Cancelling a consumer while a page is in flight leaves the paginator resumable."""
        gate = asyncio.Event()
        server = PagedServer(list(range(20)))

        async def slow(url: URL, **kwargs: Any) -> CallbackResult:
            if url.query.get("cursor") == "10":
                await gate.wait()
            return server(url, **kwargs)

        for _ in range(10):
            mocked.get(ANY_FOLLOWERS, callback=slow)
        paginator = paginate(client, limit=10)
        got: list[int] = []

        async def consume() -> None:
            async for item in paginator:
                got.append(item)

        task = asyncio.create_task(consume())
        for _ in range(50):
            await asyncio.sleep(0)
            if len(got) == 10:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()
        assert list(range(10)) == got
        rest = await paginate(client, limit=10, resume_from=paginator.checkpoint).collect()
        assert list(range(10, 20)) == rest


class TestSecretsAndFutureHref:
    """Checkpoints carry no secrets; activity pages expose future_href."""

    async def test_checkpoint_without_consumer_key(
        self, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """A legacy consumer_key is kept out of the checkpoint and put back on resume."""
        server = PagedServer(list(range(20)))
        serve(mocked, server)
        first = paginate(client, limit=10, params={"consumer_key": "key-123"})
        head = [await first.__anext__() for _ in range(12)]
        saved = first.checkpoint.dumps()
        assert "key-123" not in saved
        again = paginate(client, limit=10, params={"consumer_key": "key-123"}, resume_from=saved)
        rest = await again.collect()
        assert list(range(20)) == head + rest
        assert "key-123" == server.seen[-1].query["consumer_key"]

    async def test_pages_without_consumer_key(
        self, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """Page.url, Page.next_href and repr(page) hold no consumer_key or secret_token;
        the paginator still sends them with every page."""
        server = PagedServer(list(range(25)))
        serve(mocked, server)
        pages = [
            page
            async for page in paginate(
                client, limit=10, params={"consumer_key": "ck-123", "secret_token": "s-456"}
            ).pages()
        ]
        assert [10, 10, 5] == [len(page.items) for page in pages]
        for page in pages:
            shown = f"{page.url} {page.next_href} {page!r}"
            assert "ck-123" not in shown
            assert "s-456" not in shown
        assert pages[0].next_href is not None
        assert "cursor=10" in pages[0].next_href
        assert [("ck-123", "s-456")] * 3 == [
            (url.query["consumer_key"], url.query["secret_token"]) for url in server.seen
        ]

    async def test_future_href(self, mocked: aioresponses, client: SoundCloud) -> None:
        """A page's future_href is handed out with the page."""
        future = f"{BASE}{PATH}?uuid[to]=abc"
        mocked.get(ANY_FOLLOWERS, payload={"collection": [{"n": 1}], "future_href": future})
        pages = [page async for page in paginate(client).pages()]
        assert [future] == [page.future_href for page in pages]


class TestResumeTwice:
    """A checkpoint taken inside the first page after a resume counts the skipped items."""

    @pytest.mark.parametrize("take", [1, 2, 5])
    async def test_resume_from_a_resumed_paginator(
        self, take: int, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """Resuming at item 3 and stopping after `take` more resumes at 3 + take."""
        server = PagedServer(list(range(25)))
        serve(mocked, server)
        first = paginate(client, limit=10)
        head = [await first.__anext__() for _ in range(3)]
        second = paginate(client, limit=10, resume_from=first.checkpoint)
        middle = [await second.__anext__() for _ in range(take)]
        assert 3 + take == second.checkpoint.skip
        rest = await paginate(client, limit=10, resume_from=second.checkpoint).collect()
        assert list(range(25)) == head + middle + rest


class TestHostileItems:
    """Odd values inside page items lose one field, never the page (issue 11)."""

    async def test_unhashable_origin_kind(self, mocked: aioresponses, client: SoundCloud) -> None:
        """An object where an activity's origin ``kind`` belongs: the page is still read."""
        page = {
            "collection": [
                {"type": "track", "origin": {"kind": {}, "title": "a"}},
                {"origin": {"kind": []}},
                {"origin": {"kind": "playlist", "title": "c"}},
            ],
            "next_href": None,
        }
        mocked.get(re.compile(r"^https://api\.soundcloud\.com/me/feed.*$"), payload=page)
        activities = await client.me.iter_feed().collect()
        assert ["a", None, "c"] == [a.origin.title if a.origin else None for a in activities]

    async def test_dates_and_numbers_out_of_range(
        self, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """Dates past year 9999 in UTC and ids past 64 bits become ``None`` in a page."""
        page = {
            "collection": [
                {"urn": "soundcloud:users:1", "created_at": "0001/01/01 00:00:00 +0100"},
                {"urn": "soundcloud:users:2", "created_at": "9999/12/31 23:59:59 -0100"},
                {"urn": "soundcloud:users:3", "id": 1e300, "followers_count": 2**64},
            ],
        }
        mocked.get(ANY_FOLLOWERS, payload=page)
        users = await client.users.iter_followers("soundcloud:users:1").collect()
        assert ["soundcloud:users:1", "soundcloud:users:2", "soundcloud:users:3"] == [
            u.urn for u in users
        ]
        assert [None, None, None] == [u.created_at for u in users]
        assert (None, None) == (users[2].id, users[2].followers_count)

    async def test_get_with_overflowing_date(
        self, mocked: aioresponses, client: SoundCloud
    ) -> None:
        """``sc.users.get`` returns the user with ``created_at=None``, no OverflowError."""
        mocked.get(
            f"{BASE}/users/soundcloud:users:1",
            payload={"urn": "soundcloud:users:1", "created_at": "0001/01/01 00:00:00 +0100"},
        )
        user = await client.users.get("soundcloud:users:1")
        assert ("soundcloud:users:1", None) == (user.urn, user.created_at)


class TestRepr:
    """A Paginator's repr says what it walks and how far, and never shows a secret."""

    async def test_progress(self, mocked: aioresponses, client: SoundCloud) -> None:
        """The path, the items handed out and the pages fetched; ``done`` at the end."""
        server = PagedServer(list(range(5)))
        serve(mocked, server)
        paginator = paginate(client, limit=2)
        assert f"<Paginator {PATH} items=0 pages=0>" == repr(paginator)
        await paginator.__anext__()
        assert f"<Paginator {PATH} items=1 pages=1>" == repr(paginator)
        await paginator.collect()
        assert f"<Paginator {PATH} items=5 pages=3 done>" == repr(paginator)

    def test_no_secrets(self, client: SoundCloud) -> None:
        """Query secrets and a share link's s-token stay out of the repr."""
        paginator = Paginator(
            lambda: client._transport,
            "/tracks.json?consumer_key=SECRET-key&secret_token=s-SECRET",
            numbers,
            params={"consumer_key": "SECRET-key2", "secret_token": "s-SECRET2"},
        )
        shared = Paginator(lambda: client._transport, "/users/me/s-SECRET3/tracks", numbers)
        text = repr(paginator) + repr(shared) + str(paginator)
        assert "SECRET" not in text
        assert "<Paginator /tracks.json items=0 pages=0>" == repr(paginator)
