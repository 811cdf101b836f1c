"""Types of the optional C extension built from ``_speedups.c`` (see its comment)."""

from collections.abc import Callable
from typing import Any, Final

COPY: Final[int]
DATE: Final[int]
ENUM: Final[int]
MODEL: Final[int]
MODEL_LIST: Final[int]

class Copier:
    def __init__(
        self, src_type: type, dst_type: type, fields: tuple[tuple[Any, Any, int, Any], ...]
    ) -> None: ...
    def __call__(self, mirror: Any, /) -> Any: ...
    def copy(self, mirror: Any, /) -> Any: ...
    def copy_list(self, mirrors: list[Any], /) -> list[Any]: ...

def parse_date(value: Any, fallback: Callable[[Any], Any], /) -> Any: ...
