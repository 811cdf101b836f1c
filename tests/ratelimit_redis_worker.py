"""One worker process of the multi-process Redis limiter test (not a test module).

Runs ``--tasks`` tasks calling ``sc.me.get()`` in a loop through the real client, all
sharing one :class:`RedisTokenBucket`. Speaks line by line: prints ``ready`` once
connected; reads ``go`` (start), ``pause SECONDS`` (report a 429 to the limiter; answers
``paused BEFORE AFTER`` in ``time.monotonic()`` seconds) and ``stop``; at the end prints
one JSON line: ``{"ok": n, "errors": {...}, "local": n}``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time

from soundcloud_async import SoundCloud
from soundcloud_async._errors import SoundCloudError
from soundcloud_async._ratelimit_redis import RedisTokenBucket


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--burst", type=float, required=True)
    parser.add_argument("--tasks", type=int, default=16)
    args = parser.parse_args(argv)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    ok = 0
    errors: collections.Counter[str] = collections.Counter()
    limiter = RedisTokenBucket(
        args.redis_url, rate=args.rate, burst=args.burst, client_id=args.client_id
    )
    async with limiter, SoundCloud(args.token, base_url=args.base_url, rate_limiter=limiter) as sc:

        async def work() -> None:
            nonlocal ok
            while True:
                try:
                    await sc.me.get()
                    ok += 1
                except SoundCloudError as exc:
                    errors[type(exc).__name__] += 1

        await limiter.state()  # connected
        say("ready")
        tasks: list[asyncio.Task[None]] = []
        while line := (await reader.readline()).decode().strip():
            command, _, value = line.partition(" ")
            if command == "go":
                tasks = [asyncio.create_task(work()) for _ in range(args.tasks)]
            elif command == "pause":
                before = time.monotonic()
                await limiter.feedback(throttled=True, pause=float(value))
                say(f"paused {before} {time.monotonic()}")
            elif command == "stop":
                break
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    say(json.dumps({"ok": ok, "errors": dict(errors), "local": limiter.local_acquired}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
