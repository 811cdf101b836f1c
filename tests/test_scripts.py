"""The shell scripts in scripts/: what they pass on and where they write (stubbed tools)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STUB_PYTHON = "#!/usr/bin/env bash\nexit 0\n"  # `pip install` does nothing
STUB_CLI = '#!/usr/bin/env bash\necho "cwd=$PWD"\nprintf "arg=%s\\n" "$@"\n'


def fake_checkout(tmp_path: Path) -> Path:
    """A copy of scripts/demo beside a .venv whose python and soundcloud-async are stubs."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "demo", tmp_path / "scripts" / "demo")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", STUB_PYTHON), ("soundcloud-async", STUB_CLI)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return tmp_path


def run_demo(checkout: Path, *args: str) -> list[str]:
    done = subprocess.run(
        ["bash", str(checkout / "scripts" / "demo"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()


class TestDemo:
    """scripts/demo keeps its output out of the repository's root."""

    def test_store_goes_to_demo_output(self, tmp_path: Path) -> None:
        """Without --store, the demo's store is demo-output/soundcloud-demo.sqlite."""
        checkout = fake_checkout(tmp_path)
        lines = run_demo(checkout, "--size", "tiny")
        assert [
            f"cwd={checkout}",
            "arg=demo",
            "arg=--store",
            "arg=demo-output/soundcloud-demo.sqlite",
            "arg=--size",
            "arg=tiny",
        ] == lines
        assert (checkout / "demo-output").is_dir()

    @pytest.mark.parametrize("given", [["--store", "mine.sqlite"], ["--store=mine.sqlite"]])
    def test_a_given_store_is_kept(self, tmp_path: Path, given: list[str]) -> None:
        """A --store of the user's own is passed on alone."""
        lines = run_demo(fake_checkout(tmp_path), *given)
        assert ["arg=demo", *(f"arg={a}" for a in given)] == lines[1:]

    def test_outputs_are_ignored_by_git(self) -> None:
        """The demo's outputs and other local artefacts are in .gitignore."""
        ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
        assert {"demo-output/", "soundcloud-demo.sqlite*", ".venv-*/", "site/"} <= set(ignored)
