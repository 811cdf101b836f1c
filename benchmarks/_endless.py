"""A benchmark-only server: one collection of ``--items`` synthetic tracks, 200 a page.

``GET /tracks?linked_partitioning=true&limit=200[&cursor=K]`` answers
``{"collection": [...], "next_href": ".../tracks?...&cursor=K+limit"}`` until ``--items``
tracks have been served, then ``"next_href": null``. The tracks are the converter
benchmark's realistic 45-field tracks (``bench_converter.make_track``), rendered once
at start-up, so serving a page costs the server a ``bytes.join`` and the client is what
gets measured. Any ``Authorization`` is accepted. Not part of the library: the fake
SoundCloud holds no single collection of a million tracks.

    python benchmarks/_endless.py --port 8099 --items 1000000
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import orjson
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from bench_converter import make_track


def build_app(items: int, page_size: int) -> web.Application:
    """The app: pre-rendered items, pages cut by a numeric cursor."""
    rng = random.Random(2026)
    rendered = [orjson.dumps(make_track(rng, 100_000_000 + i * 7919)) for i in range(page_size)]
    full = b",".join(rendered)

    async def tracks(request: web.Request) -> web.Response:
        q = request.query
        try:
            cursor = int(q.get("cursor", "0"))
            limit = min(int(q.get("limit", "50")), page_size)
        except ValueError:
            raise web.HTTPBadRequest(text="bad cursor or limit") from None
        count = max(0, min(limit, items - cursor))
        body = full if count == page_size else b",".join(rendered[:count])
        nxt = cursor + count
        next_href = (
            None
            if nxt >= items
            else f"{request.url.origin()}/tracks?limit={limit}&cursor={nxt}"
            "&linked_partitioning=true"
        )
        payload = b'{"collection":[' + body + b'],"next_href":' + orjson.dumps(next_href) + b"}"
        return web.Response(body=payload, content_type="application/json")

    app = web.Application()
    app.router.add_get("/tracks", tracks)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=200)
    args = parser.parse_args()
    app = build_app(args.items, args.page_size)
    print(f"serving {args.items} items on http://127.0.0.1:{args.port}", flush=True)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
