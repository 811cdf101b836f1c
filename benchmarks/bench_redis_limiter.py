"""Benchmark: N processes sharing one RedisTokenBucket against FakeSoundCloud.

Prints the aggregate request rate the fake server saw, second by second, the total
against the configured rate, each process's share and the 429s served; then the cost
of one non-waiting ``acquire`` (one Redis round trip) next to the in-process
``TokenBucket``::

    .venv/bin/python benchmarks/bench_redis_limiter.py --processes 4 --rate 100 --seconds 20

Starts its own ``redis-server`` on a free loopback port unless ``--redis-url`` is given.
Needs ``soundcloud-async[redis]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from aiohttp import web

from soundcloud_async import SoundCloud, TokenBucket
from soundcloud_async._errors import SoundCloudError
from soundcloud_async._ratelimit_redis import RedisTokenBucket
from soundcloud_async.testing import FakeSoundCloud


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not on PATH (apt-get install redis-server), or pass --redis-url")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(500):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait()


# -- worker process -------------------------------------------------------------------


async def worker(args: argparse.Namespace) -> None:
    """Run ``--tasks`` tasks calling ``GET /me`` from ``go`` to ``stop`` (stdin lines)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    ok = errors = 0
    limiter = RedisTokenBucket(
        args.redis_url, rate=args.rate, burst=args.burst, client_id=args.client_id
    )
    async with limiter, SoundCloud(args.token, base_url=args.base_url, rate_limiter=limiter) as sc:

        async def work() -> None:
            nonlocal ok, errors
            while True:
                try:
                    await sc.me.get()
                    ok += 1
                except SoundCloudError:
                    errors += 1

        await limiter.state()
        print("ready", flush=True)
        await reader.readline()  # go
        tasks = [asyncio.create_task(work()) for _ in range(args.tasks)]
        await reader.readline()  # stop
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"ok": ok, "errors": errors}), flush=True)


# -- coordinator ----------------------------------------------------------------------


def add_me_route(app: web.Application) -> None:
    if any(getattr(r.resource, "canonical", None) == "/me" for r in app.router.routes()):
        return

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"kind": "user", "urn": "soundcloud:users:1", "username": "x"})

    app.router.add_get("/me", me)


async def run_load(args: argparse.Namespace, redis_url: str) -> None:
    fake = FakeSoundCloud(general_rate=args.server_rate)
    add_me_route(fake.app)
    async with fake:
        token = fake.issue_token()
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                "--base-url",
                fake.base_url,
                "--token",
                token,
                "--redis-url",
                redis_url,
                "--client-id",
                fake.client_id,
                "--rate",
                str(args.rate),
                "--burst",
                str(args.burst),
                "--tasks",
                str(args.tasks),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(args.processes)
        ]
        for proc in procs:
            assert proc.stdout is not None
            assert b"ready" == (await proc.stdout.readline()).strip()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
        await asyncio.sleep(args.seconds + 1.5)
        shares = []
        for proc in procs:
            assert proc.stdin is not None
            assert proc.stdout is not None
            proc.stdin.write(b"stop\n")
            shares.append(json.loads(await proc.stdout.readline()))
            await proc.wait()
        times = sorted(r.at for r in fake.requests if r.path == "/me")
        rate_limited = fake.counters.rate_limited

    start = times[0] + 1  # skip the first second (processes starting their loops)
    series = [
        sum(1 for t in times if start + i <= t < start + i + 1) for i in range(int(args.seconds))
    ]
    total = sum(series) / len(series)
    print(
        f"{args.processes} processes x {args.tasks} tasks, one RedisTokenBucket at "
        f"{args.rate:g} req/s (burst {args.burst:g}); FakeSoundCloud limit "
        f"{args.server_rate:g} req/s"
    )
    print("second  requests (measured at the server)")
    for i, n in enumerate(series):
        print(f"{i + 1:6d}  {n:4d}  {'#' * round(n * 50 / max(series))}")
    print(
        f"total: {total:.2f} req/s over {len(series)} s vs {args.rate:g} configured "
        f"({(total / args.rate - 1) * 100:+.2f} %)"
    )
    print(f"per process (requests): {[s['ok'] for s in shares]}")
    print(f"errors per process: {[s['errors'] for s in shares]}")
    print(f"429s served: {rate_limited}")


async def acquire_cost(redis_url: str, n: int) -> None:
    """Time ``n`` non-waiting acquires: the Redis bucket vs the in-process one."""
    async with RedisTokenBucket(redis_url, rate=1e9, client_id="bench-acquire") as shared:
        for _ in range(100):  # warm the connection and the script cache
            await shared.acquire()
        start = time.perf_counter()
        for _ in range(n):
            await shared.acquire()
        redis_us = (time.perf_counter() - start) / n * 1e6

        async def many(k: int) -> None:
            for _ in range(k):
                await shared.acquire()

        start = time.perf_counter()
        await asyncio.gather(*(many(n // 64) for _ in range(64)))
        concurrent = (n // 64) * 64 / (time.perf_counter() - start)
    local = TokenBucket(1e9)
    start = time.perf_counter()
    for _ in range(n):
        await local.acquire()
    local_us = (time.perf_counter() - start) / n * 1e6
    print(f"non-waiting acquire, {n} sequential calls:")
    print(f"  RedisTokenBucket (one EVALSHA round trip, loopback): {redis_us:8.1f} us")
    print(f"  TokenBucket (in-process):                            {local_us:8.2f} us")
    print(f"  RedisTokenBucket, 64 concurrent tasks: {concurrent:,.0f} acquires/s per process")


async def main(args: argparse.Namespace) -> None:
    if args.redis_url:
        await run_load(args, args.redis_url)
        await acquire_cost(args.redis_url, args.acquires)
        return
    with redis_server() as url:
        await run_load(args, url)
        await acquire_cost(url, args.acquires)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=16, help="tasks per process")
    parser.add_argument("--rate", type=float, default=100.0, help="shared req/s")
    parser.add_argument("--burst", type=float, default=5.0)
    parser.add_argument("--server-rate", type=float, default=110.0, help="the fake's limit")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--acquires", type=int, default=5000)
    parser.add_argument("--redis-url", help="an existing Redis (default: start one)")
    # Worker mode (spawned by the coordinator).
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--client-id", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    asyncio.run(worker(arguments) if arguments.worker else main(arguments))
