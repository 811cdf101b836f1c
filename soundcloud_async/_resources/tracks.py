"""``sc.tracks``: tracks and what hangs off them, uploads and media included."""

from __future__ import annotations

import contextlib
import enum
import math
import warnings
from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any, Literal, TypeAlias

import attrs

from soundcloud_async import _download, _hls, _media
from soundcloud_async._download import DownloadProgressCallback, DownloadResult
from soundcloud_async._errors import DecodeError, InvalidArgument
from soundcloud_async._media import Destination, Progress, UploadFile, UploadSource
from soundcloud_async._pagination import DEFAULT_LIMIT, Checkpoint, Paginator
from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._params import (
    AccessFilter,
    DateRange,
    IntRange,
    access_param,
    merge,
    range_params,
    urns_param,
)
from soundcloud_async._resources._registry import operation
from soundcloud_async._urn import URNLike, to_urn
from soundcloud_async.models import (
    Comment,
    CommentCreate,
    EmbeddableBy,
    License,
    Sharing,
    Storefront,
    StorefrontType,
    StorefrontUpdate,
    Streams,
    Track,
    TrackMetadata,
    User,
)

__all__ = ["StreamFormat", "Tracks", "check_choices", "metadata_from"]

#: A field of :class:`Streams` to download: the URL it holds is fetched.
StreamFormat: TypeAlias = Literal[
    "http_mp3_128_url",
    "hls_aac_160_url",
    "hls_aac_96_url",
    "hls_mp3_128_url",
    "hls_opus_64_url",
    "preview_mp3_128_url",
]
_STREAM_FIELDS = frozenset(StreamFormat.__args__)  # type: ignore[attr-defined]

_TRACK_CHOICES: dict[str, type[enum.Enum]] = {
    "sharing": Sharing,
    "embeddable_by": EmbeddableBy,
    "license": License,
}
#: Longest comment body the API takes (longer ones are refused with 422).
MAX_COMMENT_LENGTH = 2000


def check_choices(body: Any, choices: Mapping[str, type[enum.Enum]]) -> None:
    """Reject enum-valued fields of a write model that are not among the API's values."""
    for name, enum_type in choices.items():
        value = getattr(body, name, None)
        if value is None or isinstance(value, enum_type) or not isinstance(value, str):
            continue
        allowed = sorted(str(m.value) for m in enum_type)
        if value not in allowed:
            raise InvalidArgument(f"{name} must be one of {allowed}, not {value!r:.40}")


def metadata_from(value: object, model: type[Any], what: str) -> Any:
    """A write model from itself or from a mapping of its field names."""
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        try:
            return model(**value)
        except TypeError as exc:
            raise InvalidArgument(f"invalid {what} fields: {exc}") from exc
    raise InvalidArgument(
        f"{what} must be a {model.__name__} or a mapping of its fields, not {type(value).__name__}"
    )


def _csv(value: str | Iterable[str] | None, name: str) -> str | None:
    """A comma-separated list parameter (``genres``, ``tags``) from a string or strings."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    parts: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidArgument(f"{name} must be strings, not {item!r:.40}")
        parts.extend(p.strip() for p in item.split(",") if p.strip())
    if not parts:
        raise InvalidArgument(f"{name} must name at least one value")
    return ",".join(parts)


def _text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a string, not {value!r:.40}")
    return value


class Tracks(Resource):
    """Operations on tracks (``/tracks``), uploads and audio downloads."""

    __slots__ = ()

    # -- search and read ------------------------------------------------------------

    @operation("GET", "/tracks")
    def iter_search(
        self,
        *,
        q: str | None = None,
        urns: Iterable[URNLike] | None = None,
        genres: str | Iterable[str] | None = None,
        tags: str | Iterable[str] | None = None,
        bpm: IntRange | None = None,
        duration: IntRange | None = None,
        created_at: DateRange | None = None,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /tracks``: search tracks by text and filters.

        Args:
            q: words to search for.
            urns: only these tracks (at most 200 URNs, ids or API URLs).
            genres: genres, as a comma-separated string or a list.
            tags: tags, as a comma-separated string or a list.
            bpm: a :class:`Range` or ``(low, high)`` of beats per minute.
            duration: a :class:`Range` or ``(low, high)`` of milliseconds.
            created_at: a :class:`Range` or ``(low, high)`` of datetimes (sent in UTC).
            access: which tracks to include by access (``Access`` values or strings).
            limit: items per page (1..200).
            max_items: stop after this many tracks.
            resume_from: a checkpoint of an earlier paginator over the same search.

        Raises:
            InvalidArgument: a filter is malformed (nothing is sent).
        """
        params = merge(
            {
                "q": _text(q, "q"),
                "urns": urns_param(urns, "tracks"),
                "genres": _csv(genres, "genres"),
                "tags": _csv(tags, "tags"),
                "access": access_param(access),
            },
            range_params("bpm", bpm),
            range_params("duration", duration),
            range_params("created_at", created_at),
        )
        return self._paginate(
            "/tracks",
            Track,
            params=params,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/tracks/{track_urn}")
    async def get(self, track: URNLike, *, secret_token: str | None = None) -> Track:
        """``GET /tracks/{track_urn}``: one track.

        Args:
            track: a track URN, numeric id or API URL.
            secret_token: the secret token of a private track shared by link.

        Raises:
            InvalidURN: ``track`` is not a track URN.
            NotFound: no such track, or not visible to this token.
        """
        urn = to_urn(track, "tracks")
        if secret_token is None:  # the common call: no query to build
            return await self._call("GET", f"/tracks/{urn}", Track)
        params = {"secret_token": _text(secret_token, "secret_token")}
        return await self._call("GET", f"/tracks/{urn}", Track, params=params)

    @operation("GET", "/tracks/{track_urn}/comments")
    def iter_comments(
        self,
        track: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Comment]:
        """``GET /tracks/{track_urn}/comments``: the track's comments, newest first.

        Args:
            track: a track URN, numeric id or API URL.
            limit: items per page (1..200).
            max_items: stop after this many comments.
            resume_from: a checkpoint of an earlier paginator over the same collection.
        """
        urn = to_urn(track, "tracks")
        return self._paginate(
            f"/tracks/{urn}/comments",
            Comment,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/tracks/{track_urn}/favoriters")
    def iter_favoriters(
        self,
        track: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /tracks/{track_urn}/favoriters``: the users who liked the track."""
        urn = to_urn(track, "tracks")
        return self._paginate(
            f"/tracks/{urn}/favoriters",
            User,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/tracks/{track_urn}/reposters")
    def iter_reposters(
        self,
        track: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /tracks/{track_urn}/reposters``: the users who reposted the track."""
        urn = to_urn(track, "tracks")
        return self._paginate(
            f"/tracks/{urn}/reposters",
            User,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/tracks/{track_urn}/related")
    def iter_related(
        self,
        track: URNLike,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /tracks/{track_urn}/related``: tracks SoundCloud finds related to this one.

        Args:
            access: which tracks to include by access (``Access`` values or strings).
        """
        urn = to_urn(track, "tracks")
        return self._paginate(
            f"/tracks/{urn}/related",
            Track,
            params={"access": access_param(access)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    # -- writes ---------------------------------------------------------------------

    @operation("PUT", "/tracks/{track_urn}")
    async def update(
        self,
        track: URNLike,
        metadata: TrackMetadata | Mapping[str, Any] | None = None,
        *,
        artwork: UploadSource | None = None,
        artwork_filename: str | None = None,
        progress: Progress | None = None,
    ) -> Track:
        """``PUT /tracks/{track_urn}``: change a track's metadata, and optionally its artwork.

        The metadata goes as JSON (``{"track": {...}}``); with ``artwork`` the request
        is ``multipart/form-data`` instead (``track[...]`` fields plus
        ``track[artwork_data]``), streamed from a path, bytes, a binary file or an
        async iterable (see :mod:`soundcloud_async._media` for retries).

        Args:
            track: a track URN, numeric id or API URL (the caller must own it).
            metadata: a :class:`TrackMetadata`, or a mapping of its field names
                (``{"title": "New"}``); only the fields set are sent.
            artwork: a new artwork image (gif, jpeg or png).
            artwork_filename: the file name sent for the artwork.
            progress: ``progress(bytes_sent, total)`` during an artwork upload.

        Raises:
            InvalidArgument: nothing to change, or a field out of its value set.
        """
        urn = to_urn(track, "tracks")
        body = metadata_from(
            metadata if metadata is not None else TrackMetadata(), TrackMetadata, "metadata"
        )
        check_choices(body, _TRACK_CHOICES)
        if body.title is not None and isinstance(body.title, str) and not body.title.strip():
            raise InvalidArgument("title must not be blank")
        if artwork is None:
            if progress is not None:
                raise InvalidArgument("progress is only for an artwork upload")
            json_body = body.to_json()
            if not json_body["track"]:
                raise InvalidArgument("update() needs at least one field or an artwork")
            return await self._call("PUT", f"/tracks/{urn}", Track, json=json_body)
        picture = UploadFile(artwork, filename=artwork_filename)
        factory = _media.multipart_factory(
            body.to_form(), [("track[artwork_data]", picture)], progress
        )
        return await self._call(
            "PUT",
            f"/tracks/{urn}",
            Track,
            body_factory=factory,
            retry_429=picture.replayable,
            timeout=_media.upload_timeout(self._client._transport.timeout),
        )

    @operation("POST", "/tracks")
    async def upload(
        self,
        audio: UploadSource,
        metadata: TrackMetadata | Mapping[str, Any] | None = None,
        *,
        title: str | None = None,
        filename: str | None = None,
        artwork: UploadSource | None = None,
        artwork_filename: str | None = None,
        progress: Progress | None = None,
    ) -> Track:
        """``POST /tracks``: upload a new track (``multipart/form-data``, up to 500 MB).

        The audio is streamed chunk by chunk while the request is written, never read
        whole into memory. The request has no total timeout (the client's connect
        timeout still applies; the answer after the body is awaited for 5 minutes);
        wrap the call in ``asyncio.timeout()`` to bound it.

        Retries: a path, ``bytes`` or a seekable binary file is re-read from its start
        for a retried attempt. An async iterable or an unseekable file can be read only
        once: such an upload is retried only if no byte was sent (the connection could
        not be made); a 429 surfaces at once, and any later failure raises.

        Args:
            audio: the audio: a path, ``bytes``, a binary file object or an async
                iterable of ``bytes``.
            metadata: a :class:`TrackMetadata` or a mapping of its field names.
            title: the title (required here or in ``metadata``; this one wins).
            filename: the file name sent for the audio (default: the path's name).
            artwork: artwork image, from the same kinds of source as ``audio``.
            artwork_filename: the file name sent for the artwork.
            progress: ``progress(bytes_sent, total_or_None)`` after every chunk of the
                audio and artwork; ``total`` is ``None`` for an async iterable. A
                retried attempt counts from zero again.

        Raises:
            InvalidArgument: no title, an unreadable path, a text-mode file, or a
                field out of its value set (nothing is sent).
        """
        body = metadata_from(
            metadata if metadata is not None else TrackMetadata(), TrackMetadata, "metadata"
        )
        if title is not None:
            if not isinstance(title, str):
                raise InvalidArgument(f"title must be a string, not {title!r:.40}")
            body = attrs.evolve(body, title=title)
        if not isinstance(body.title, str) or not body.title.strip():
            raise InvalidArgument("an upload needs a non-blank title")
        check_choices(body, _TRACK_CHOICES)
        files = [("track[asset_data]", UploadFile(audio, filename=filename))]
        if artwork is not None:
            files.append(("track[artwork_data]", UploadFile(artwork, filename=artwork_filename)))
        factory = _media.multipart_factory(body.to_form(), files, progress)
        return await self._call(
            "POST",
            "/tracks",
            Track,
            body_factory=factory,
            retry_429=all(f.replayable for _, f in files),
            timeout=_media.upload_timeout(self._client._transport.timeout),
        )

    @operation("DELETE", "/tracks/{track_urn}")
    async def delete(self, track: URNLike) -> None:
        """``DELETE /tracks/{track_urn}``: delete a track the caller owns.

        Raises:
            NotFound: no such track (or already deleted).
        """
        urn = to_urn(track, "tracks")
        await self._request("DELETE", f"/tracks/{urn}")

    @operation("PUT", "/tracks/{track_urn}/storefront")
    async def set_storefront(
        self, track: URNLike, storefront: StorefrontUpdate | Mapping[str, Any]
    ) -> Storefront:
        """``PUT /tracks/{track_urn}/storefront``: create or replace the track's storefront.

        The request replaces the whole storefront: optional fields left out
        (``link_title``, ``description``, ``price``) are cleared.

        Raises:
            InvalidArgument: a required field is missing or too long, ``type`` is not a
                :class:`StorefrontType`, or ``link`` is not an http(s) URL.
            Forbidden: the caller does not own the track or lacks the subscription.
        """
        urn = to_urn(track, "tracks")
        body = metadata_from(storefront, StorefrontUpdate, "storefront")
        _check_storefront(body)
        return await self._call("PUT", f"/tracks/{urn}/storefront", Storefront, json=body.to_json())

    @operation("POST", "/tracks/{track_urn}/comments")
    async def comment(
        self,
        track: URNLike,
        body: str,
        *,
        timestamp_ms: int | float | None = None,
    ) -> Comment:
        """``POST /tracks/{track_urn}/comments``: comment on a track, at a position.

        A 429 carrying ``spam_warning_urn`` is an account spam block: it surfaces as
        :class:`RateLimited` at once and is never retried.

        Args:
            body: the comment's text (1..2000 characters).
            timestamp_ms: where in the track the comment sits, in milliseconds.

        Raises:
            InvalidArgument: an empty or too long body, a negative timestamp.
            RateLimited: a comment rate limit or a spam block (``spam_warning_urn``).
        """
        urn = to_urn(track, "tracks")
        if not isinstance(body, str) or not body.strip():
            raise InvalidArgument("a comment needs a non-blank body")
        if len(body) > MAX_COMMENT_LENGTH:
            raise InvalidArgument(f"a comment body is at most {MAX_COMMENT_LENGTH} characters")
        payload = CommentCreate(body=body)
        if timestamp_ms is not None:
            if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, (int, float)):
                raise InvalidArgument(f"timestamp_ms must be a number, not {timestamp_ms!r:.40}")
            if not (timestamp_ms >= 0 and math.isfinite(timestamp_ms)):
                raise InvalidArgument(
                    f"timestamp_ms must be a finite, non-negative number, not {timestamp_ms}"
                )
            payload.timestamp = int(timestamp_ms)
        return await self._call("POST", f"/tracks/{urn}/comments", Comment, json=payload.to_json())

    # -- media ----------------------------------------------------------------------

    @operation("GET", "/tracks/{track_urn}/streams")
    async def streams(self, track: URNLike, *, secret_token: str | None = None) -> Streams:
        """``GET /tracks/{track_urn}/streams``: the track's stream URLs.

        The URLs need the ``Authorization`` header on the API host: fetch them with
        :meth:`download` or :meth:`iter_audio`, which also keep it away from CDNs.
        """
        urn = to_urn(track, "tracks")
        params = {"secret_token": _text(secret_token, "secret_token")}
        return await self._get_model(f"/tracks/{urn}/streams", Streams, params=params)

    @operation("GET", "/tracks/{track_urn}/preview")
    async def preview_url(self, track: URNLike, *, secret_token: str | None = None) -> str:
        """``GET /tracks/{track_urn}/preview``: the URL of the track's preview audio.

        SoundCloud answers 302; the URL is read from the ``Location`` header, falling
        back to the body's ``location``.

        Raises:
            DecodeError: the answer names no location.
        """
        urn = to_urn(track, "tracks")
        params = {"secret_token": _text(secret_token, "secret_token")}
        response = await self._request("GET", f"/tracks/{urn}/preview", params=params)
        location = response.location
        if not location:
            raise DecodeError(
                "preview answered without a Location header or a location in the body",
                method="GET",
                url=response.url,
                status=response.status,
            )
        return location

    async def stream_url(
        self,
        track: URNLike | Streams,
        *,
        format: StreamFormat | None = None,
        secret_token: str | None = None,
    ) -> str:
        """The URL of one stream format of a track (``GET /tracks/{track_urn}/streams``).

        Args:
            track: a track URN, id or API URL, or :class:`Streams` already fetched.
            format: the :class:`Streams` field to use; default: the best full-length
                HLS format offered (``hls_aac_160_url``, then ``hls_mp3_128_url``).

        Raises:
            InvalidArgument: an unknown format, or one the track does not offer.
            PreviewOnly: no format asked, and the track offers only its preview.
        """
        _check_format(format)
        streams = (
            track
            if isinstance(track, Streams)
            else await self.streams(track, secret_token=secret_token)
        )
        return _hls.candidates(streams, format)[0][1]

    async def download(
        self,
        track: URNLike | Streams,
        dest: Destination,
        *,
        format: StreamFormat | None = None,
        secret_token: str | None = None,
        progress: DownloadProgressCallback | None = None,
        resume: bool = False,
        concurrency: int = _hls.DEFAULT_CONCURRENCY,
    ) -> DownloadResult:
        """Download a track's audio to a path or a binary file, as a playable file.

        Fetches ``GET /tracks/{track_urn}/streams`` (unless ``track`` is a
        :class:`Streams`), then the chosen format. HLS formats are fetched natively:
        the playlist (a master playlist is followed to its best variant), then the
        segments, ``concurrency`` at a time, joined in order (fMP4: the init segment,
        then the fragments). Links that expire mid-way are fetched again from the
        stream URL, and the download goes on from the same segment. ``Authorization``
        goes to the API host only, never to the CDN; segments take nothing from the API
        rate budget (see :mod:`soundcloud_async._hls`).

        A path is written to ``DEST.part`` and renamed when complete; with
        ``resume=True`` an interrupted download (an error, a cancellation, a killed
        process) continues from its last complete segment, and a failed one keeps its
        ``DEST.part`` and ``DEST.part.json`` for the next try.

        Args:
            format: a :class:`Streams` field. Default: the best full-length HLS format
                the track offers (``hls_aac_160_url``, ``hls_mp3_128_url``,
                ``hls_aac_96_url``); one that answers 403 is skipped for the next. The
                deprecated progressive ``http_mp3_128_url`` only when asked for (with a
                ``DeprecationWarning``); ``preview_mp3_128_url`` for the 30 s preview.
            progress: called with a :class:`DownloadProgress` (segments and bytes)
                after every segment (HLS) or chunk (progressive).
            resume: continue a partial download of the same track and format into the
                same path (HLS only; a progressive download starts over).
            concurrency: segments fetched at once (1..16), also the most held in
                memory.

        Returns:
            A :class:`DownloadResult`: size, format, container (``extension`` gives
            the usual file extension), segments, where it resumed.

        Raises:
            InvalidArgument: a bad argument (before any request), or the format is
                not offered.
            PreviewOnly: the track offers only its preview, or every full-length
                format answered 403 while the preview works.
            Forbidden: the format asked for was refused.
        """
        _check_format(format)
        _download.check_destination(dest, resume)
        _media.check_progress(progress)
        _hls.check_concurrency(concurrency)
        _warn_deprecated(format)
        streams, identity = await self._streams_for(track, secret_token)
        return await _download.download(
            self._client._transport,
            _hls.candidates(streams, format),
            dest,
            identity=identity,
            progress=progress,
            resume=resume,
            concurrency=concurrency,
            preview_url=streams.preview_mp3_128_url if format is None else None,
        )

    async def iter_audio(
        self,
        track: URNLike | Streams,
        *,
        format: StreamFormat | None = None,
        secret_token: str | None = None,
        chunk_size: int = _media.DOWNLOAD_CHUNK_SIZE,
        concurrency: int = _hls.DEFAULT_CONCURRENCY,
    ) -> AsyncGenerator[bytes, None]:
        """A track's audio as chunks of bytes, in order, as it arrives (see :meth:`download`).

        For a bot piping audio to a voice channel or ffmpeg: HLS segments are fetched
        ``concurrency`` ahead and at most that many are held in memory; the chunks
        joined are the file :meth:`download` writes. Close the iterator with
        ``contextlib.aclosing()`` to stop early: fetches in flight are cancelled and
        every connection is released.
        """
        _check_format(format)
        _media.check_chunk_size(chunk_size)
        _hls.check_concurrency(concurrency)
        _warn_deprecated(format)
        streams, _ = await self._streams_for(track, secret_token)
        chunks = _download.iter_audio(
            self._client._transport,
            _hls.candidates(streams, format),
            chunk_size=chunk_size,
            concurrency=concurrency,
            preview_url=streams.preview_mp3_128_url if format is None else None,
        )
        async with contextlib.aclosing(chunks):
            async for chunk in chunks:
                yield chunk

    async def download_url(
        self,
        url: str,
        dest: Destination,
        *,
        progress: DownloadProgressCallback | None = None,
        resume: bool = False,
        concurrency: int = _hls.DEFAULT_CONCURRENCY,
    ) -> DownloadResult:
        """Download any stream URL (a :class:`Streams` URL, a preview URL) to ``dest``.

        Same behaviour as :meth:`download`: an HLS playlist is fetched segment by
        segment, anything else copied as it comes; no ``Authorization`` beyond the
        API host; ``DEST.part`` renamed on success. Pass the API stream URL rather
        than a CDN URL it redirected to: only the former can be fetched again when the
        CDN's links expire.
        """
        _media.check_url(url)
        _download.check_destination(dest, resume)
        _media.check_progress(progress)
        _hls.check_concurrency(concurrency)
        return await _download.download(
            self._client._transport,
            [(None, url)],
            dest,
            identity=url,
            progress=progress,
            resume=resume,
            concurrency=concurrency,
        )

    def iter_url(
        self,
        url: str,
        *,
        chunk_size: int = _media.DOWNLOAD_CHUNK_SIZE,
        concurrency: int = _hls.DEFAULT_CONCURRENCY,
    ) -> AsyncGenerator[bytes, None]:
        """The audio behind any stream URL, chunk by chunk (see :meth:`iter_audio`)."""
        _media.check_url(url)
        _media.check_chunk_size(chunk_size)
        _hls.check_concurrency(concurrency)
        return _download.iter_audio(
            self._client._transport, [(None, url)], chunk_size=chunk_size, concurrency=concurrency
        )

    async def _streams_for(
        self, track: URNLike | Streams, secret_token: str | None
    ) -> tuple[Streams, str]:
        """The track's :class:`Streams` and its identity for a resumable download."""
        if isinstance(track, Streams):
            first = next(
                (str(getattr(track, f)) for f in sorted(_STREAM_FIELDS) if getattr(track, f)),
                "streams",
            )
            return track, first
        urn = to_urn(track, "tracks")
        return await self.streams(urn, secret_token=secret_token), str(urn)


def _check_format(format: object) -> None:
    if format is not None and format not in _STREAM_FIELDS:
        raise InvalidArgument(f"format must be one of {sorted(_STREAM_FIELDS)}, not {format!r}")


def _warn_deprecated(format: str | None) -> None:
    if format == "http_mp3_128_url":
        warnings.warn(
            "http_mp3_128_url is deprecated in SoundCloud's API and may stop working; "
            "leave format unset to download the best HLS format",
            DeprecationWarning,
            stacklevel=3,
        )


_STOREFRONT_LIMITS = {
    "title": 100,
    "link": 255,
    "link_title": 50,
    "description": 500,
    "price": 20,
}


def _check_storefront(body: StorefrontUpdate) -> None:
    for name, limit in _STOREFRONT_LIMITS.items():
        value = getattr(body, name)
        required = name in ("title", "link")
        if value is None and not required:
            continue
        if not isinstance(value, str) or (required and not value.strip()):
            raise InvalidArgument(f"storefront {name} must be a non-empty string")
        if len(value) > limit:
            raise InvalidArgument(f"storefront {name} is at most {limit} characters")
    check_choices(body, {"type": StorefrontType})
    if not isinstance(body.type, str):
        raise InvalidArgument(f"storefront type must be a StorefrontType, not {body.type!r:.40}")
    if not body.link.startswith(("http://", "https://")):
        raise InvalidArgument(f"storefront link must be an http(s) URL, not {body.link!r:.60}")
