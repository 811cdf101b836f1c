"""One worker process of the multi-process token refresh test (not a test module).

Opens a client whose auth is a :class:`RefreshingToken` loaded from a shared store
(``--store file:PATH`` or ``--store redis:URL`` with ``--key``), prints ``ready``, waits
for ``go`` on stdin, then runs ``--tasks`` tasks that each call ``sc.me.get()``
``--calls`` times. Prints one JSON line: ``{"ok": n, "errors": {...}, "refreshes": n,
"token": "<sha256 of the final access token, 16 hex digits>"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import json
import sys
from typing import Any

from soundcloud_async import (
    JSONFileTokenStore,
    RedisTokenStore,
    RefreshingToken,
    SoundCloud,
    SoundCloudError,
    TokenStore,
)
from soundcloud_async._ratelimit import Unlimited


def fingerprint(secret: str | None) -> str:
    """A short digest to compare tokens across processes without printing them."""
    return hashlib.sha256((secret or "").encode()).hexdigest()[:16]


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--store", required=True, help="file:PATH or redis:URL")
    parser.add_argument("--key", default="user")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args(argv)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    kind, _, where = args.store.partition(":")
    store: TokenStore = (
        JSONFileTokenStore(where) if kind == "file" else RedisTokenStore(where, key=args.key)
    )
    auth = RefreshingToken(
        None,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_url=f"{args.base_url}/oauth/token",
        store=store,
    )
    ok = 0
    errors: collections.Counter[str] = collections.Counter()
    async with SoundCloud(auth=auth, base_url=args.base_url, rate_limiter=Unlimited()) as sc:

        async def work() -> None:
            nonlocal ok
            for _ in range(args.calls):
                try:
                    await sc.me.get()
                    ok += 1
                except SoundCloudError as exc:
                    errors[type(exc).__name__] += 1

        sys.stdout.write("ready\n")
        sys.stdout.flush()
        line = (await reader.readline()).decode().strip()
        if line == "go":
            await asyncio.gather(*(work() for _ in range(args.tasks)))
    if isinstance(store, RedisTokenStore):
        await store.aclose()
    token = auth.token
    summary: dict[str, Any] = {
        "ok": ok,
        "errors": dict(errors),
        "refreshes": auth.refreshes,
        "token": fingerprint(token.access_token if token else None),
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
