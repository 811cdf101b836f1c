"""The command line never shows a traceback for a user's mistake.

One table drives every subcommand with bad arguments and asserts the exit code (2 for a
usage error, 1 for a failure while running), that the message names the problem, and
that no ``Traceback`` appears. Most rows run in-process through ``main(argv)``; rows
marked ``subprocess=True`` run ``python -m soundcloud_async ...`` for real.

To add a row: append a ``Case`` to ``CASES`` under its subcommand. ``argv`` may use the
placeholders ``{tmp}`` (a fresh directory), ``{url}`` and ``{token}`` (a fake server,
started only if a row asks for it), ``{free_port}`` (nothing listens there) and
``{busy_port}`` (something listens there). Every subcommand in ``cli.SUBCOMMANDS`` must
have at least one row.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from soundcloud_async.cli import SUBCOMMANDS, main
from tests.fake_process import clean_env, fake_server_process

REPO_ROOT = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
SECRET = "hunter2-never-shown"


@dataclass(frozen=True)
class Case:
    """One bad command line and what it must produce."""

    id: str
    argv: tuple[str, ...]
    code: int
    says: tuple[str, ...]
    """Text the output must contain (case-insensitive): the problem, named."""
    never: tuple[str, ...] = ()
    """Text it must not contain: a message we fixed, or a secret."""
    env: dict[str, str] = field(default_factory=dict)
    """SOUNDCLOUD_* variables for the run (none are inherited)."""
    subprocess: bool = False


def case(
    id: str,
    argv: str,
    code: int,
    *says: str,
    never: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    subprocess: bool = False,
) -> Case:
    """A row; ``argv`` is split on spaces (no argument here contains one)."""
    return Case(id, tuple(argv.split()), code, says, never, env or {}, subprocess)


TOKEN = "--access-token t"


def _preview_only_track() -> str:
    """A track of the errors server's world (seed 0, tiny) that offers only its preview."""
    from soundcloud_async.testing._world import World

    world = World.generate(seed=0, size="tiny")
    return next(
        world.track_urn(t)
        for t in world.all_tracks().live_keys()
        if world.track_meta(t).access == 1 and not world.track_meta(t).private
    )


CASES: list[Case] = [
    # -- the command itself ------------------------------------------------------------
    case("no-command", "", EXIT_USAGE, "required: COMMAND", "--help"),
    case("unknown-command", "nosuch", EXIT_USAGE, "invalid choice: 'nosuch'"),
    # -- get ---------------------------------------------------------------------------
    case("get-no-target", f"get {TOKEN}", EXIT_USAGE, "required: URN|URL"),
    case(
        "get-bare-id", f"get 123 {TOKEN}", EXIT_USAGE,
        "bare id", "soundcloud:tracks:123", never=("kind='tracks'",),
    ),
    case(
        "get-unknown-kind", f"get soundcloud:foo:bar {TOKEN}", EXIT_USAGE,
        "'foo'", "soundcloud:foo:bar", never=("a fo ",),
    ),
    case("get-not-a-urn", f"get not-a-urn {TOKEN}", EXIT_USAGE, "invalid URN 'not-a-urn'"),
    case(
        "get-no-credentials", "get soundcloud:tracks:1", EXIT_USAGE,
        "no credentials", "SOUNDCLOUD_ACCESS_TOKEN",
    ),
    case(
        "get-client-id-without-secret", "get soundcloud:tracks:1 --client-id x", EXIT_USAGE,
        "--client-id is set", "client secret is missing", "--client-secret",
    ),
    case(
        "get-client-secret-without-id",
        f"get soundcloud:tracks:1 --client-secret {SECRET}", EXIT_USAGE,
        "--client-secret is set", "client id is missing", never=(SECRET,),
    ),
    case(
        "get-env-client-id-without-secret", "get soundcloud:tracks:1", EXIT_USAGE,
        "SOUNDCLOUD_CLIENT_ID is set", "SOUNDCLOUD_CLIENT_SECRET",
        env={"SOUNDCLOUD_CLIENT_ID": "x"},
    ),
    case("get-bad-rate", f"get soundcloud:tracks:1 {TOKEN} --rate -5", EXIT_USAGE, "--rate"),
    case(
        "get-bad-max-attempts", f"get soundcloud:tracks:1 {TOKEN} --max-attempts 0",
        EXIT_USAGE, "--max-attempts",
    ),
    case(
        "get-api-unreachable",
        f"get soundcloud:tracks:1 {TOKEN} --base-url http://127.0.0.1:{{free_port}}"
        " --max-attempts 1",
        EXIT_ERROR, "cannot reach http://127.0.0.1:{free_port}",
    ),
    case(
        "get-token-endpoint-unreachable",
        f"get soundcloud:tracks:1 --client-id x --client-secret {SECRET} --base-url {{url}}"
        " --token-url http://127.0.0.1:{free_port}/oauth/token --max-attempts 1",
        EXIT_ERROR, "cannot reach the token endpoint", "127.0.0.1:{free_port}/oauth/token",
        never=("cannot reach {url}", SECRET),
    ),
    case(
        "get-not-found", "get soundcloud:tracks:999999999 --base-url {url} --access-token {token}",
        EXIT_ERROR, "404 - Not Found", "soundcloud:tracks:999999999", never=("404 404",),
    ),
    # -- resolve -----------------------------------------------------------------------
    case(
        "resolve-not-a-url", f"resolve notaurl {TOKEN}", EXIT_USAGE,
        "not a soundcloud.com", "notaurl", never=("resolve()",),
    ),
    case(
        "resolve-foreign-host", f"resolve https://example.com/x {TOKEN}", EXIT_USAGE,
        "example.com", never=("resolve()",),
    ),
    case(
        "resolve-nothing-there",
        "resolve https://soundcloud.com/nobody-here --base-url {url} --access-token {token}",
        EXIT_ERROR, "404 - Not Found", never=("404 404",),
    ),
    # -- crawl -------------------------------------------------------------------------
    case(
        "crawl-redis-url-not-a-url",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --store {{tmp}}/s.sqlite"
        " --redis-url notaurl",
        EXIT_USAGE, "--redis-url", "redis://",
    ),
    case(
        "crawl-redis-url-bad-port-hides-password",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --store {{tmp}}/s.sqlite"
        f" --redis-url redis://:{SECRET}@localhost:notaport/0",
        EXIT_USAGE, "--redis-url", "notaport", never=(SECRET,), subprocess=True,
    ),
    case(
        "crawl-redis-unreachable",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --store {{tmp}}/s.sqlite -q"
        f" --base-url http://127.0.0.1:{{free_port}}"
        f" --redis-url redis://:{SECRET}@127.0.0.1:{{free_port}}/0",
        EXIT_ERROR, "cannot reach Redis", "--redis-url",
        never=("on_unavailable", SECRET),
    ),
    case(
        "crawl-seed-not-a-user",
        f"crawl --seed-user soundcloud:tracks:1 {TOKEN} --store {{tmp}}/s.sqlite",
        EXIT_USAGE, "expected a users URN",
    ),
    case(
        "crawl-bad-depth", f"crawl --seed-user soundcloud:users:1 {TOKEN} --depth -1",
        EXIT_USAGE, "--depth",
    ),
    case(
        "crawl-bad-concurrency",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --concurrency 0",
        EXIT_USAGE, "--concurrency",
    ),
    case("crawl-no-seed", f"crawl {TOKEN}", EXIT_USAGE, "--seed-user"),
    case(
        "crawl-store-missing-directory",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --store {{tmp}}/no/s.sqlite",
        EXIT_USAGE, "no directory",
    ),
    case(
        "crawl-store-is-a-directory",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --store {{tmp}}",
        EXIT_USAGE, "is a directory",
    ),
    case(
        "crawl-store-other-database",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --store mysql://h/db",
        EXIT_USAGE, "unsupported store URL scheme 'mysql'",
    ),
    case(
        "crawl-postgres-unreachable",
        f"crawl --seed-user soundcloud:users:1 {TOKEN}"
        f" --store postgresql://u:{SECRET}@127.0.0.1:{{free_port}}/db",
        EXIT_USAGE, "cannot reach PostgreSQL", "127.0.0.1:{free_port}", never=(SECRET,),
    ),
    case(
        "crawl-checkpoint-retired",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --checkpoint {{tmp}}/c.json",
        EXIT_USAGE, "--checkpoint is gone", "--store",
    ),
    case(
        "crawl-out-sqlite-retired",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --out {{tmp}}/o.sqlite",
        EXIT_USAGE, "is its --store now",
    ),
    case(
        "crawl-out-missing-directory",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --out {{tmp}}/no/o.jsonl",
        EXIT_USAGE, "no directory",
    ),
    case(
        "crawl-bad-lease", f"crawl --seed-user soundcloud:users:1 {TOKEN} --lease 0",
        EXIT_USAGE, "--lease",
    ),
    case(
        "crawl-bad-direction",
        f"crawl --seed-user soundcloud:users:1 {TOKEN} --direction sideways",
        EXIT_USAGE, "--direction",
    ),
    # -- status ------------------------------------------------------------------------
    case("status-no-store", "status {tmp}/x.sqlite", EXIT_USAGE, "no crawl store at"),
    case("status-a-directory", "status {tmp}", EXIT_USAGE, "is a directory"),
    case(
        "status-postgres-unreachable",
        f"status postgresql://u:{SECRET}@127.0.0.1:{{free_port}}/db",
        EXIT_USAGE, "cannot reach PostgreSQL", never=(SECRET,),
    ),
    # -- export ------------------------------------------------------------------------
    case("export-no-store", "export {tmp}/x.sqlite", EXIT_USAGE, "no crawl store at"),
    case("export-bad-format", "export {tmp}/x.sqlite --format xml", EXIT_USAGE, "--format"),
    case(
        "export-unknown-extension", "export {tmp}/x.sqlite --out {tmp}/o.parquet", EXIT_USAGE,
        "cannot tell the export format",
    ),
    case("export-bad-kind", "export {tmp}/x.sqlite --kind comment", EXIT_USAGE, "--kind"),
    # -- demo --------------------------------------------------------------------------
    case("demo-bad-size", "demo --size enormous", EXIT_USAGE, "--size", "'enormous'", "'huge'"),
    case("demo-bad-fault", "demo --fault meteor=0.1", EXIT_USAGE, "unknown fault kind"),
    case("demo-bad-rate", "demo --rate 0", EXIT_USAGE, "--rate"),
    # -- fake-server -------------------------------------------------------------------
    case(
        "fake-server-port-out-of-range", "fake-server --port 99999", EXIT_USAGE,
        "--port", "0 to 65535", subprocess=True,
    ),
    case(
        "fake-server-bad-size", "fake-server --size enormous", EXIT_USAGE,
        "--size", "'enormous'", "'tiny', 'small', 'large', 'huge'",
    ),
    case("fake-server-negative-rate", "fake-server --rate -5", EXIT_USAGE, "--rate", "'-5'"),
    case("fake-server-bad-host", "fake-server --host 256.1.1.1", EXIT_USAGE, "'256.1.1.1'"),
    case(
        "fake-server-port-in-use", "fake-server --port {busy_port}", EXIT_ERROR,
        "cannot listen on 127.0.0.1:{busy_port}", "in use",
    ),
    case(
        "fake-server-unknown-host", "fake-server --host no-such-host.invalid --port 0", EXIT_ERROR,
        "cannot listen", "no-such-host.invalid",
    ),
    case("fake-server-negative-slow-delay", "fake-server --slow-delay -1", EXIT_USAGE, "--slow"),
    case("fake-server-zero-token-lifetime", "fake-server --token-lifetime 0", EXIT_USAGE, "--tok"),
    case("fake-server-negative-spam-after", "fake-server --spam-after -1", EXIT_USAGE, "--spam"),
    # -- download ----------------------------------------------------------------------
    case("download-no-target", f"download {TOKEN}", EXIT_USAGE, "required: URN|URL"),
    case(
        "download-not-a-track", f"download soundcloud:users:1 {TOKEN}", EXIT_USAGE,
        "track URN", "soundcloud:users:1",
    ),
    case(
        "download-bad-format", f"download soundcloud:tracks:1 {TOKEN} --format flac",
        EXIT_USAGE, "--format", "invalid choice: 'flac'",
    ),
    case(
        "download-bad-concurrency", f"download soundcloud:tracks:1 {TOKEN} --concurrency 17",
        EXIT_USAGE, "--concurrency", "1 to 16",
    ),
    case(
        "download-out-is-a-directory", f"download soundcloud:tracks:1 {TOKEN} --out {{tmp}}",
        EXIT_USAGE, "is a directory",
    ),
    case(
        "download-out-missing-directory",
        f"download soundcloud:tracks:1 {TOKEN} --out {{tmp}}/no/a.m4a", EXIT_USAGE, "no directory",
    ),
    case(
        "download-not-found",
        "download soundcloud:tracks:999999999 --base-url {url} --access-token {token}"
        " --out {tmp}/a.m4a",
        EXIT_ERROR, "404 - Not Found", never=("404 404",),
    ),
    case(
        "download-preview-only",
        f"download {_preview_only_track()} --base-url {{url}} --access-token {{token}}"
        " --out {tmp}/a.m4a",
        EXIT_ERROR, "preview", "--format preview_mp3_128",
    ),
]  # fmt: skip


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    """A fake-server subprocess on a free loopback port: (URL, token)."""
    with fake_server_process("--size", "tiny") as fake:
        yield fake.url, fake.token


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(text: str, request: pytest.FixtureRequest, tmp_path: Path, ports: dict[str, int]) -> str:
    """Substitute the placeholders a row uses, starting what they need."""
    values: dict[str, object] = {"tmp": tmp_path}
    if "{url}" in text or "{token}" in text:
        values["url"], values["token"] = request.getfixturevalue("server")
    if "{busy_port}" in text:
        ports.setdefault("busy_port", request.getfixturevalue("busy_port"))
    if "{free_port}" in text:
        ports.setdefault("free_port", free_port())
    return text.format(**values, **ports)


# -- the table --------------------------------------------------------------------------


class TestBadArguments:
    """Each row: its exit code, a message naming the problem, no traceback."""

    @pytest.mark.parametrize("row", CASES, ids=[c.id for c in CASES])
    def test_row(
        self,
        row: Case,
        request: pytest.FixtureRequest,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """The exit code, the message, and no traceback."""
        ports: dict[str, int] = {}
        argv = [fill(a, request, tmp_path, ports) for a in row.argv]
        if row.subprocess:
            done = subprocess.run(
                [sys.executable, "-m", "soundcloud_async", *argv],
                capture_output=True,
                text=True,
                timeout=30,
                env={**clean_env(), **row.env},
            )
            code, output = done.returncode, done.stdout + done.stderr
        else:
            for name in list(os.environ):
                if name.startswith("SOUNDCLOUD_"):
                    monkeypatch.delenv(name)
            for name, value in row.env.items():
                monkeypatch.setenv(name, value)
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's errors and --help
                code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
            captured = capsys.readouterr()
            output = captured.out + captured.err
        assert "Traceback" not in output
        assert row.code == code, output
        for text in row.says:
            assert fill(text, request, tmp_path, ports).lower() in output.lower(), output
        for text in row.never:
            assert fill(text, request, tmp_path, ports) not in output, output
        assert len(output.strip().splitlines()) <= 3, output

    def test_every_subcommand_has_rows(self) -> None:
        """The table covers every subcommand (add rows when you add one)."""
        covered = {c.argv[0] for c in CASES if c.argv}
        assert set(SUBCOMMANDS) <= covered, sorted(set(SUBCOMMANDS) - covered)


# -- signals ----------------------------------------------------------------------------

# Runs the console script's entry point the way pip's script does, after arranging a real
# SIGINT the moment the package starts importing aiohttp: Ctrl-C in the first tenths of
# a second, at a deterministic point.
_SIGINT_DURING_IMPORT = """
import os, signal, sys

class InterruptOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "aiohttp":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, InterruptOnImport())
sys.argv = ["soundcloud-async", "get", "soundcloud:tracks:1"]
from _soundcloud_async_cli import main
sys.exit(main())
"""


class TestSignals:
    """Ctrl-C and SIGTERM end a command with 130 and no traceback."""

    def test_console_script_entry_point(self) -> None:
        """The console script starts in the guard module, not in the package."""
        pyproject = (REPO_ROOT / "pyproject.toml").read_text()
        assert 'soundcloud-async = "_soundcloud_async_cli:main"' in pyproject

    @pytest.mark.skipif(sys.platform == "win32", reason="os.kill(SIGINT) to oneself")
    def test_ctrl_c_while_importing(self) -> None:
        """A SIGINT while the package imports exits 130 quietly."""
        done = subprocess.run(
            [sys.executable, "-c", _SIGINT_DURING_IMPORT],
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_env(),
        )
        assert "Traceback" not in done.stderr
        assert EXIT_INTERRUPTED == done.returncode, done.stderr
        assert "interrupted" == done.stderr.strip()

    @pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals to a child")
    @pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
    def test_fake_server_stops_with_130(self, signum: signal.Signals) -> None:
        """fake-server serves until a signal, then says so and exits 130."""
        argv = ["fake-server", "--port", "0", "--size", "tiny"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "soundcloud_async", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if line.startswith("Press Ctrl-C"):
                    break
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert "Traceback" not in err
        assert EXIT_INTERRUPTED == proc.returncode, err
        assert "stopped" in err


class TestModuleEntryPoint:
    """``python -m soundcloud_async`` is the command."""

    def test_help(self) -> None:
        """It prints the command's help."""
        done = subprocess.run(
            [sys.executable, "-m", "soundcloud_async", "--help"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert 0 == done.returncode
        assert "usage: soundcloud-async" in done.stdout
