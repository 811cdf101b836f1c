"""The table of API operations the client implements.

Every endpoint method is declared with :func:`operation`, naming its HTTP method
and the spec's path. The table lets a test compare the client against the official
spec (every operation covered), and marks deprecated operations, which emit a
``DeprecationWarning`` naming their replacement each time they are called.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["OPERATIONS", "Operation", "operation"]

F = TypeVar("F", bound=Callable[..., Any])


@attrs.frozen
class Operation:
    """One API operation and the method that implements it."""

    method: str
    path: str
    qualname: str
    api: str = "official"
    deprecated: str | None = None


#: Every declared operation, in declaration order.
OPERATIONS: list[Operation] = []


def operation(
    method: str, path: str, *, api: str = "official", deprecated: str | None = None
) -> Callable[[F], F]:
    """Declare that the decorated method implements ``method path``.

    Args:
        method: the HTTP method, e.g. ``"GET"``.
        path: the path as the spec writes it, e.g. ``"/tracks/{track_urn}"``.
        api: ``"official"`` for the OpenAPI spec, ``"legacy"`` for the seed documents.
        deprecated: the replacement to name in a ``DeprecationWarning``; ``None`` if
            the operation is current.
    """

    def decorate(func: F) -> F:
        OPERATIONS.append(Operation(method.upper(), path, func.__qualname__, api, deprecated))
        if deprecated is None:
            return func
        message = f"{method.upper()} {path} is deprecated by SoundCloud; {deprecated}"
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                warnings.warn(message, DeprecationWarning, stacklevel=2)
                return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
