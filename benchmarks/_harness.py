"""Shared plumbing of the wire benchmarks: a server in its own process, timing, RSS.

The server (the fake SoundCloud, or ``_endless.py``) always runs in a child process so
that client and server each get a core; :func:`pin` optionally pins each to one CPU.
Nothing here talks to anything but loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

__all__ = [
    "Server",
    "Timing",
    "add_common_args",
    "free_port",
    "install_loop",
    "machine",
    "pin",
    "rss_bytes",
    "start_endless",
    "start_fake",
    "summary",
    "timed",
    "verdict",
]

#: Lines starting with this carry one row of run_all.py's closing table (JSON).
SUMMARY_PREFIX = "@@summary "


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_bytes() -> int:
    """This process's resident set size, from ``/proc/self/status`` (``VmRSS``)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def machine() -> str:
    """``nproc``, the CPU model and the Python version, for the results table."""
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs, {model}, Python {sys.version.split()[0]}"


def pin(cpu: int | None) -> None:
    """Pin this process to one CPU (``None``: leave it alone)."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu % (os.cpu_count() or 1)})


def install_loop(name: str) -> None:
    """``"asyncio"`` (default) or ``"uvloop"`` for every ``asyncio.run`` after this."""
    if name == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


@dataclass
class Server:
    """A server running in a child process; stop it with :meth:`stop` (or ``with``)."""

    proc: subprocess.Popen[str]
    base_url: str
    token: str = ""
    lines: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _spawn(argv: Sequence[str], cpu: int | None) -> subprocess.Popen[str]:
    def preexec() -> None:
        pin(cpu)

    return subprocess.Popen(
        [sys.executable, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        preexec_fn=preexec if cpu is not None else None,
    )


def _wait_ready(
    proc: subprocess.Popen[str], ready: Callable[[str], bool], timeout: float
) -> list[str]:
    """Read the child's output until ``ready(line)``; then check the port answers."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("server exited before it was ready:\n" + "".join(lines))
        lines.append(line)
        if ready(line):
            return lines
    proc.terminate()
    raise RuntimeError("server not ready in time:\n" + "".join(lines))


def _wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def start_fake(
    *,
    size: str = "large",
    rate: float | None = None,
    cpu: int | None = None,
    extra: Sequence[str] = (),
) -> Server:
    """``python -m soundcloud_async.testing`` on a free port; waits for its token."""
    port = free_port()
    argv = ["-m", "soundcloud_async.testing", "--port", str(port), "--size", size, *extra]
    if rate is not None:
        argv += ["--rate", str(rate)]
    proc = _spawn(argv, cpu)
    try:
        lines = _wait_ready(proc, lambda line: "access token:" in line, 120.0)
        _wait_port(port)
    except BaseException:
        proc.kill()
        raise
    token = ""
    for line in lines:
        m = re.search(r"access token:\s+(\S+)", line)
        if m:
            token = m.group(1)
    # Keep the pipe drained so a chatty server never blocks on a full pipe.
    assert proc.stdout is not None
    with contextlib.suppress(Exception):
        os.set_blocking(proc.stdout.fileno(), False)
    return Server(proc, f"http://127.0.0.1:{port}", token, lines)


def start_endless(*, items: int, cpu: int | None = None, page_size: int = 200) -> Server:
    """``benchmarks/_endless.py``: ``items`` synthetic tracks in pages of ``page_size``."""
    port = free_port()
    argv = [
        str(HERE / "_endless.py"),
        "--port",
        str(port),
        "--items",
        str(items),
        "--page-size",
        str(page_size),
    ]
    proc = _spawn(argv, cpu)
    try:
        lines = _wait_ready(proc, lambda line: line.startswith("serving"), 60.0)
        _wait_port(port)
    except BaseException:
        proc.kill()
        raise
    return Server(proc, f"http://127.0.0.1:{port}", "endless-token", lines)


@dataclass
class Timing:
    """Wall seconds and this process's CPU seconds of one measured block."""

    wall: float = 0.0
    cpu: float = 0.0


@contextlib.contextmanager
def timed() -> Iterator[Timing]:
    """``with timed() as t:`` measures wall and process CPU time of the block."""
    t = Timing()
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        yield t
    finally:
        t.wall = time.perf_counter() - w0
        t.cpu = time.process_time() - c0


def summary(row: str, figure: str, target: str, ok: bool | None) -> None:
    """Report one row of the closing table that ``run_all.py`` prints after every script.

    ``ok`` is ``None`` for a row without a target (shown for information).
    """
    print(SUMMARY_PREFIX + json.dumps({"row": row, "figure": figure, "target": target, "ok": ok}))


def verdict(ratio: float, target: float) -> str:
    """``"ok"`` or ``"BELOW"`` against a ``>= target`` ratio."""
    return "ok" if ratio >= target else "BELOW"


def add_common_args(parser: Any) -> None:
    """``--loop``, ``--pin`` and ``--rounds``, shared by the wire benchmarks."""
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop"), default="asyncio", help="client event loop"
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin the server to CPU 0 and the client to CPU 1 (needs 2 cores)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds (ours, raw, ours, raw, ...); the best of each is kept",
    )
