"""The ``soundcloud-async`` command: in-process ``main(argv)`` and real subprocesses."""

from __future__ import annotations

import io
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest

from soundcloud_async import EventHooks, Stats
from soundcloud_async.cli import main
from soundcloud_async.cli._progress import Progress
from soundcloud_async.testing._world import World

pytestmark = pytest.mark.integration

SEED, SIZE = 3, "small"


class Server:
    """A ``soundcloud-async fake-server`` subprocess on a free loopback port."""

    def __init__(self, proc: subprocess.Popen[str], url: str, token: str) -> None:
        self.proc, self.url, self.token = proc, url, token


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One fake server for the module's tests."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "soundcloud_async.cli", "fake-server", "--port", "0"),
            *("--seed", str(SEED), "--size", SIZE),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    url = token = ""
    for line in proc.stdout:
        if line.startswith("FakeSoundCloud serving on "):
            url = line.split()[-1]
        if "access token:" in line:
            token = line.split()[2]
            break
    try:
        yield Server(proc, url, token)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials from the test runner's environment."""
    for name in ("SOUNDCLOUD_ACCESS_TOKEN", "SOUNDCLOUD_CLIENT_ID", "SOUNDCLOUD_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestHelp:
    """--help works for the command and every subcommand."""

    @pytest.mark.parametrize(
        "argv",
        [[], ["demo"], ["crawl"], ["get"], ["resolve"], ["fake-server"]],
    )
    def test_help(self, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        """Exit 0 with a usage line naming the command."""
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--help"])
        assert 0 == exc.value.code
        assert "usage: soundcloud-async" in capsys.readouterr().out

    def test_module_entry_point(self) -> None:
        """python -m soundcloud_async.cli --help works."""
        done = subprocess.run(
            [sys.executable, "-m", "soundcloud_async.cli", "--help"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert 0 == done.returncode
        assert "crawl" in done.stdout


class TestDemo:
    """The demo crawls an in-process fake and reports."""

    def test_tiny_demo(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A tiny world finishes fast, writes JSONL and prints a summary."""
        out = tmp_path / "demo.jsonl"
        assert 0 == main(["demo", "--size", "tiny", "--out", str(out)])
        err = capsys.readouterr().err
        assert "Done:" in err
        assert "politeness:" in err
        kinds = [orjson.loads(line)["kind"] for line in out.read_bytes().splitlines()]
        assert {"user", "track", "playlist"} == set(kinds)
        assert World.generate(seed=0, size="tiny").n_users >= kinds.count("user")


class TestGetResolve:
    """get and resolve print one object as JSON."""

    def test_get_urn(self, server: Server, env: None, capsys: pytest.CaptureFixture[str]) -> None:
        """A user URN prints that user."""
        world = World.generate(seed=SEED, size=SIZE)
        urn = world.default_user_urn
        code = main(["get", urn, "--base-url", server.url, "--access-token", server.token])
        assert 0 == code
        assert urn == orjson.loads(capsys.readouterr().out)["urn"]

    def test_get_with_client_credentials_from_env(
        self, server: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """SOUNDCLOUD_CLIENT_ID/SECRET are exchanged for a token."""
        monkeypatch.delenv("SOUNDCLOUD_ACCESS_TOKEN", raising=False)
        monkeypatch.setenv("SOUNDCLOUD_CLIENT_ID", "fake-client-id")
        monkeypatch.setenv("SOUNDCLOUD_CLIENT_SECRET", "fake-client-secret")
        world = World.generate(seed=SEED, size=SIZE)
        track = world.track_urn(0)
        assert 0 == main(["get", track, "--base-url", server.url])
        assert track == orjson.loads(capsys.readouterr().out)["urn"]

    def test_resolve_url(
        self, server: Server, env: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A soundcloud.com permalink resolves to its user."""
        world = World.generate(seed=SEED, size=SIZE)
        u = world.user_index(world.default_user_urn)
        url = f"https://soundcloud.com/{world.user_permalink(u)}"
        code = main(["resolve", url, "--base-url", server.url, "--access-token", server.token])
        assert 0 == code
        assert world.default_user_urn == orjson.loads(capsys.readouterr().out)["urn"]

    def test_resolve_urn_only_prints_the_bare_urn(
        self, server: Server, env: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--urn-only prints the URN as plain text (no JSON quotes), for shell scripts."""
        world = World.generate(seed=SEED, size=SIZE)
        u = world.user_index(world.default_user_urn)
        url = f"https://soundcloud.com/{world.user_permalink(u)}"
        argv = ["resolve", url, "--urn-only", "--base-url", server.url]
        assert 0 == main([*argv, "--access-token", server.token])
        assert f"{world.default_user_urn}\n" == capsys.readouterr().out


class TestProgressSummary:
    """The crawl's closing report says what its figures are."""

    def test_waiting_is_explained(self) -> None:
        """Waiting summed over concurrent requests is labelled as such, with its average."""
        stats = Stats(requests=200, waited=220.0)
        sc = SimpleNamespace(stats=stats, hooks=EventHooks())
        crawler = SimpleNamespace(
            progress=SimpleNamespace(objects={"user": 3}, pages=10, visited=3, skipped=0)
        )
        now = iter([0.0, 14.5])
        progress = Progress(
            sc,  # type: ignore[arg-type]
            crawler,  # type: ignore[arg-type]
            io.StringIO(),
            clock=lambda: next(now),
        )
        text = progress.summary(outcome="Done", out="o.jsonl", checkpoint=None)
        assert "in 14.5 s" in text
        assert "1.10 s per request on average" in text
        assert "220.0 s summed over 200 requests that wait side by side" in text


class TestErrors:
    """User errors get a message and an exit code, never a traceback."""

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """The command in a subprocess without credentials in its environment."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOUNDCLOUD_")}
        return subprocess.run(
            [sys.executable, "-m", "soundcloud_async.cli", *argv],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )

    def test_missing_credentials(self) -> None:
        """No token and no client credentials: exit 2 naming the variables."""
        done = self.run("get", "soundcloud:tracks:1")
        assert 2 == done.returncode
        assert "SOUNDCLOUD_ACCESS_TOKEN" in done.stderr
        assert "Traceback" not in done.stderr

    @pytest.mark.parametrize(
        "argv",
        [
            ["get", "not-a-urn", "--access-token", "t"],
            ["get", "12345", "--access-token", "t"],
            ["resolve", "https://example.com/x", "--access-token", "t"],
            ["crawl", "--seed-user", "soundcloud:tracks:1", "--access-token", "t"],
        ],
    )
    def test_bad_urn_or_url(self, argv: list[str], tmp_path: Path) -> None:
        """A malformed URN or a URL that is not SoundCloud's: exit 2."""
        done = self.run(*argv, *(["--out", str(tmp_path / "o.jsonl")] if "crawl" in argv else []))
        assert 2 == done.returncode
        assert "Traceback" not in done.stderr
        assert "error:" in done.stderr

    def test_unreachable_host(self) -> None:
        """Nothing listening: exit 1 with 'cannot reach'."""
        url = f"http://127.0.0.1:{free_port()}"
        done = self.run(
            "get", "soundcloud:tracks:1", "--base-url", url, "--access-token", "t",
            "--max-attempts", "1",
        )  # fmt: skip
        assert 1 == done.returncode
        assert "cannot reach" in done.stderr
        assert "Traceback" not in done.stderr

    def test_existing_output_needs_resume_or_overwrite(self, tmp_path: Path) -> None:
        """crawl refuses to overwrite an output file it was not told to."""
        out = tmp_path / "o.jsonl"
        out.write_text("keep me\n")
        done = self.run(
            "crawl", "--seed-user", "soundcloud:users:1", "--access-token", "t", "--out", str(out)
        )
        assert 2 == done.returncode
        assert "keep me\n" == out.read_text()


def crawl_argv(server: Server, out: Path, *extra: str) -> list[str]:
    """A depth-1 crawl of the server's test user, slowed to last a few seconds."""
    world = World.generate(seed=SEED, size=SIZE)
    return [
        sys.executable, "-m", "soundcloud_async.cli", "crawl",
        "--base-url", server.url, "--access-token", server.token,
        "--seed-user", world.default_user_urn, "--depth", "1",
        "--rate", "80", "--concurrency", "8", "--out", str(out),
        "--checkpoint-interval", "0.2", *extra,
    ]  # fmt: skip


class TestInterruptedCrawl:
    """A crawl sent SIGINT at a random point and resumed equals an uninterrupted one."""

    @pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
    def test_sigint_then_resume(self, server: Server, tmp_path: Path) -> None:
        """Exit 130 with a checkpoint, then --resume completes the same lines."""
        rng = random.Random(20250601)
        whole = tmp_path / "whole.jsonl"
        done = subprocess.run(
            crawl_argv(server, whole, "-q"), capture_output=True, text=True, timeout=60
        )
        assert 0 == done.returncode, done.stderr

        pieces = tmp_path / "pieces.jsonl"
        proc = subprocess.Popen(
            crawl_argv(server, pieces), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith("Crawling:")
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        proc.stderr.close()
        assert 130 == proc.wait(timeout=30), err
        assert "Interrupted:" in err
        assert "Traceback" not in err
        partial = pieces.read_bytes().splitlines()
        assert 0 < len(partial) < len(whole.read_bytes().splitlines())

        resumed = subprocess.run(
            crawl_argv(server, pieces, "--resume", "-q"), capture_output=True, text=True, timeout=60
        )
        assert 0 == resumed.returncode, resumed.stderr
        assert "(resuming)" in resumed.stderr
        assert sorted(whole.read_bytes().splitlines()) == sorted(pieces.read_bytes().splitlines())

    def test_sqlite_output(self, server: Server, tmp_path: Path) -> None:
        """--out x.sqlite writes a table per kind."""
        out = tmp_path / "o.sqlite"
        argv = crawl_argv(server, out, "-q")
        argv[argv.index("--depth") + 1] = "0"
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert 0 == done.returncode, done.stderr
        import sqlite3

        db = sqlite3.connect(out)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            users = db.execute("SELECT count(*) FROM user").fetchone()[0]
        finally:
            db.close()
        assert {"user", "track", "playlist"} == tables
        assert 1 == users
