"""Resumable crawls: many collections at once under one budget, into JSONL or SQLite.

Example: everything within two follow-hops of a user, resumable after Ctrl-C::

    from soundcloud_async import SoundCloud
    from soundcloud_async.crawl import Crawler, FollowGraph, JSONLSink

    async with SoundCloud(token) as sc:
        crawler = Crawler(
            sc,
            FollowGraph("soundcloud:users:1", depth=2),
            sinks=[JSONLSink("crawl.jsonl")],
            checkpoint="crawl.checkpoint.json",
            resume=True,
            concurrency=16,
        )
        progress = await crawler.run()
"""

from __future__ import annotations

from soundcloud_async.crawl._engine import Crawler, CrawlProgress, FollowGraph, JobKind, Strategy
from soundcloud_async.crawl._sinks import JSONLSink, Sink, SQLiteSink
from soundcloud_async.crawl._state import Job

__all__ = [
    "CrawlProgress",
    "Crawler",
    "FollowGraph",
    "JSONLSink",
    "Job",
    "JobKind",
    "SQLiteSink",
    "Sink",
    "Strategy",
]
