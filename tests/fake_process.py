"""A ``soundcloud-async fake-server`` subprocess, for tests of the command line.

The server runs in a process of its own on a free loopback port (``--port 0``); what it
prints on start-up (its URL, its OAuth client and a ready access token) is read from its
standard output, and the process is stopped when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FakeProcess", "clean_env", "fake_server_process", "run_cli"]


@dataclass(frozen=True)
class FakeProcess:
    """What a started fake server printed."""

    url: str
    token: str
    client_id: str
    client_secret: str


def clean_env() -> dict[str, str]:
    """This process's environment without ``SOUNDCLOUD_*`` settings a developer may have."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SOUNDCLOUD_")}


def run_cli(
    *argv: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m soundcloud_async.cli ARGV…`` to completion, without ``SOUNDCLOUD_*`` settings."""
    return subprocess.run(
        [sys.executable, "-m", "soundcloud_async.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        cwd=cwd,
    )


@contextlib.contextmanager
def fake_server_process(*options: str) -> Iterator[FakeProcess]:
    """Start ``soundcloud-async fake-server --port 0 OPTIONS…``; stop it on exit.

    Raises:
        RuntimeError: the server exited before printing its URL and token.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "soundcloud_async", "fake-server", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    )
    assert proc.stdout is not None
    try:
        seen: dict[str, str] = {}
        for line in proc.stdout:
            words = line.split()
            if line.startswith("FakeSoundCloud serving on "):
                seen["url"] = words[-1]
            elif words and words[0] in ("client_id:", "client_secret:"):
                seen[words[0].rstrip(":")] = words[-1]
            elif "access token:" in line:
                seen["token"] = words[2]
                break
        if not {"url", "token", "client_id", "client_secret"} <= seen.keys():
            raise RuntimeError(
                f"fake-server {' '.join(options)} did not start (it printed {sorted(seen)})"
            )
        yield FakeProcess(**seen)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
