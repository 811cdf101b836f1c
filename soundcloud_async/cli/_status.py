"""``soundcloud-async status``: what a crawl store holds and who is working on it."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import orjson

from soundcloud_async.cli._common import EXIT_OK, Common, positive_int
from soundcloud_async.cli._crawl import open_checked_store
from soundcloud_async.crawl import StoreStatus

__all__ = ["add_parser", "render", "run"]


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: Common
) -> argparse.ArgumentParser:
    """Add ``status``."""
    parser = subparsers.add_parser(
        "status",
        help="show a crawl store: objects, frontier, workers, jobs set aside",
        description="Show what a crawl store holds: objects by kind, the frontier, jobs "
        "running and set aside (with their errors), objects not fetched, the workers and "
        "their last heartbeat, and whether the crawl is done.",
    )
    parser.add_argument("store", metavar="STORE", help="a SQLite file or postgresql:// URL")
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.add_argument(
        "--problems",
        type=positive_int,
        default=20,
        help="jobs set aside or not fetched to list, per state (default: %(default)s)",
    )
    return parser


async def run(args: argparse.Namespace) -> int:
    """Print the status."""
    store = await open_checked_store(args.store, create=False)
    try:
        status = await store.status(problems=args.problems)
    finally:
        await store.close()
    if args.json:
        sys.stdout.write(orjson.dumps(status.to_json(), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(status))
    sys.stdout.flush()
    return EXIT_OK


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(now: float, epoch: float) -> str:
    seconds = max(0.0, now - epoch)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def render(status: StoreStatus) -> str:
    """The status as a few readable lines."""
    jobs = status.jobs
    definition = status.definition or {}
    described = ", ".join(f"{k}={v}" for k, v in sorted(definition.items()))
    lines = [
        f"store: {status.location}",
        f"crawl: {described or '?'}",
        f"started: {_when(status.created_at)}",
        "state: "
        + (
            f"done ({_when(status.finished_at)})"
            if status.done
            else "in progress"
            + (" (no worker alive)" if not any(w.alive for w in status.workers) else "")
        ),
        "objects: "
        + (", ".join(f"{n:,} {k}s" for k, n in sorted(status.objects.items())) or "none"),
        f"pages: {status.pages:,}",
        f"frontier: {jobs.get('pending', 0):,} jobs pending, {jobs.get('running', 0):,} "
        f"running, {jobs.get('set_aside', 0):,} set aside, {jobs.get('done', 0):,} done",
    ]
    missing = {k: jobs.get(k, 0) for k in ("failed", "forbidden", "gone") if jobs.get(k)}
    invalid = sum(status.invalid.values())
    if missing or invalid:
        parts = [f"{n:,} {k}" for k, n in missing.items()]
        if invalid:
            parts.append(f"{invalid:,} items without a URN")
        lines.append("not fetched: " + ", ".join(parts))
    alive = [w for w in status.workers if w.alive]
    lines.append(f"workers: {len(alive)} alive of {len(status.workers)}")
    for w in status.workers[-10:]:
        lines.append(
            f"  {w.id} on {w.host} (pid {w.pid}): {w.state}"
            f"{' (alive)' if w.alive else ''}, last heartbeat {_ago(status.now, w.heartbeat_at)}"
        )
    if status.problems:
        lines.append("jobs set aside or not fetched:")
        for p in status.problems:
            retry = f", retry {_when(p.retry_at)}" if p.retry_at is not None else ""
            at = f" at {p.position}" if p.position else ""
            lines.append(
                f"  {p.state}: {p.kind} {p.urn}{at} (attempts {p.attempts}{retry}): {p.error or ''}"
            )
    return "\n".join(lines) + "\n"
