"""Run every benchmark, short by default (a few seconds each); ``--full`` for RESULTS.md runs.

    .venv/bin/python benchmarks/run_all.py            # ~3 min, what ``nox -s bench`` runs
    .venv/bin/python benchmarks/run_all.py --full     # the lengths recorded in RESULTS.md
    .venv/bin/python benchmarks/run_all.py crawl calls --full --loop uvloop

Each benchmark runs in its own interpreter (a fresh heap, its own server process) and
prints its own table with ratios against the baselines of the same run; the wire
benchmarks (crawl, calls, memory) run once on asyncio's loop and once on uvloop when
uvloop is installed (both sides on the same loop). At the end, one table: every row of
the targets (issue 12) with its figure, its target and whether it was met. The exit
status is 0 when every benchmark ran; a missed target is printed, not fatal, unless
``--strict`` (timings on a shared CI machine are too noisy to gate a build on).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import SUMMARY_PREFIX, machine

HERE = Path(__file__).resolve().parent
#: The exit status of a benchmark that ran but missed a target.
MISSED = 3

#: name -> (script, short arguments, full-length arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "converter": ("bench_converter.py", ["--pages", "5", "--repeat", "3"], ["--pages", "20"]),
    "ratelimit": ("bench_ratelimit.py", ["--seconds", "3"], ["--seconds", "20"]),
    "crawl": (
        "bench_crawl.py",
        ["--server", "endless", "--pages", "20", "--rounds", "2"],
        ["--server", "endless", "--pages", "100"],
    ),
    "calls": (
        "bench_calls.py",
        ["--calls", "400", "--rounds", "3", "--concurrency", "1"],
        ["--calls", "2000", "--rounds", "5"],
    ),
    "memory": (
        "bench_memory.py",
        ["--items", "10000", "50000"],
        ["--items", "100000", "1000000"],
    ),
    "crawl-store": (
        "bench_crawl_store.py",
        ["--visited", "100000", "--objects", "30000", "--workers", "1", "2"],
        ["--full"],
    ),
    "polite": (
        "bench_polite.py",
        ["--rate", "50", "--requests", "200"],
        ["--rate", "50", "--requests", "3000"],
    ),
    "hls": ("bench_hls.py", ["--rounds", "2"], ["--rounds", "5"]),
}


#: Benchmarks that run a client over the wire, once per event loop.
ON_EACH_LOOP = ("crawl", "calls", "memory")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(BENCHMARKS)}; default: all")
    parser.add_argument("--full", action="store_true", help="full-length runs")
    parser.add_argument("--strict", action="store_true", help="fail on a missed target")
    parser.add_argument(
        "--loop",
        choices=("both", "asyncio", "uvloop"),
        default="both",
        help="client loop of crawl, calls and memory (both: uvloop too, when installed)",
    )
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    loops = {"both": ["asyncio", "uvloop"], "asyncio": ["asyncio"], "uvloop": ["uvloop"]}[args.loop]
    if not has_uvloop:
        if args.loop == "uvloop":
            parser.error("uvloop is not installed (pip install 'soundcloud-async[speed]')")
        loops = ["asyncio"]
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    failed_to_run: list[str] = []
    missed: list[str] = []
    rows: list[dict[str, object]] = []
    for name in names:
        script, short, full = BENCHMARKS[name]
        for loop in loops if name in ON_EACH_LOOP else ["asyncio"]:
            cmd = [sys.executable, str(HERE / script), *(full if args.full else short)]
            if name in ON_EACH_LOOP:
                cmd += ["--loop", loop]
            label = f"{name} ({loop})" if name in ON_EACH_LOOP else name
            print(f"\n=== {label}: {' '.join(cmd[1:])}", flush=True)
            start = time.perf_counter()
            rc = _run(cmd, rows)
            print(f"=== {label}: exit {rc}, {time.perf_counter() - start:.1f} s", flush=True)
            # Our scripts exit 3 on a missed target; bench_ratelimit exits 1 on a failed check.
            if rc == MISSED or (rc == 1 and name == "ratelimit"):
                missed.append(label)
            elif rc != 0:
                failed_to_run.append(label)
    _print_table(rows, load)
    print(f"\nmissed a target: {', '.join(missed) or 'none'}")
    if failed_to_run:
        print(f"did not run: {', '.join(failed_to_run)}")
        return 2
    return 1 if args.strict and missed else 0


def _run(cmd: list[str], rows: list[dict[str, object]]) -> int:
    """Run one benchmark, echoing its output and collecting its summary rows."""
    proc = subprocess.Popen(
        cmd, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(SUMMARY_PREFIX):
            rows.append(json.loads(line[len(SUMMARY_PREFIX) :]))
        else:
            print(line, end="", flush=True)
    return proc.wait()


def _print_table(rows: list[dict[str, object]], load: tuple[float, float, float] | None) -> None:
    shown_load = "n/a" if load is None else ", ".join(f"{x:.2f}" for x in load)
    print(f"\n=== summary: {machine()}; load average at start {shown_load}")
    print("| what | figure (ratios within this run) | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        ok = row["ok"]
        met = "-" if ok is None else ("yes" if ok else "**no**")
        print(f"| {row['row']} | {row['figure']} | {row['target']} | {met} |")


if __name__ == "__main__":
    sys.exit(main())
