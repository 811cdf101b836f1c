"""``ffprobe`` for the media tests: what a real decoder makes of our files.

If ``ffprobe`` is not on PATH the tests that need it are skipped, unless the ``CI``
environment variable is set: then they fail (``.ci/run`` installs the Debian package
``ffmpeg``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

#: How far ffprobe's duration may be from the track's, in seconds. The audio lasts the
#: track's duration rounded to whole frames (at most half a 24 ms frame away); ffprobe
#: reads an MPEG-TS duration from the first and last PES timestamps, which leaves out
#: up to one PES of 8 AAC frames (171 ms). 0.25 s covers both with room, and is far
#: below one segment (2 s or 10 s), so a lost or doubled segment always fails.
DURATION_TOLERANCE = 0.25


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install ffmpeg)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's view of a file: ``format`` (name, duration) and its ``streams``."""
    out = subprocess.run(
        [
            _binary("ffprobe"),
            "-v",
            "error",
            "-show_entries",
            "format=format_name,duration:stream=codec_name,sample_rate,channels",
            "-of",
            "json",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def decode_errors(path: Path) -> str:
    """What ffmpeg complains about while decoding the whole file (``""``: nothing)."""
    out = subprocess.run(
        [_binary("ffmpeg"), "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stderr.strip() + ("" if out.returncode == 0 else f" (exit {out.returncode})")
