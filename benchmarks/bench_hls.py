"""HLS: a 10-minute track's download, the library against raw aiohttp on the same segments.

The fake SoundCloud runs in its own process. A 10-minute track is uploaded to it first
(the fake gives an upload of N bytes a duration of N*8/128 ms: 9.6 MB make 600 s), then
each side downloads it in a fresh interpreter, rounds interleaved:

* **ours**: ``sc.tracks.download(urn, path, format=…)``: the stream URL through the
  transport, the playlist, segments 4 at a time, each checked against its container,
  appended to ``DEST.part``, fsynced and recorded in the resume sidecar, then renamed.
* **ours-nofsync**: the same with ``os.fsync`` made a no-op in that worker: a diagnostic
  row that shows what the per-segment fsync costs (nothing else changes).
* **raw**: aiohttp alone: ``GET /streams``, the 302, the playlist (split by hand), the
  init and segments 4 at a time through the same sliding window, written in order to a
  file; no checks, no retries, no fsync, no sidecar.

Both files must be identical. Reported: wall seconds (best round), client CPU seconds,
and the worker's peak RSS (``VmHWM``) and its growth over the RSS just before the
download started (what the download itself holds). No target: the figures are recorded
in RESULTS.md.

    .venv/bin/python benchmarks/bench_hls.py                        # 3 rounds, AAC and MP3
    .venv/bin/python benchmarks/bench_hls.py --rounds 5 --formats hls_aac_160_url
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _harness

#: 600 s of audio by the fake's upload rule (bytes * 8 / 128 ms).
TEN_MINUTES_BYTES = 9_600_000
CONCURRENCY = 4


# -- the two workers (each in a fresh interpreter) ---------------------------------------


async def ours(base: str, token: str, urn: str, fmt: str, out: str) -> dict[str, Any]:
    from soundcloud_async import SoundCloud, Unlimited

    async with SoundCloud(token, base_url=base, rate_limiter=Unlimited()) as sc:
        before = _harness.rss_bytes()
        with _harness.timed() as t:
            result = await sc.tracks.download(urn, out, format=fmt, concurrency=CONCURRENCY)  # type: ignore[arg-type]
    return {"wall": t.wall, "cpu": t.cpu, "before": before, "size": result.size,
            "segments": result.segments}  # fmt: skip


async def raw(base: str, token: str, urn: str, fmt: str, out: str) -> dict[str, Any]:
    import aiohttp
    from yarl import URL

    auth = {"Authorization": f"OAuth {token}"}
    async with aiohttp.ClientSession() as s:
        before = _harness.rss_bytes()
        with _harness.timed() as t:
            async with s.get(f"{base}/tracks/{urn}/streams", headers=auth) as resp:
                streams = await resp.json()
            async with s.get(streams[fmt], headers=auth, allow_redirects=False) as resp:
                location = resp.headers["Location"]
            text, url = await _text(s, location)
            if "#EXT-X-STREAM-INF" in text:  # a master playlist: the highest bandwidth
                lines = text.splitlines()
                best = max(
                    (int(line.split("BANDWIDTH=")[1].split(",")[0]), lines[i + 1])
                    for i, line in enumerate(lines)
                    if line.startswith("#EXT-X-STREAM-INF")
                )
                text, url = await _text(s, str(URL(url).join(URL(best[1], encoded=True))))
            base_url = URL(url, encoded=True)
            uris = []
            for line in text.splitlines():
                if line.startswith("#EXT-X-MAP:"):
                    uris.append(line.split('URI="')[1].split('"')[0])
                elif line and not line.startswith("#"):
                    uris.append(line)
            urls = [str(base_url.join(URL(u, encoded=True))) for u in uris]

            async def fetch(u: str) -> bytes:
                async with s.get(u) as r:
                    r.raise_for_status()
                    return await r.read()

            size = 0
            # The plain script's way: blocking writes (each a few hundred KB, fast).
            with open(out, "wb") as f:  # noqa: ASYNC230
                window: collections.deque[asyncio.Task[bytes]] = collections.deque()
                pending = iter(urls)
                for u in pending:
                    window.append(asyncio.ensure_future(fetch(u)))
                    if len(window) >= CONCURRENCY:
                        break
                while window:
                    data = await window.popleft()
                    nxt = next(pending, None)
                    if nxt is not None:
                        window.append(asyncio.ensure_future(fetch(nxt)))
                    f.write(data)
                    size += len(data)
    return {"wall": t.wall, "cpu": t.cpu, "before": before, "size": size, "segments": len(urls)}


def _hwm() -> int:
    """This process's peak RSS (``VmHWM``). Not ``ru_maxrss``: Linux carries that across
    fork and exec, so a worker would report its parent's peak."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


async def _text(s: Any, url: str) -> tuple[str, str]:
    async with s.get(url) as resp:
        return await resp.text(), str(resp.url)


def worker(args: argparse.Namespace) -> int:
    _harness.install_loop(args.loop)
    if args.worker == "ours-nofsync":
        # Diagnostic only: how much of ours is the per-segment fsync of the part file.
        os.fsync = lambda fd: None
    run = raw if args.worker == "raw" else ours
    figures = asyncio.run(run(args.base, args.token, args.urn, args.format, args.out))
    figures["peak"] = _hwm()
    print(json.dumps(figures))
    return 0


# -- the driver ---------------------------------------------------------------------------


async def upload(base: str, token: str) -> str:
    from soundcloud_async import SoundCloud, Unlimited

    async with SoundCloud(token, base_url=base, rate_limiter=Unlimited()) as sc:
        track = await sc.tracks.upload(b"\0" * TEN_MINUTES_BYTES, title="Ten minutes")
        assert track.duration == 600_000, track.duration
        return str(track.urn)


def run_worker(kind: str, server: _harness.Server, urn: str, fmt: str, out: str, loop: str) -> Any:
    cmd = [
        sys.executable, __file__, "--worker", kind, "--base", server.base_url,
        "--token", server.token, "--urn", urn, "--format", fmt, "--out", out, "--loop", loop,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=_harness.ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per side")
    parser.add_argument(
        "--formats",
        nargs="+",
        default=["hls_aac_160_url", "hls_mp3_128_url"],
        help="Streams fields to download",
    )
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--worker", choices=("ours", "ours-nofsync", "raw"), help=argparse.SUPPRESS)
    for name in ("base", "token", "urn", "format", "out"):
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    print(f"machine: {_harness.machine()}; load {os.getloadavg()}")
    mb = 1024 * 1024
    with _harness.start_fake(size="tiny") as server, tempfile.TemporaryDirectory() as tmp:
        urn = asyncio.run(upload(server.base_url, server.token))
        print(f"track {urn}: 600 s; {args.rounds} rounds per side, concurrency {CONCURRENCY}")
        print("| format | side | best wall s | CPU s | MB/s | peak RSS MB | growth MB |")
        print("|---|---|---|---|---|---|---|")
        for fmt in args.formats:
            best: dict[str, dict[str, Any]] = {}
            for _ in range(args.rounds):
                for kind in ("ours", "ours-nofsync", "raw"):
                    out = str(Path(tmp) / f"{kind}.audio")
                    figures = run_worker(kind, server, urn, fmt, out, args.loop)
                    figures["bytes"] = Path(out).read_bytes()
                    os.unlink(out)
                    if kind not in best or figures["wall"] < best[kind]["wall"]:
                        best[kind] = figures
            if best["ours"]["bytes"] != best["raw"]["bytes"]:
                print(f"FAILED: the two files of {fmt} differ")
                return 2
            for kind in ("ours", "ours-nofsync", "raw"):
                f = best[kind]
                print(
                    f"| {fmt} | {kind} | {f['wall']:.3f} | {f['cpu']:.3f} | "
                    f"{f['size'] / mb / f['wall']:.1f} | {f['peak'] / mb:.1f} | "
                    f"{(f['peak'] - f['before']) / mb:.1f} |"
                )
            o, n, r = best["ours"], best["ours-nofsync"], best["raw"]
            print(
                f"{fmt}: {o['segments']} segments, {o['size'] / mb:.1f} MB; ours takes "
                f"{o['wall'] / r['wall']:.2f}x raw's time ({n['wall'] / r['wall']:.2f}x "
                f"without the fsyncs), {o['cpu'] / r['cpu']:.2f}x its CPU"
            )
            _harness.summary(
                f"HLS 10-min download, {fmt} ({args.loop})",
                f"ours {o['wall']:.2f} s vs raw aiohttp {r['wall']:.2f} s "
                f"({o['wall'] / r['wall']:.2f}x); peak RSS {o['peak'] / mb:.0f} MB "
                f"(+{(o['peak'] - o['before']) / mb:.1f}) vs {r['peak'] / mb:.0f} MB "
                f"(+{(r['peak'] - r['before']) / mb:.1f})",
                "-",
                None,
            )
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    if "--worker" not in sys.argv:
        print(f"done in {time.perf_counter() - started:.1f} s")
    sys.exit(code)
