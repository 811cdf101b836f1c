"""The documentation ships with the code: every file it names exists, the reference
covers the public surface, and the drawings that appear twice agree."""

from __future__ import annotations

import re
from pathlib import Path

import soundcloud_async
import soundcloud_async.crawl
import soundcloud_async.testing
from tests.test_errors import _tree, errors_module

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Where a user of a clone reads: the package, its tests, the metadata, the Markdown.
SHIPPED = [
    *sorted((ROOT / "soundcloud_async").rglob("*.py")),
    *sorted((ROOT / "tests").rglob("*.py")),
    *sorted((ROOT / "benchmarks").rglob("*.md")),
    *sorted(DOCS.rglob("*.md")),
    ROOT / "README.md",
    ROOT / "CHANGELOG.md",
    ROOT / "pyproject.toml",
    ROOT / "mkdocs.yml",
]


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


class TestNamedFilesExist:
    """A clone has every file its code and documents point at."""

    def test_docs_paths_exist(self) -> None:
        """Each ``docs/….md`` path named anywhere is a file of the repository."""
        named = {
            match for path in SHIPPED for match in re.findall(r"docs/[\w./-]+\.md", _text(path))
        }
        assert named  # the code does point at its background pages
        assert [] == sorted(name for name in named if not (ROOT / name).is_file())

    def test_no_outside_documents(self) -> None:
        """Nothing points at the design notes that lived outside the repository."""
        gone = ("FACTS" + ".md", "STYLE" + ".md", "PERFORMANCE" + ".md", "../" + "shared")
        found = [
            f"{path.relative_to(ROOT)}: {word}"
            for path in SHIPPED
            for word in gone
            if word in _text(path)
        ]
        assert [] == found


class TestReference:
    """The API reference documents the whole public surface."""

    def test_every_public_name_has_an_entry(self) -> None:
        """Each name of ``soundcloud_async.__all__`` has a ``:::`` entry of its own."""
        pages = "".join(_text(page) for page in sorted((DOCS / "reference").glob("*.md")))
        entries = set(re.findall(r"^::: soundcloud_async\.(\w+)$", pages, flags=re.M))
        expected = set(soundcloud_async.__all__) - {"__version__"}
        assert [] == sorted(expected - entries)

    def test_crawl_and_testing_are_documented_whole(self) -> None:
        """``soundcloud_async.crawl`` and ``.testing`` are rendered as modules, all of
        their ``__all__`` with them."""
        assert soundcloud_async.crawl.__all__
        assert soundcloud_async.testing.__all__
        for name in ("crawl", "testing"):
            assert f"::: soundcloud_async.{name}\n" in _text(DOCS / "reference" / f"{name}.md")


class TestDrawings:
    """Text shown in several places is the same text."""

    def test_errors_page_shows_the_docstring_tree(self) -> None:
        """The guide's exception tree is the one drawn in ``_errors``'s docstring."""
        assert _tree(errors_module.__doc__ or "") == _tree(_text(DOCS / "guide" / "errors.md"))

    def test_readme_points_at_the_docs(self) -> None:
        """The README says where the documentation is and how to build it."""
        readme = _text(ROOT / "README.md")
        assert "nox -s docs" in readme
        assert "(docs/index.md)" in readme
