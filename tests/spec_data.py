"""Where the tests find SoundCloud's OpenAPI description and the legacy seed documents.

Both ship inside the repository under ``tests/data`` (see ``tests/data/README.md`` for
their origin), so a bare clone runs every test: nothing here is optional or skipped.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"
#: SoundCloud's OpenAPI 3 description (``soundcloud/api``, ``openapi/api.yaml``).
SPEC_PATH = DATA / "openapi" / "api.yaml"
#: The legacy seed documents: ``000``/``001`` (Swagger 2.0) and ``002`` (Postman).
SEEDS_DIR = DATA / "seeds"


@cache
def load_spec() -> dict[str, Any]:
    """The parsed OpenAPI document (parsed once per test process)."""
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def seed_paths() -> list[Path]:
    """The three legacy seed documents, in name order."""
    return sorted(SEEDS_DIR.glob("00[012]_*.txt"))
