"""Run every benchmark, short by default (a few seconds each); ``--full`` for RESULTS.md runs.

    .venv/bin/python benchmarks/run_all.py            # ~1.5 min, what ``nox -s bench`` runs
    .venv/bin/python benchmarks/run_all.py --full     # the lengths recorded in RESULTS.md
    .venv/bin/python benchmarks/run_all.py crawl calls --full

Each benchmark runs in its own interpreter (a fresh heap, its own server process) and
prints its own table with ratios against the baselines of the same run. The exit
status is 0 when every benchmark ran; a missed target is printed, not fatal, unless
``--strict`` (timings on a shared CI machine are too noisy to gate a build on).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The exit status of a benchmark that ran but missed a target.
MISSED = 3

#: name -> (script, short arguments, full-length arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "converter": ("bench_converter.py", ["--pages", "5", "--repeat", "3"], ["--pages", "20"]),
    "ratelimit": ("bench_ratelimit.py", ["--seconds", "3"], ["--seconds", "20"]),
    "crawl": ("bench_crawl.py", ["--pages", "20", "--rounds", "2"], ["--pages", "100"]),
    "calls": ("bench_calls.py", ["--calls", "300", "--rounds", "2"], ["--calls", "2000"]),
    "memory": (
        "bench_memory.py",
        ["--items", "10000", "50000"],
        ["--items", "100000", "1000000"],
    ),
    "polite": (
        "bench_polite.py",
        ["--rate", "50", "--requests", "200"],
        ["--rate", "50", "--requests", "3000"],
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(BENCHMARKS)}; default: all")
    parser.add_argument("--full", action="store_true", help="full-length runs")
    parser.add_argument("--strict", action="store_true", help="fail on a missed target")
    parser.add_argument("--uvloop", action="store_true", help="client on uvloop (crawl, calls)")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    failed_to_run: list[str] = []
    missed: list[str] = []
    for name in names:
        script, short, full = BENCHMARKS[name]
        cmd = [sys.executable, str(HERE / script), *(full if args.full else short)]
        if args.uvloop and name in ("crawl", "calls", "memory"):
            cmd += ["--loop", "uvloop"]
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        start = time.perf_counter()
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"=== {name}: exit {rc}, {time.perf_counter() - start:.1f} s", flush=True)
        # Our scripts exit 3 on a missed target; bench_ratelimit exits 1 on a failed check.
        if rc == MISSED or (rc == 1 and name == "ratelimit"):
            missed.append(name)
        elif rc != 0:
            failed_to_run.append(name)
    print(f"\nmissed a target: {', '.join(missed) or 'none'}")
    if failed_to_run:
        print(f"did not run: {', '.join(failed_to_run)}")
        return 2
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
