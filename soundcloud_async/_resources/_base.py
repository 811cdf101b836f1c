"""What every resource group shares: access to the transport and the converter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from soundcloud_async._converters import structure, structure_many
from soundcloud_async._errors import DecodeError
from soundcloud_async._fastpath import REJECT, object_decoder, page_decoder
from soundcloud_async._pagination import Checkpoint, Paginator

if TYPE_CHECKING:
    from soundcloud_async._client import SoundCloud
    from soundcloud_async._http import Response

__all__ = ["Resource", "structure_object"]

T = TypeVar("T")


def structure_object(data: Any, model: type[T], *, url: str, status: int, method: str = "GET") -> T:
    """Structure one JSON object into ``model``; anything that does not fit is a DecodeError."""
    if not isinstance(data, dict):
        raise DecodeError(
            f"expected a JSON object for {model.__name__}, got {type(data).__name__}",
            method=method,
            url=url,
            status=status,
        )
    try:
        return structure(data, model)
    except (TypeError, ValueError) as exc:
        raise DecodeError(
            f"the response does not fit {model.__name__}: {exc}",
            method=method,
            url=url,
            status=status,
        ) from exc


class Resource:
    """Base of ``sc.tracks``, ``sc.users``, ...: holds the client, not the transport,
    so a closed client raises :class:`~soundcloud_async.ClientStateError` on use."""

    __slots__ = ("_client",)

    def __init__(self, client: SoundCloud) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Response:
        return await self._client._transport.request(method, path, params=params, **kwargs)

    async def _get_model(
        self, path: str, model: type[T], *, params: Mapping[str, Any] | None = None
    ) -> T:
        return await self._call("GET", path, model, params=params)

    async def _call(
        self,
        method: str,
        path: str,
        model: type[T],
        *,
        params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> T:
        """Send a request and structure its JSON object answer into ``model``."""
        response = await self._client._transport.request(
            method, path, params=params, fast=object_decoder(model), **kwargs
        )
        if response.value is not REJECT:
            result: T = response.value
            return result
        return self._structure(response, model, method)

    @staticmethod
    def _structure(response: Response, model: type[T], method: str = "GET") -> T:
        return structure_object(
            response.data, model, url=response.url, status=response.status, method=method
        )

    def _paginate(
        self,
        path: str,
        model: type[T],
        *,
        params: Mapping[str, Any] | None = None,
        limit: int,
        max_items: int | None,
        resume_from: Checkpoint | str | None,
        structure_page: Callable[[list[Any]], list[T]] | None = None,
    ) -> Paginator[T]:
        client = self._client

        def structure_items(items: list[Any]) -> list[T]:
            return structure_many(items, model)

        return Paginator(
            lambda: client._transport,
            path,
            structure_page or structure_items,
            fast=None if structure_page is not None else page_decoder(model),
            params=params,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
            max_empty_pages=client.max_empty_pages,
            foreign_next_href=client.foreign_next_href,
        )
