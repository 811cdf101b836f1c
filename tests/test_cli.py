"""The ``soundcloud-async`` command: in-process ``main(argv)`` and real subprocesses."""

from __future__ import annotations

import io
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from soundcloud_async import EventHooks, Stats
from soundcloud_async.cli import main
from soundcloud_async.cli._progress import Progress
from soundcloud_async.crawl import JobProblem, StoreStatus
from soundcloud_async.testing._world import World
from tests.fake_process import FakeProcess as Server
from tests.fake_process import fake_server_process, run_cli

pytestmark = pytest.mark.integration

SEED, SIZE = 3, "small"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One fake server for the module's tests."""
    with fake_server_process("--seed", str(SEED), "--size", SIZE) as fake:
        yield fake


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
        """A tiny world finishes fast, keeps its store, exports JSONL and prints a summary."""
        out, store = tmp_path / "demo.jsonl", tmp_path / "demo.sqlite"
        assert 0 == main(["demo", "--size", "tiny", "--store", str(store), "--out", str(out)])
        err = capsys.readouterr().err
        assert "Done:" in err
        assert "politeness:" in err
        assert f"store: {store}" in err
        kinds = [orjson.loads(line)["kind"] for line in out.read_bytes().splitlines()]
        assert {"user", "track", "playlist"} == set(kinds)
        assert World.generate(seed=0, size="tiny").n_users >= kinds.count("user")

    @pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
    def test_interrupted_demo_resumes_on_a_new_port(self, tmp_path: Path) -> None:
        """Ctrl-C, then demo --resume: the new fake has a new port, the crawl completes."""
        store, out = tmp_path / "d.sqlite", tmp_path / "d.jsonl"
        argv = [sys.executable, "-m", "soundcloud_async.cli", "demo", "--size", "small",
                "--rate", "200", "--server-rate", "1000", "--store", str(store)]  # fmt: skip
        proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        assert proc.stderr is not None
        first_port = ""
        for line in proc.stderr:
            if line.startswith("FakeSoundCloud on "):
                first_port = re.findall(r"127\.0\.0\.1:(\d+)", line)[0]
            if line.startswith("Demo crawl:"):
                break
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        proc.stderr.close()
        assert 130 == proc.wait(timeout=30), err
        assert "run it again with --resume" in err
        resumed = subprocess.run(
            [*argv, "--resume", "-q", "--out", str(out)], capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert 0 == resumed.returncode, resumed.stderr
        assert first_port
        assert f":{first_port}" not in resumed.stderr.split("Demo crawl")[0]
        world = World.generate(seed=0, size="small")
        users = [orjson.loads(line) for line in out.read_bytes().splitlines()]
        reached = {u["data"]["urn"] for u in users if u["kind"] == "user"}
        assert world.default_user_urn in reached
        assert len(users) == len({u["data"]["urn"] for u in users})


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
        text = self.summary(Stats(requests=200, waited=220.0), status())
        assert "in 14.5 s" in text
        assert "1.10 s per request on average" in text
        assert "220.0 s summed over 200 requests that wait side by side" in text
        assert "not fetched" not in text

    def test_what_was_not_fetched_is_listed(self) -> None:
        """Failed and forbidden jobs are counted and listed with their errors."""
        problem = JobProblem(
            "tracks", "soundcloud:users:7", "failed", 5, "PaginationError: loop", "/x?c=1", None
        )
        text = self.summary(
            Stats(requests=10), status(jobs={"done": 9, "failed": 1, "forbidden": 2},
                                       problems=[problem])
        )  # fmt: skip
        assert "not fetched: 1 failed after every retry, 2 forbidden (403)" in text
        assert "failed: tracks soundcloud:users:7: PaginationError: loop" in text

    @staticmethod
    def summary(stats: Stats, status: StoreStatus) -> str:
        sc = SimpleNamespace(stats=stats, hooks=EventHooks())
        crawler = SimpleNamespace(
            progress=SimpleNamespace(objects={"user": 3}, pages=10, visited=3)
        )
        now = iter([0.0, 14.5])
        progress = Progress(
            sc,  # type: ignore[arg-type]
            crawler,  # type: ignore[arg-type]
            io.StringIO(),
            clock=lambda: next(now),
        )
        return progress.summary(outcome="Done", status=status)


def status(**fields: Any) -> StoreStatus:
    """A store status with defaults."""
    values: dict[str, Any] = {
        "location": "s.sqlite", "definition": {}, "created_at": 0.0, "finished_at": None,
        "objects": {"user": 3}, "jobs": {"done": 4}, "pages": 10, "invalid": {},
        "workers": [], "problems": [], "now": 1.0,
    }  # fmt: skip
    values.update(fields)
    return StoreStatus(**values)


class TestErrors:
    """User errors get a message and an exit code, never a traceback."""

    def run(self, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """The command in a subprocess without credentials in its environment."""
        return run_cli(*argv, cwd=cwd, timeout=30)

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
        done = self.run(*argv, cwd=tmp_path)
        assert [] == list(tmp_path.iterdir())
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

    @pytest.mark.parametrize(
        ("extra", "words"),
        [
            (["--checkpoint", "x.json"], "--checkpoint is gone"),
            (["--checkpoint-interval", "5"], "--checkpoint-interval is gone"),
            (["--format", "sqlite"], "--format is gone"),
            (["--out", "o.sqlite"], "is its --store now"),
            (["--out", "o.parquet"], "cannot tell the export format"),
            (["--out", "nodir/o.jsonl"], "no directory"),
        ],
    )
    def test_retired_and_bad_output_options(
        self, extra: list[str], words: str, tmp_path: Path
    ) -> None:
        """Options of the checkpoint era, and an --out that cannot be written: exit 2."""
        done = self.run(
            "crawl", "--seed-user", "soundcloud:users:1", "--access-token", "t",
            "--store", str(tmp_path / "s.sqlite"), *extra, cwd=tmp_path,
        )  # fmt: skip
        assert 2 == done.returncode, done.stderr
        assert words in done.stderr
        assert "Traceback" not in done.stderr
        assert [] == [p.name for p in tmp_path.iterdir()], "nothing is written"

    @pytest.mark.parametrize(
        ("content", "words"),
        [
            ('{"format": "soundcloud_async.crawl/1", "visited": []}', "JSON checkpoint"),
            ("not a database at all", "not a crawl store"),
        ],
    )
    def test_a_store_that_is_not_one(self, content: str, words: str, tmp_path: Path) -> None:
        """An old checkpoint file or any other file as --store: exit 2, the file untouched."""
        path = tmp_path / "s.sqlite"
        path.write_text(content)
        for argv in (
            ["crawl", "--seed-user", "soundcloud:users:1", "--access-token", "t"],
            ["status"],
            ["export"],
        ):
            store = ["--store", str(path)] if argv[0] == "crawl" else [str(path)]
            done = self.run(*argv, *store)
            assert 2 == done.returncode, done.stderr
            assert words in done.stderr
            assert "Traceback" not in done.stderr
        assert content == path.read_text()

    def test_redis_down_writes_nothing(self, tmp_path: Path) -> None:
        """Redis is checked before the store is made: the same command works once it is up."""
        done = self.run(
            "crawl", "--seed-user", "soundcloud:users:1", "--access-token", "t",
            "--store", str(tmp_path / "s.sqlite"),
            "--redis-url", f"redis://127.0.0.1:{free_port()}/0", cwd=tmp_path,
        )  # fmt: skip
        assert 1 == done.returncode, done.stderr
        assert "cannot reach Redis" in done.stderr
        assert [] == list(tmp_path.iterdir())

    def test_status_and_export_need_a_store(self, tmp_path: Path) -> None:
        """A missing store: exit 2, and nothing is created."""
        for argv in (["status", str(tmp_path / "x.sqlite")], ["export", str(tmp_path / "x.db")]):
            done = self.run(*argv)
            assert 2 == done.returncode
            assert "no crawl store at" in done.stderr
        assert [] == list(tmp_path.iterdir())


def crawl_argv(server: Server, store: Path, *extra: str) -> list[str]:
    """A depth-1 crawl of the server's test user, slowed to last a few seconds."""
    world = World.generate(seed=SEED, size=SIZE)
    return [
        sys.executable, "-m", "soundcloud_async.cli", "crawl",
        "--base-url", server.url, "--access-token", server.token,
        "--seed-user", world.default_user_urn, "--depth", "1",
        "--rate", "80", "--concurrency", "8", "--store", str(store), *extra,
    ]  # fmt: skip


def lines(path: Path) -> list[bytes]:
    """A JSONL export's lines, sorted."""
    return sorted(path.read_bytes().splitlines())


class TestInterruptedCrawl:
    """A crawl sent SIGINT at a random point and started again equals an uninterrupted one."""

    @pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
    def test_sigint_then_the_same_command(self, server: Server, tmp_path: Path) -> None:
        """Exit 130 with every page kept; the same command again completes the same set."""
        rng = random.Random(20250601)
        whole = tmp_path / "whole.jsonl"
        done = subprocess.run(
            crawl_argv(server, tmp_path / "whole.sqlite", "-q", "--out", str(whole)),
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert 0 == done.returncode, done.stderr

        store, pieces = tmp_path / "pieces.sqlite", tmp_path / "pieces.jsonl"
        proc = subprocess.Popen(
            crawl_argv(server, store), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
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
        status = subprocess.run(
            [sys.executable, "-m", "soundcloud_async.cli", "status", str(store), "--json"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert 0 == status.returncode, status.stderr
        partial = orjson.loads(status.stdout)
        assert not partial["done"]
        assert 0 < sum(partial["objects"].values()) < len(lines(whole))

        again = subprocess.run(
            crawl_argv(server, store, "-q", "--out", str(pieces)),
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert 0 == again.returncode, again.stderr
        assert lines(whole) == lines(pieces)

    def test_status_export_and_another_crawl(self, server: Server, tmp_path: Path) -> None:
        """status and export read the store; a different crawl on it is refused (exit 2)."""
        store = tmp_path / "s.sqlite"
        argv = crawl_argv(server, store, "-q")
        argv[argv.index("--depth") + 1] = "0"
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert 0 == done.returncode, done.stderr
        cli = [sys.executable, "-m", "soundcloud_async.cli"]
        status = subprocess.run([*cli, "status", str(store)], capture_output=True, text=True)
        assert 0 == status.returncode, status.stderr
        assert "state: done" in status.stdout
        assert "1 users" in status.stdout
        csv_out = tmp_path / "users.csv"
        exported = subprocess.run(
            [*cli, "export", str(store), "--kind", "user", "--out", str(csv_out)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert 0 == exported.returncode, exported.stderr
        header, row = csv_out.read_text().splitlines()
        assert header.startswith("kind,urn,")
        assert row.startswith("user,soundcloud:users:")
        argv[argv.index("--depth") + 1] = "1"
        other = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert 2 == other.returncode
        assert "holds a different crawl" in other.stderr
        fresh = subprocess.run([*argv, "--overwrite"], capture_output=True, text=True, timeout=60)
        assert 0 == fresh.returncode, fresh.stderr

    def test_a_seed_that_does_not_exist(self, server: Server, tmp_path: Path) -> None:
        """A seed user the API does not know: exit 2, said plainly."""
        argv = crawl_argv(server, tmp_path / "s.sqlite", "-q")
        argv[argv.index("--seed-user") + 1] = "soundcloud:users:999999999"
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert 2 == done.returncode
        assert "does not exist" in done.stderr
