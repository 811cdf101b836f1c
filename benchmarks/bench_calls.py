"""Small-call overhead: ``sc.tracks.get()`` calls/s against raw aiohttp GET + orjson.

Both sides call ``GET /tracks/{urn}`` on the same fake SoundCloud process (``large``
world), cycling through the same 200 track URNs:

* **ours**: ``await sc.tracks.get(urn)`` (URN check, transport, classify, a typed
  ``Track``) through ``SoundCloud`` with an ``Unlimited`` limiter;
* **raw**: ``aiohttp`` GET with the same headers + ``orjson.loads`` to a dict.

Each run makes ``--calls`` calls, split evenly across 1 or 16 tasks. Rounds
alternate ours/raw; the best of each is kept. Printed: calls/s,
ours/raw (target >= 0.9 at 1 task, >= 0.7 at 16), and the client's CPU per call with
raw/ours (the fake
server's own CPU per call can be the bottleneck: then the wall ratio flatters us and
the CPU ratio is the honest one).

    .venv/bin/python benchmarks/bench_calls.py                   # ~10 s
    .venv/bin/python benchmarks/bench_calls.py --calls 3000 --rounds 5 --pin
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from dataclasses import dataclass

import _harness
import aiohttp
import orjson

from soundcloud_async import SoundCloud, Unlimited

#: Targets by concurrency: one call at a time (the issue's row), and 16 tasks.
TARGETS = {1: 0.9, 16: 0.7}


@dataclass
class Run:
    calls: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.calls / self.wall

    @property
    def cpu_per_call(self) -> float:
        return self.cpu / self.calls


async def track_urns(base_url: str, token: str) -> list[str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            base_url + "/tracks?limit=200",
            headers={"Authorization": f"OAuth {token}"},
        ) as resp,
    ):
        data = orjson.loads(await resp.read())
    items = data["collection"] if isinstance(data, dict) else data
    return [item["urn"] for item in items]


async def ours(base_url: str, token: str, urns: list[str], workers: int, calls: int) -> Run:
    async with SoundCloud(
        token, base_url=base_url, rate_limiter=Unlimited(), connection_limit=workers
    ) as sc:

        async def caller(offset: int, n: int) -> int:
            got = 0
            for i in range(n):
                track = await sc.tracks.get(urns[(offset + i) % len(urns)])
                got += track.urn is not None
            return got

        await asyncio.gather(*(caller(w, 2) for w in range(workers)))  # warm the pool
        gc.collect()
        with _harness.timed() as t:
            done = await asyncio.gather(*(caller(w * 7, calls) for w in range(workers)))
    return Run(sum(done), t.wall, t.cpu)


async def raw(base_url: str, token: str, urns: list[str], workers: int, calls: int) -> Run:
    headers = {"Authorization": f"OAuth {token}", "Accept": "application/json"}
    connector = aiohttp.TCPConnector(limit=workers)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def caller(offset: int, n: int) -> int:
            got = 0
            for i in range(n):
                url = f"{base_url}/tracks/{urns[(offset + i) % len(urns)]}"
                async with session.get(url, headers=headers) as resp:
                    if resp.status != 200:
                        raise RuntimeError(f"{resp.status} from {url}")
                    body = await resp.read()
                got += orjson.loads(body)["urn"] is not None
            return got

        await asyncio.gather(*(caller(w, 2) for w in range(workers)))
        gc.collect()
        with _harness.timed() as t:
            done = await asyncio.gather(*(caller(w * 7, calls) for w in range(workers)))
    return Run(sum(done), t.wall, t.cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls per run (split across tasks)")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 16], help="tasks in parallel"
    )
    _harness.add_common_args(parser)
    args = parser.parse_args(argv)
    _harness.install_loop(args.loop)
    server_cpu, client_cpu = (0, 1) if args.pin else (None, None)
    server = _harness.start_fake(size="large", cpu=server_cpu)
    _harness.pin(client_cpu)
    print(f"machine: {_harness.machine()}; loop: {args.loop}; pinned: {args.pin}")
    print(f"server: fake large ({server.base_url}), {args.calls} calls per task")
    ok = True
    with server:
        urns = asyncio.run(track_urns(server.base_url, server.token))
        print(
            f"{'conc':>4} {'ours calls/s':>13} {'raw calls/s':>12} {'ours/raw':>9} "
            f"{'ours us CPU/call':>17} {'raw us CPU/call':>16} {'CPU raw/ours':>13}"
        )
        for workers in args.concurrency:
            calls = max(1, args.calls // workers)
            mine: list[Run] = []
            theirs: list[Run] = []
            for _ in range(args.rounds):
                mine.append(asyncio.run(ours(server.base_url, server.token, urns, workers, calls)))
                theirs.append(asyncio.run(raw(server.base_url, server.token, urns, workers, calls)))
            a = max(mine, key=lambda r: r.rate)
            b = max(theirs, key=lambda r: r.rate)
            ratio = a.rate / b.rate
            cpu_ratio = b.cpu_per_call / a.cpu_per_call
            target = TARGETS.get(workers, TARGETS[16])
            ok = ok and ratio >= target
            print(
                f"{workers:>4} {a.rate:>13,.0f} {b.rate:>12,.0f} {ratio:>8.2f} "
                f"{a.cpu_per_call * 1e6:>17.0f} {b.cpu_per_call * 1e6:>16.0f} "
                f"{cpu_ratio:>13.2f}  {_harness.verdict(ratio, target)} (target >= {target})"
            )
            _harness.summary(
                f"sc.tracks.get vs raw aiohttp, same URL and bytes, c={workers}, {args.loop}",
                f"{ratio:.2f}x ({a.rate:,.0f} vs {b.rate:,.0f} calls/s); CPU {cpu_ratio:.2f}x "
                f"(+{(a.cpu_per_call - b.cpu_per_call) * 1e6:.0f} us/call)",
                f">= {target}x",
                ratio >= target,
            )
    return 0 if ok else 3  # 3: ran, but missed a target (run_all.py)


if __name__ == "__main__":
    sys.exit(main())
