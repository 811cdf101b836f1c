"""``soundcloud-async download`` against a fake-server subprocess, and its progress bar."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundcloud_async import DownloadProgress
from soundcloud_async.cli import main
from soundcloud_async.cli._download import Bar
from soundcloud_async.testing._media import FakeMedia
from soundcloud_async.testing._world import World
from tests.fake_process import fake_server_process

pytestmark = pytest.mark.integration

SEED, SIZE = 5, "small"


@pytest.fixture(scope="module")
def world() -> World:
    """The server's world, rebuilt here from the same seed: the oracle of its audio."""
    return World.generate(seed=SEED, size=SIZE)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    """A fake-server subprocess: (URL, token)."""
    with fake_server_process("--seed", str(SEED), "--size", SIZE) as fake:
        yield fake.url, fake.token


def track(world: World, low: int, high: int) -> int:
    """A public, playable track index lasting low..high ms."""
    return next(
        t
        for t in world.all_tracks().live_keys()
        if not world.track_meta(t).private
        and world.track_meta(t).access == 0
        and low <= world.track_dict(t)["duration"] <= high
    )


def argv(server: tuple[str, str], *extra: str) -> list[str]:
    return ["download", *extra, "--base-url", server[0], "--access-token", server[1]]


class TestDownloadCommand:
    """The command writes the fake's audio and says where."""

    def test_urn_to_out(
        self,
        server: tuple[str, str],
        world: World,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """download URN --out FILE: the AAC 160 file, a summary on stdout, exit 0."""
        t = track(world, 45_000, 200_000)
        out = tmp_path / "song.m4a"
        code = main(argv(server, world.track_urn(t), "--out", str(out), "-q"))
        expected = FakeMedia(world).expected_audio(world.track_urn(t), "hls_aac_160")
        assert (0, expected) == (code, out.read_bytes())
        err = capsys.readouterr().err
        assert f"saved {out} (hls_aac_160_url, mp4" in err

    def test_url_default_name_from_the_container(
        self,
        server: tuple[str, str],
        world: World,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A soundcloud.com URL and no --out: ID.EXT in the current directory (TS: .ts)."""
        t = track(world, 45_000, 200_000)
        monkeypatch.chdir(tmp_path)
        url = world.track_dict(t)["permalink_url"]
        code = main(argv(server, url, "--format", "hls_aac_96"))
        name = f"{world.track_id(t)}.ts"
        expected = FakeMedia(world).expected_audio(world.track_urn(t), "hls_aac_96")
        assert (0, [name]) == (code, os.listdir(tmp_path))
        assert expected == (tmp_path / name).read_bytes()
        assert f"saved {name} (hls_aac_96_url, mpegts" in capsys.readouterr().out

    def test_existing_out_needs_force(
        self, server: tuple[str, str], world: World, tmp_path: Path
    ) -> None:
        """An existing --out is a usage error (2) unless --force."""
        urn = world.track_urn(track(world, 45_000, 200_000))
        out = tmp_path / "a.mp3"
        out.write_bytes(b"mine")
        options = ("--out", str(out), "--format", "hls_mp3_128", "-q")
        refused = main(argv(server, urn, *options))
        forced = main(argv(server, urn, *options, "--force"))
        assert (2, 0) == (refused, forced)
        assert FakeMedia(world).expected_audio(urn, "hls_mp3_128") == out.read_bytes()

    @pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
    def test_ctrl_c_then_the_same_command_resumes(
        self, server: tuple[str, str], world: World, tmp_path: Path
    ) -> None:
        """SIGINT mid-download exits 130 keeping the part file; the same command completes it."""
        t = track(world, 1_800_000, 5_400_000)  # a long mix: hundreds of segments
        urn = world.track_urn(t)
        out = tmp_path / "mix.mp3"
        command = [
            sys.executable, "-m", "soundcloud_async",
            *argv(server, urn, "--out", str(out), "--format", "hls_mp3_128", "--concurrency", "1"),
        ]  # fmt: skip
        sidecar = tmp_path / "mix.mp3.part.json"
        part = tmp_path / "mix.mp3.part"
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(OSError):
                if part.stat().st_size > 0:  # audio is being written: mid-download
                    break
            time.sleep(0.001)
        # Ctrl-C at a known point, whatever the machine's speed: frozen first, so the
        # download cannot finish between seeing it under way and the signal landing.
        proc.send_signal(signal.SIGSTOP)
        assert not out.exists(), "the download finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGCONT)
        _, err = proc.communicate(timeout=30)
        assert 130 == proc.returncode, err
        assert "Traceback" not in err
        kept = json.loads(sidecar.read_text())["done"]
        again = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert 0 == again.returncode, again.stderr
        assert f"resumed at segment {kept}" in again.stdout
        assert FakeMedia(world).expected_audio(urn, "hls_mp3_128") == out.read_bytes()
        assert ["mix.mp3"] == os.listdir(tmp_path)


class TestBar:
    """The progress bar: segments, bytes, speed; in place on a terminal, lines elsewhere."""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    def test_render(self) -> None:
        """Half done: half a bar, the counts, the size and the speed."""
        now = [0.0]
        bar = Bar(io.StringIO(), width=10, clock=lambda: now[0])
        bar.render(DownloadProgress(0, None, 0, 8))
        now[0] = 2.0
        line = bar.render(DownloadProgress(4_000_000, None, 4, 8, resumed_from=1))
        assert "[#####.....]  50% 4/8 segments, 4.0 MB, 2.0 MB/s, resumed at 1" == line

    def test_terminal_redraws_in_place(self) -> None:
        """On a terminal each update rewrites the line; done() ends it."""
        now = [0.0]
        stream = self.Tty()
        bar = Bar(stream, width=4, clock=lambda: now[0])
        for i in range(1, 3):
            now[0] += 1
            bar.update(DownloadProgress(i * 1000, None, i, 2))
        bar.done()
        text = stream.getvalue()
        assert 3 == text.count("\r\x1b[K")
        assert text.endswith("\n")

    def test_pipe_prints_a_line_now_and_then(self) -> None:
        """Not a terminal: a line per line_interval, and always the last one."""
        now = [0.0]
        stream = io.StringIO()
        bar = Bar(stream, line_interval=5.0, clock=lambda: now[0])
        for i in range(1, 11):
            now[0] += 1
            bar.update(DownloadProgress(i, None, i, 10))
        lines = stream.getvalue().splitlines()
        assert ["1/10", "6/10", "10/10"] == [line.split()[2] for line in lines]
