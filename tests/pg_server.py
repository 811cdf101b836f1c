"""A throwaway PostgreSQL cluster on a free loopback port, for the crawl store's tests.

``initdb`` refuses to run as root, and CI runs as root: the cluster then runs as the
unprivileged ``postgres`` user that Debian's package creates (through ``runuser``), in a
temporary directory it owns. Tests isolate themselves with a schema each
(``postgresql://…/postgres?schema=t_…``), so one cluster serves the whole session.

If PostgreSQL is not installed the tests are skipped, unless the ``CI`` environment
variable is set: then they fail (``.ci/run`` installs the Debian package).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import free_port

__all__ = ["find_pg_bin", "pg_cluster"]


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, if installed."""
    candidates = [shutil.which("initdb")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for found in candidates:
        if found:
            directory = Path(os.path.realpath(found)).parent
            if (directory / "pg_ctl").exists() and (directory / "postgres").exists():
                return directory
    return None


def _missing() -> None:
    message = "PostgreSQL is not installed (apt-get install postgresql)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def pg_cluster(*, durable: bool = False) -> Iterator[str]:
    """Run a PostgreSQL cluster on 127.0.0.1 and yield a superuser URL to it.

    Tests run it without fsync (nothing here survives the machine anyway);
    ``durable=True`` keeps PostgreSQL's own defaults, for benchmarks.
    """
    bindir = find_pg_bin()
    if bindir is None:
        _missing()
        raise AssertionError("unreachable")  # pragma: no cover
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="sc-pg-"))
    if as_root:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs the 'postgres' system user (the Debian package)")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, sockets, log = root / "data", root / "sockets", root / "log"
    port = free_port()

    def run(*cmd: str) -> None:
        subprocess.run(
            [*prefix, *cmd], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    try:
        run("mkdir", "-p", str(sockets))
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "crawler",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(log),
            "-w",
            "-t",
            "30",
            "start",
        )
        yield f"postgresql://crawler@127.0.0.1:{port}/postgres"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                shutil.rmtree(root)
                break
            except OSError:  # pragma: no cover - the server was still writing
                time.sleep(0.1)
