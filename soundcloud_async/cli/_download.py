"""``soundcloud-async download``: save a track's audio as a playable file, resumably.

The best format the track offers is fetched (HLS AAC 160, then MP3 128), or the one
``--format`` names. The file is written to ``OUT.part`` and renamed when complete; an
interrupted download (Ctrl-C, a crash, a lost connection) picks up at its last
complete segment when the same command runs again. Progress goes to stderr: a bar
redrawn in place on a terminal, a line every few seconds elsewhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO, cast, get_args

from soundcloud_async._download import DownloadProgress, DownloadResult
from soundcloud_async._errors import PreviewOnly
from soundcloud_async._hls import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from soundcloud_async._resources.tracks import StreamFormat
from soundcloud_async._urn import URN, to_urn
from soundcloud_async.cli._common import (
    EXIT_OK,
    Common,
    Failure,
    Subparsers,
    UsageError,
    client,
)

__all__ = ["Bar", "add_parser", "run"]

#: ``--format`` values: the ``Streams`` fields without ``_url``.
FORMATS = tuple(sorted(name.removesuffix("_url") for name in get_args(StreamFormat)))
#: The file extension expected of each format (the container decides in the end).
_GUESS = {
    "hls_aac_160": "m4a",
    "hls_aac_96": "m4a",
    "hls_mp3_128": "mp3",
    "hls_opus_64": "ogg",
    "http_mp3_128": "mp3",
    "preview_mp3_128": "mp3",
}


def _concurrency(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(
            f"expected a number of segments from 1 to {MAX_CONCURRENCY}, not {text!r}"
        )
    return value


def add_parser(subparsers: Subparsers, common: Common) -> argparse.ArgumentParser:
    """Add ``download``."""
    download = subparsers.add_parser(
        "download",
        parents=[common.connection],
        help="save a track's audio as a playable file (HLS, resumable)",
        description="Download a track's audio: a URN (soundcloud:tracks:123), a numeric "
        "id, an api.soundcloud.com URL, or a soundcloud.com URL (resolved first). An "
        "interrupted download continues where it stopped when run again.",
    )
    download.add_argument("target", metavar="URN|URL")
    download.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="the stream format (default: the best full-length HLS format offered; "
        "http_mp3_128 is deprecated; preview_mp3_128 is the 30-second preview)",
    )
    download.add_argument(
        "--out",
        default=None,
        help="the file to write (default: TRACK_ID.EXT in the current directory, the "
        "extension from the audio's container)",
    )
    download.add_argument(
        "--force", action="store_true", help="overwrite --out if it exists already"
    )
    download.add_argument(
        "--no-resume",
        action="store_true",
        help="start over instead of continuing a partial download of the same file",
    )
    download.add_argument(
        "--concurrency",
        type=_concurrency,
        default=DEFAULT_CONCURRENCY,
        help="segments fetched at once (default: %(default)s)",
    )
    download.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return download


def _track_urn(text: str) -> URN | None:
    """The track URN of a URN, id or API URL; ``None`` for a soundcloud.com URL."""
    target = text.strip()
    if "soundcloud.com" in target and "api.soundcloud.com" not in target:
        return None
    if target.startswith("soundcloud:") and not target.startswith("soundcloud:tracks:"):
        raise UsageError(f"download takes a track URN (soundcloud:tracks:ID), not {target!r}")
    return to_urn(target, "tracks")


async def run(args: argparse.Namespace) -> int:
    """Download the track and report where it went."""
    urn: URN | None = _track_urn(args.target)
    format = f"{args.format}_url" if args.format else None
    out = args.out
    guessed = out is None
    if out is not None:
        _check_out(out, args.force)
    async with client(args) as sc:
        if urn is None:
            from soundcloud_async.models import Track

            found = await sc.resolve(args.target.strip())
            if not isinstance(found, Track) or found.urn is None:
                raise UsageError(f"{args.target!r} is not a track (it is a {type(found).__name__})")
            urn = to_urn(found.urn, "tracks")
        if out is None:
            assert urn is not None
            out = f"{urn.id}.{_GUESS.get(args.format or 'hls_aac_160', 'audio')}"
            _check_out(out, args.force)
        assert urn is not None
        bar = None if args.quiet else Bar(sys.stderr)
        try:
            result = await sc.tracks.download(
                urn,
                out,
                format=cast("StreamFormat | None", format),
                resume=not args.no_resume,
                concurrency=args.concurrency,
                progress=bar.update if bar is not None else None,
            )
        except PreviewOnly as exc:
            raise Failure(
                f"{urn} can only be previewed ({exc.message.split(';')[0]}); "
                "pass --format preview_mp3_128 to download the 30-second preview"
            ) from exc
        finally:
            if bar is not None:
                bar.done()
    if guessed and not out.endswith("." + result.extension):
        # The container decides the extension (an AAC format served as MPEG-TS is .ts).
        final = f"{os.path.splitext(out)[0]}.{result.extension}"
        os.replace(out, final)
        out = final
    print(_summary(out, result), file=sys.stderr if args.quiet else sys.stdout)
    return EXIT_OK


def _check_out(out: str, force: bool) -> None:
    if os.path.isdir(out):
        raise UsageError(f"--out {out!r} is a directory: name the file to write")
    directory = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(directory):
        raise UsageError(f"--out {out!r}: no directory {directory!r}")
    if os.path.exists(out) and not force:
        raise UsageError(f"{out!r} exists already: pass --force to overwrite it")


def _summary(out: str, result: DownloadResult) -> str:
    parts = [result.format or "stream", result.container, _size(result.size)]
    if result.segments:
        parts.append(f"{result.segments} segments")
    if result.resumed_from:
        parts.append(f"resumed at segment {result.resumed_from}")
    return f"saved {out} ({', '.join(parts)})"


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


class Bar:
    """Download progress on ``stream``: redrawn in place on a terminal, else a line now and then.

    Args:
        stream: where to draw (stderr).
        width: the bar's width in characters.
        line_interval: seconds between plain lines when ``stream`` is not a terminal.
        clock: monotonic seconds (injected in tests).
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        width: int = 30,
        line_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.width = width
        self.line_interval = line_interval
        self._clock = clock
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._start = self._clock()
        self._last_draw = float("-inf")
        self._last: DownloadProgress | None = None
        self._started_bytes: int | None = None

    def render(self, p: DownloadProgress) -> str:
        """One line for ``p``: bar, segments, bytes, speed."""
        fraction = p.fraction
        if fraction is None:
            bar = ""
        else:
            filled = round(fraction * self.width)
            bar = "[" + "#" * filled + "." * (self.width - filled) + f"] {fraction:4.0%} "
        if self._started_bytes is None:
            self._started_bytes = p.bytes_done
        elapsed = max(self._clock() - self._start, 1e-9)
        speed = (p.bytes_done - self._started_bytes) / elapsed
        counts = (
            f"{p.segments_done}/{p.segments_total} segments, "
            if p.segments_total is not None
            else ""
        )
        resumed = f", resumed at {p.resumed_from}" if p.resumed_from else ""
        return f"{bar}{counts}{_size(p.bytes_done)}, {_size(speed)}/s{resumed}"

    def update(self, p: DownloadProgress) -> None:
        """The download's progress callback."""
        self._last = p
        now = self._clock()
        interval = 0.1 if self.tty else self.line_interval
        if now - self._last_draw < interval and p.fraction != 1.0:
            return
        self._last_draw = now
        self._draw(self.render(p))

    def done(self) -> None:
        """End the bar's line (a terminal's last redraw stays on screen)."""
        if self._last is not None and self.tty:
            self._draw(self.render(self._last))
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
