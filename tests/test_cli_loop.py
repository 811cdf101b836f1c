"""The command runs on uvloop when it is installed (the ``speed`` extra)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import pytest

from soundcloud_async.cli._common import event_loop_options, run_command

uvloop = pytest.importorskip("uvloop", reason="uvloop is in the test extra on POSIX")


class TestEventLoop:
    def test_uvloop_when_installed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With uvloop importable, the command asks anyio for it."""
        monkeypatch.delenv("SOUNDCLOUD_ASYNC_LOOP", raising=False)
        assert {"use_uvloop": True} == event_loop_options()

    def test_opt_out(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """SOUNDCLOUD_ASYNC_LOOP=asyncio keeps the standard loop."""
        monkeypatch.setenv("SOUNDCLOUD_ASYNC_LOOP", "asyncio")
        assert {} == event_loop_options()

    def test_without_uvloop(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without uvloop installed, the standard loop, and no error."""
        monkeypatch.delenv("SOUNDCLOUD_ASYNC_LOOP", raising=False)
        monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop -> ImportError
        assert {} == event_loop_options()

    @pytest.mark.parametrize(("env", "uv"), [("", True), ("asyncio", False)])
    def test_command_runs_on_the_chosen_loop(
        self, monkeypatch: pytest.MonkeyPatch, env: str, uv: bool
    ) -> None:
        """run_command runs the subcommand on uvloop's loop, or asyncio's when opted out."""
        monkeypatch.setenv("SOUNDCLOUD_ASYNC_LOOP", env)
        seen: list[type] = []

        async def command(args: argparse.Namespace) -> int:
            seen.append(type(asyncio.get_running_loop()))
            return 0

        assert 0 == run_command(argparse.Namespace(run=command))
        assert uv == issubclass(seen[0], uvloop.Loop)
