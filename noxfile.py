"""Developer tasks: ``nox -s tests``, ``lint``, ``typing``, ``docs``, ``soak``, ``bench``,
``demo``."""

from __future__ import annotations

import glob
import os

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

# pyenv installs every version but exposes only its global one: put the others on PATH
# so nox finds python3.10 ... python3.13.
for _bin in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[0-3].*/bin"))):
    if _bin not in os.environ.get("PATH", ""):
        os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

nox.options.sessions = ["tests", "lint", "typing"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite on every supported Python."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff (check + format --check)."""
    session.install("ruff>=0.5")
    session.run(
        "ruff", "check", "soundcloud_async", "tests", "benchmarks", "examples", "noxfile.py"
    )
    session.run(
        "ruff",
        "format",
        "--check",
        "soundcloud_async",
        "tests",
        "benchmarks",
        "examples",
        "noxfile.py",
    )


@nox.session
def typing(session: nox.Session) -> None:
    """Type-check the package and tests/typing with mypy --strict."""
    session.install("-e", ".[test]", "mypy>=1.10")
    session.run("mypy")


@nox.session
def soak(session: nox.Session) -> None:
    """Long runs: the `fuzz` property tests and the `chaos` crawls, at length.

    The soak profile (tests/conftest.py) runs 2,500 examples per property test, about a
    hundred times the default run; ``SOUNDCLOUD_ASYNC_SOAK=1`` makes each chaos crawl the
    large world two hops deep (70k objects) under ~10% mixed faults, six fault seeds on
    SQLite and one on PostgreSQL (about half an hour on 2 cores). Pass pytest options
    after ``--`` (``-- -m chaos`` for the crawls alone).
    """
    session.install("-e", ".[test]")
    session.run(
        "pytest", "-m", "fuzz or chaos", "--hypothesis-profile=soak", "-p", "no:cacheprovider",
        *session.posargs, env={"SOUNDCLOUD_ASYNC_SOAK": "1"},
    )  # fmt: skip


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ with --strict: a broken reference fails.

    Pass ``-- serve`` to preview it at http://127.0.0.1:8000 instead.
    """
    session.install("-e", ".[docs]")
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # Material's banner about MkDocs 2.0
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (short, ~2 min); each prints ratios against baselines from the same run.

    Pass ``-- --full`` for the full-length runs recorded in benchmarks/RESULTS.md.
    """
    session.install("-e", ".[test,bench,speed]")
    session.run("python", "benchmarks/run_all.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Install the package and crawl a local fake SoundCloud with live progress."""
    session.install("-e", ".")
    session.run("soundcloud-async", "demo", *session.posargs)
