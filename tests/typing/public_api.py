"""Type-checked, never executed: exercises the public API the way users write it.

mypy --strict runs over this file (see pyproject's [tool.mypy] files); a change
that breaks a user's types breaks this file first.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import aiohttp
from typing_extensions import assert_type

from soundcloud_async import (
    URN,
    AuthorizationCodeFlow,
    Checkpoint,
    Comment,
    DownloadProgress,
    DownloadResult,
    EventHooks,
    JSONFileTokenStore,
    LockingTokenStore,
    Me,
    OAuthToken,
    Paginator,
    Playlist,
    PreviewOnly,
    RateLimited,
    RedisTokenStore,
    RefreshingToken,
    RetryPolicy,
    SoundCloud,
    Stats,
    TokenBucket,
    Track,
    User,
)


async def web_backend(session: aiohttp.ClientSession, tokens: list[str]) -> list[Me]:
    bucket = TokenBucket(50, burst=10, adaptive=True)
    profiles: list[Me] = []
    for token in tokens:
        async with SoundCloud(token, session=session, rate_limiter=bucket) as sc:
            me = await sc.me.get()
            assert_type(me, Me)
            profiles.append(me)
    learned: float = bucket.rate
    bucket.set_rate(learned)
    return profiles


async def many_workers(flow: AuthorizationCodeFlow, token: OAuthToken, user_id: int) -> None:
    shared: LockingTokenStore = RedisTokenStore("redis://localhost:6379/0", key=f"u{user_id}")
    local: LockingTokenStore = JSONFileTokenStore(f"/tmp/{user_id}.json", lock_timeout=10)
    for store in (shared, local):
        auth = flow.refreshing(token, store=store)
        assert_type(auth, RefreshingToken)
        async with store.lock():
            await store.save(token)
    async with SoundCloud(
        auth=flow.refreshing(token), base_url="http://10.0.0.2:8080", allow_insecure_http=True
    ) as sc:
        await sc.me.get()


async def crawler(token: str, saved: str | None) -> str:
    hooks = EventHooks()
    hooks.retry_scheduled.append(lambda event: print(event.delay, event.attempt))
    policy = RetryPolicy(max_attempts=8, deadline=dt.timedelta(minutes=5), max_wait=600)
    async with SoundCloud(token, retry=policy, hooks=hooks) as sc:
        followers = sc.users.iter_followers("soundcloud:users:1", limit=200, resume_from=saved)
        assert_type(followers, Paginator[User])
        async for user in followers:
            assert_type(user, User)
            name: str | None = user.username
            print(name)
        async for page in sc.users.iter_tracks(1).pages():
            for track in page.items:
                created: dt.datetime | None = track.created_at
                print(created)
        checkpoint: Checkpoint = followers.checkpoint
        stats: Stats = sc.stats
        print(stats.requests, stats.retries, stats.rate_limited, stats.waited)
        return checkpoint.dumps()


async def bot(token: str, pasted: str) -> None:
    async with SoundCloud(token) as sc:
        try:
            found = await sc.resolve(pasted)
        except RateLimited as exc:
            wait: float | None = exc.retry_after
            print(wait)
            return
        assert_type(found, Track | User | Playlist)
        urn = await sc.resolve(pasted, urn_only=True)
        assert_type(urn, URN)
        kind: str = urn.kind
        if isinstance(found, Track):
            comments = await sc.tracks.iter_comments(found.urn or kind, max_items=10).collect()
            assert_type(comments, list[Comment])


async def bulk_crawl(token: str, store_url: str) -> int:
    from soundcloud_async.crawl import (
        Crawler,
        CrawlProgress,
        CrawlStore,
        FollowGraph,
        StoreStatus,
        export,
        open_store,
    )

    store: CrawlStore = open_store(store_url)
    async with SoundCloud(token) as sc:
        crawler = Crawler(
            sc,
            FollowGraph("soundcloud:users:1", depth=2, direction="followers"),
            store=store,
            concurrency=16,
            lease=30.0,
        )
        async with crawler:
            async for kind, obj in crawler:
                print(kind, obj)
        progress: CrawlProgress = crawler.progress
        print(progress.objects, progress.not_fetched)
    async with open_store(store_url) as opened:
        status: StoreStatus = await opened.status(problems=5)
        print(status.done, [(p.urn, p.error) for p in status.problems])
    written: int = await export(store_url, "users.csv", kinds=["user"])
    return written


async def audio(token: str, urn: URN) -> bytes:
    seen: list[DownloadProgress] = []
    async with SoundCloud(token) as sc:
        try:
            result = await sc.tracks.download(urn, "track.m4a", resume=True, progress=seen.append)
        except PreviewOnly:
            result = await sc.tracks.download(urn, "preview.mp3", format="preview_mp3_128_url")
        assert_type(result, DownloadResult)
        ext: str = result.extension
        done: float | None = seen[-1].fraction if seen else None
        print(ext, done)
        head = b""
        async with contextlib.aclosing(sc.tracks.iter_audio(urn, concurrency=2)) as chunks:
            async for chunk in chunks:
                assert_type(chunk, bytes)
                head += chunk
                break
        return head
