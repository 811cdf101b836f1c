"""docs/OPERATIONS.md lists every operation the client implements, and is current."""

from __future__ import annotations

from pathlib import Path

from soundcloud_async._resources._registry import load_all, render_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "OPERATIONS.md"


class TestOperationsDoc:
    """The generated table matches the registry."""

    def test_doc_is_current(self) -> None:
        """The committed table equals a fresh rendering (run scripts/update-operations-table)."""
        assert render_markdown() == DOC.read_text(encoding="utf-8")

    def test_every_operation_has_a_reachable_method(self) -> None:
        """Each row names a client attribute, not a bare class name."""
        from soundcloud_async._resources._registry import call_name

        names = [call_name(op) for op in load_all()]
        assert [] == [name for name in names if not name.startswith("sc")]
