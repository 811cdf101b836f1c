"""Crawls that outgrow memory and one machine: many collections at once, under one
budget, with the crawl's state in a database.

Example: everything within two follow-hops of a user, in a SQLite file that a restart
(after Ctrl-C, a crash, a reboot) continues from::

    from soundcloud_async import SoundCloud
    from soundcloud_async.crawl import Crawler, FollowGraph, export

    async with SoundCloud(token) as sc:
        crawler = Crawler(
            sc,
            FollowGraph("soundcloud:users:1", depth=2),
            store="crawl.sqlite",            # or "postgresql://crawler@db/crawls"
            concurrency=16,
        )
        progress = await crawler.run()
    await export("crawl.sqlite", "users.jsonl", kinds=["user"])

The same code on many processes or machines with one PostgreSQL store shares one crawl
(see :class:`PostgresStore`); a shared :class:`~soundcloud_async.RedisTokenBucket` gives
them one request budget.
"""

from __future__ import annotations

from soundcloud_async.crawl._engine import Crawler, CrawlProgress
from soundcloud_async.crawl._export import export, export_rows
from soundcloud_async.crawl._postgres import PostgresStore
from soundcloud_async.crawl._sqlite import SQLiteStore
from soundcloud_async.crawl._store import (
    CrawlStore,
    CrawlStoreError,
    Job,
    JobProblem,
    StoreFormatError,
    StoreMismatch,
    StoreStatus,
    StoreUnavailable,
    WorkerStatus,
    open_store,
)
from soundcloud_async.crawl._strategy import Direction, FollowGraph, JobKind, Strategy

__all__ = [
    "CrawlProgress",
    "CrawlStore",
    "CrawlStoreError",
    "Crawler",
    "Direction",
    "FollowGraph",
    "Job",
    "JobKind",
    "JobProblem",
    "PostgresStore",
    "SQLiteStore",
    "StoreFormatError",
    "StoreMismatch",
    "StoreStatus",
    "StoreUnavailable",
    "Strategy",
    "WorkerStatus",
    "export",
    "export_rows",
    "open_store",
]

_GONE = {
    "Sink": "sinks are gone: results live in the crawl store (Crawler(store=...)); "
    "read them with export()",
    "JSONLSink": "JSONLSink is gone: the crawl store holds the results; export(store, "
    "'out.jsonl') writes the same JSON lines",
    "SQLiteSink": "SQLiteSink is gone: the crawl store is itself an SQLite file "
    "(Crawler(store='crawl.sqlite'))",
}


def __getattr__(name: str) -> object:
    if name in _GONE:
        raise AttributeError(f"soundcloud_async.crawl.{name}: {_GONE[name]}")
    raise AttributeError(f"module 'soundcloud_async.crawl' has no attribute {name!r}")
