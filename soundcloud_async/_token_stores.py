"""Token stores: where a token lives between requests, restarts and processes.

A :class:`TokenStore` loads and saves one token (one user's, or the app's). A
:class:`LockingTokenStore` also has :meth:`~LockingTokenStore.lock`: a lock shared by
every process using the same store, held around *load, refresh at the token endpoint,
save*. SoundCloud's refresh tokens are single-use, so when the workers of a web backend
find the same user's token expired at once, exactly one of them may refresh; the others
wait for the lock, load the rotated token and use it::

    process A: lock ─ load (old) ─ POST /oauth/token ─ save (new) ─ unlock
    process B: lock ······ waits ··········································─ load (new): adopt

:class:`~soundcloud_async.RefreshingToken` and
:class:`~soundcloud_async.ClientCredentials` do this by themselves when their store
is a :class:`LockingTokenStore`.

The stores:

* :class:`MemoryTokenStore`: one process (tests, a script); the lock is an
  :class:`asyncio.Lock`.
* :class:`JSONFileTokenStore`: a JSON file, for the processes of one machine; the lock
  is an OS file lock (``fcntl.flock``) on ``<file>.lock`` beside it. Windows has no
  ``fcntl``: there the lock covers the objects of one process only, and two processes
  refreshing at once fall back to the older rescue (the loser of the race re-reads the
  file after ``invalid_grant``, which saves the user only if the winner saved first).
  Use :class:`RedisTokenStore` for many processes on Windows.
* :class:`RedisTokenStore`: a Redis key, for many processes on many machines; the lock
  is a Redis key set with ``SET NX PX`` (redis-py's ``Lock``), so a process that dies
  holding it frees it after ``lock_ttl`` seconds. Needs ``soundcloud-async[redis]``.

Stores return ``expires_in`` as the seconds *remaining*, counted down from when the
token was saved, so a reloaded token is not taken for a fresh one. Tokens never appear
in a repr, a log line or an exception message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeGuard, runtime_checkable

import attrs
import orjson

from soundcloud_async._clock import Clock, Sleep, monotonic, real_sleep
from soundcloud_async._errors import AuthError
from soundcloud_async.models.auth import OAuthToken

try:
    import fcntl as _fcntl

    _FLOCK = True
except ImportError:  # pragma: no cover - Windows
    _FLOCK = False

try:
    import redis.asyncio as _redis
    from redis.exceptions import LockError, RedisError

    _REDIS_IMPORT_ERROR: ImportError | None = None
except ImportError as exc:  # pragma: no cover - exercised without the redis extra
    _REDIS_IMPORT_ERROR = exc

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_LOCK_TTL",
    "JSONFileTokenStore",
    "LockingTokenStore",
    "MemoryTokenStore",
    "RedisTokenStore",
    "TokenStore",
    "token_from_json",
]

logger = logging.getLogger("soundcloud_async")

#: Seconds a process waits for another one's refresh before refreshing without the lock.
DEFAULT_LOCK_TIMEOUT: Final = 30.0
#: Seconds after which a Redis refresh lock frees itself (its holder died).
DEFAULT_LOCK_TTL: Final = 60.0
_KEY_PREFIX: Final = "soundcloud_async:token"


@runtime_checkable
class TokenStore(Protocol):
    """Where an application keeps a token between processes (a database row, a file).

    :meth:`save` is called with every new token, before a rotated refresh token can be
    used again; :meth:`load` is asked when the auth object first needs a token (and,
    for a :class:`LockingTokenStore`, under the lock before each refresh). A store
    should return ``expires_in`` as the seconds *remaining* (the built-in stores do),
    so that a reloaded token is not taken for a fresh one.
    """

    async def load(self) -> OAuthToken | None:
        """The saved token, or ``None`` if there is none."""
        ...

    async def save(self, token: OAuthToken) -> None:
        """Persist ``token`` (replacing the previous one)."""
        ...


@runtime_checkable
class LockingTokenStore(TokenStore, Protocol):
    """A :class:`TokenStore` whose refreshes are coordinated across processes.

    ``async with store.lock():`` is held around *load, refresh, save*, so that one
    process refreshes and the others adopt what it saved. Implement it for your own
    store (a PostgreSQL advisory lock, a row lock) to get one refresh per expiry.
    """

    def lock(self) -> AbstractAsyncContextManager[None]:
        """An async context manager holding the store's refresh lock.

        Raises:
            TimeoutError: the lock could not be had in the store's ``lock_timeout``
                (the caller then refreshes without it).
        """
        ...


# -- the stored form ------------------------------------------------------------------------


def _finite_number(value: object) -> TypeGuard[int | float]:
    """A JSON number: an ``int`` or a finite ``float``, never a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def token_from_json(data: dict[str, Any]) -> OAuthToken | None:
    """An :class:`OAuthToken` from a token response (or a stored one); ``None`` without
    an ``access_token``. Wrong-typed fields are left out, never raised on."""
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        return None
    refresh = data.get("refresh_token")
    expires = data.get("expires_in")
    if isinstance(expires, str) and expires.isdigit():
        expires = int(expires)
    scope = data.get("scope")
    token_type = data.get("token_type")
    return OAuthToken(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=int(expires) if _finite_number(expires) else None,
        scope=scope if isinstance(scope, str) else None,
        token_type=token_type if isinstance(token_type, str) else None,
    )


def _dump(token: OAuthToken, now: float) -> bytes:
    """The stored form: the token response plus ``expires_at`` (epoch seconds)."""
    data: dict[str, Any] = {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "expires_in": token.expires_in,
        "scope": token.scope,
        "token_type": token.token_type,
    }
    if token.expires_in is not None:
        data["expires_at"] = now + token.expires_in
    return orjson.dumps(data)


def _parse(raw: bytes, where: str, now: float) -> OAuthToken | None:
    """The token of a stored form, ``expires_in`` counted down to ``now``."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AuthError(f"{where} is not valid JSON") from exc
    if not isinstance(data, dict):
        raise AuthError(f"{where} does not hold a JSON object")
    token = token_from_json(data)
    if token is None:
        return None
    expires_at = data.get("expires_at")
    if _finite_number(expires_at):
        token = attrs.evolve(token, expires_in=max(0, math.floor(expires_at - now)))
    return token


def _remaining(token: OAuthToken, saved_at: float, now: float) -> OAuthToken:
    if token.expires_in is None:
        return token
    left = max(0, math.floor(token.expires_in - (now - saved_at)))
    return attrs.evolve(token, expires_in=left)


# -- in memory ---------------------------------------------------------------------------------


class MemoryTokenStore:
    """A :class:`LockingTokenStore` in memory (tests, or one long-lived process).

    Args:
        token: an initial token.
        wall_clock: epoch seconds, to count ``expires_in`` down between save and load.
    """

    __slots__ = ("_lock", "_saved_at", "_token", "_wall_clock", "saves")

    def __init__(self, token: OAuthToken | None = None, *, wall_clock: Clock = time.time) -> None:
        self._wall_clock = wall_clock
        self._token = token
        self._saved_at = wall_clock()
        self._lock: asyncio.Lock | None = None
        #: How many times :meth:`save` ran.
        self.saves = 0

    @property
    def token(self) -> OAuthToken | None:
        """The last saved token, as saved."""
        return self._token

    async def load(self) -> OAuthToken | None:
        token = self._token
        if token is None:
            return None
        return _remaining(token, self._saved_at, self._wall_clock())

    async def save(self, token: OAuthToken) -> None:
        self._token = token
        self._saved_at = self._wall_clock()
        self.saves += 1

    def lock(self) -> AbstractAsyncContextManager[None]:
        """An :class:`asyncio.Lock`: coordinates the auth objects sharing this store."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def __repr__(self) -> str:
        return f"MemoryTokenStore(token={'***' if self._token else None}, saves={self.saves})"


# -- a file --------------------------------------------------------------------------------------

#: Without fcntl (Windows), one asyncio.Lock per token file and process.
_LOCAL_FILE_LOCKS: dict[str, asyncio.Lock] = {}


class JSONFileTokenStore:
    """A :class:`LockingTokenStore` in a JSON file, written atomically with mode 0600.

    The file holds the token response plus ``expires_at`` (epoch seconds), so that a
    token loaded after a restart knows how long it has left. Writes go to a temporary
    file in the same directory, then replace the old file; file I/O runs in a thread.

    :meth:`lock` takes an exclusive ``fcntl.flock`` on ``<path>.lock`` (created 0600
    beside the token file and left there: removing a lock file races its next user),
    so the processes of one machine refresh a token once per expiry. On Windows, which
    has no ``fcntl``, the lock covers one process only (see the module docstring).

    Args:
        path: the token file.
        wall_clock: epoch seconds, for ``expires_at``.
        lock_timeout: seconds to wait for another process's refresh; after that the
            waiter refreshes without the lock (and a warning).
        clock: monotonic time (injected in tests).
        sleep: the wait between lock attempts (injected in tests).
    """

    __slots__ = ("_clock", "_sleep", "_wall_clock", "lock_timeout", "path")

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        wall_clock: Clock = time.time,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
    ) -> None:
        self.path = Path(path)
        self._wall_clock = wall_clock
        self.lock_timeout = float(lock_timeout)
        self._clock = clock
        self._sleep = sleep

    @property
    def lock_path(self) -> Path:
        """The file that :meth:`lock` locks: ``<path>.lock``."""
        return self.path.with_name(self.path.name + ".lock")

    @property
    def cross_process(self) -> bool:
        """Whether :meth:`lock` excludes other processes (``False`` on Windows)."""
        return _FLOCK

    async def load(self) -> OAuthToken | None:
        return await asyncio.to_thread(self._load)

    async def save(self, token: OAuthToken) -> None:
        await asyncio.to_thread(self._save, token)

    def _load(self) -> OAuthToken | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return _parse(raw, f"the token file {self.path}", self._wall_clock())

    def _save(self, token: OAuthToken) -> None:
        payload = _dump(token, self._wall_clock())
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            # mkstemp creates the file 0600 already; chmod for umask-independent intent.
            os.chmod(tmp, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        """Hold the refresh lock of this token file (see the class docstring).

        Raises:
            TimeoutError: another holder kept it past ``lock_timeout``.
        """
        if not _FLOCK:  # pragma: no cover - Windows
            local = _LOCAL_FILE_LOCKS.setdefault(str(self.path.resolve()), asyncio.Lock())
            async with local:
                yield
            return
        fd = await asyncio.to_thread(self._open_lock_file)
        try:
            await self._acquire(fd)
            try:
                yield
            finally:
                _fcntl.flock(fd, _fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _open_lock_file(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    async def _acquire(self, fd: int) -> None:
        # Polled without blocking: a blocking flock in a thread cannot be cancelled,
        # and a cancelled waiter must not take the lock later and keep it.
        deadline = self._clock() + self.lock_timeout
        delay = 0.002
        while True:
            try:
                _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if self._clock() >= deadline:
                raise TimeoutError(
                    f"the token file's lock {self.lock_path.name} was held for more than "
                    f"{self.lock_timeout:g}s"
                )
            await self._sleep(delay)
            delay = min(delay * 2, 0.05)

    def __repr__(self) -> str:
        return f"JSONFileTokenStore({str(self.path)!r})"


# -- Redis -----------------------------------------------------------------------------------------

_REDIS_HINT: Final = (
    "RedisTokenStore needs redis-py: install it with pip install 'soundcloud-async[redis]'"
)


class RedisTokenStore:
    """A :class:`LockingTokenStore` in Redis: one token for many processes and machines.

    The token is kept under ``soundcloud_async:token:{<key>}`` in the same stored form
    as :class:`JSONFileTokenStore`; the refresh lock is ``…:lock``, taken with
    ``SET NX PX`` (redis-py's ``Lock``) and freed by its holder, or by Redis after
    ``lock_ttl`` seconds if the holder died. Use one store (one ``key``) per user::

        store = RedisTokenStore(redis, key=f"user:{user_id}")
        auth = flow.refreshing(token, store=store)      # or RefreshingToken(store=store)

    Args:
        redis: a ``redis.asyncio.Redis`` client (borrowed: :meth:`aclose` leaves it
            open) or a Redis URL (the client made from it is closed by :meth:`aclose`).
        key: names this token (a user id, ``"app"``); never shown with the token.
        lock_timeout: seconds to wait for another process's refresh; after that the
            waiter refreshes without the lock (and a warning).
        lock_ttl: seconds after which an abandoned lock frees itself; longer than a
            refresh takes.
        wall_clock: epoch seconds, for ``expires_at``.

    Raises:
        ImportError: redis-py is not installed.
        ValueError: an empty ``key``, or a ``lock_ttl`` not above ``0``.
    """

    __slots__ = (
        "_key",
        "_lock_key",
        "_owns_redis",
        "_redis",
        "_wall_clock",
        "lock_timeout",
        "lock_ttl",
    )

    def __init__(
        self,
        redis: Redis | str,
        *,
        key: str,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        lock_ttl: float = DEFAULT_LOCK_TTL,
        wall_clock: Clock = time.time,
    ) -> None:
        if _REDIS_IMPORT_ERROR is not None:
            raise ImportError(_REDIS_HINT) from _REDIS_IMPORT_ERROR
        if not key:
            raise ValueError("key must be a non-empty string: it names the token")
        if not (math.isfinite(lock_ttl) and lock_ttl > 0):
            raise ValueError(f"lock_ttl must be a number of seconds > 0, not {lock_ttl!r}")
        if isinstance(redis, str):
            self._redis: Redis = _redis.Redis.from_url(redis)
            self._owns_redis = True
        else:
            self._redis = redis
            self._owns_redis = False
        self._key = f"{_KEY_PREFIX}:{{{key}}}"
        self._lock_key = f"{self._key}:lock"
        self.lock_timeout = float(lock_timeout)
        self.lock_ttl = float(lock_ttl)
        self._wall_clock = wall_clock

    @property
    def redis_key(self) -> str:
        """The Redis key holding the token."""
        return self._key

    @property
    def lock_key(self) -> str:
        """The Redis key of the refresh lock."""
        return self._lock_key

    async def load(self) -> OAuthToken | None:
        try:
            raw = await self._redis.get(self._key)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if raw is None:
            return None
        if isinstance(raw, str):  # a client made with decode_responses=True
            raw = raw.encode()
        return _parse(raw, "the token in Redis", self._wall_clock())

    async def save(self, token: OAuthToken) -> None:
        try:
            await self._redis.set(self._key, _dump(token, self._wall_clock()))
        except RedisError as exc:
            raise _unavailable(exc) from exc

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        """Hold the refresh lock of this token (see the class docstring).

        Raises:
            TimeoutError: another holder kept it past ``lock_timeout``.
            AuthError: Redis cannot be reached.
        """
        lock = self._redis.lock(
            self._lock_key,
            timeout=self.lock_ttl,
            sleep=0.01,
            blocking_timeout=self.lock_timeout,
            thread_local=False,  # one Lock object per holding, on one event loop
        )
        try:
            acquired = await lock.acquire()
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if not acquired:
            raise TimeoutError(
                f"the Redis refresh lock was held for more than {self.lock_timeout:g}s"
            )
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError:
                # It expired (the refresh outlived lock_ttl) and may be someone else's now.
                logger.warning("the Redis refresh lock expired before it was released")
            except RedisError:
                logger.warning("could not release the Redis refresh lock; it expires by itself")

    async def aclose(self) -> None:
        """Close the Redis client if it was made from a URL."""
        if self._owns_redis:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisTokenStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # No URL: it may carry the Redis password.
        return f"RedisTokenStore(key={self._key!r})"


def _unavailable(exc: BaseException) -> AuthError:
    return AuthError(f"the Redis token store cannot be reached ({type(exc).__name__})")
