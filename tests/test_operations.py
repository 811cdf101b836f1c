"""The client's table of operations against the official spec and the legacy seeds.

Every (method, path) of SoundCloud's OpenAPI description must be implemented, deprecated
operations must be marked and warn naming their replacement, and every operation of the
legacy seed documents (``000``/``001`` Swagger 2.0, ``002`` Postman) must be under
``sc.legacy`` with the seed's exact path. Both ship in ``tests/data`` (``tests/spec_data.py``).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from aioresponses import aioresponses

import soundcloud_async._resources as resources_pkg
from soundcloud_async import Paginator, SoundCloud
from soundcloud_async._resources._registry import OPERATIONS, Operation
from tests.spec_data import SEEDS_DIR, load_spec, seed_paths

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
#: What each kind of path parameter names, to build arguments for a call.
PARAM_KINDS = {
    "user_urn": "soundcloud:users:1",
    "follower_urn": "soundcloud:users:2",
    "following_urn": "soundcloud:users:2",
    "track_urn": "soundcloud:tracks:3",
    "playlist_urn": "soundcloud:playlists:4",
}


def _load_all_operations() -> list[Operation]:
    """Import every resource module (and the client) so that every operation registers."""
    importlib.import_module("soundcloud_async._client")
    for module in pkgutil.iter_modules(resources_pkg.__path__):
        importlib.import_module(f"{resources_pkg.__name__}.{module.name}")
    return list(OPERATIONS)


def spec_operations() -> dict[tuple[str, str], bool]:
    """(METHOD, path) -> deprecated, for every operation of the official spec."""
    spec = load_spec()
    found: dict[tuple[str, str], bool] = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                found[(method.upper(), path)] = bool(op.get("deprecated", False))
    return found


def _swagger_seed(path: Path) -> set[tuple[str, str]]:
    text = path.read_text(encoding="utf-8")
    body = text.split("---", 1)[1]
    documents = [doc for doc in yaml.safe_load_all(body) if doc]
    ops: set[tuple[str, str]] = set()
    for document in documents:
        for route, item in document.get("paths", {}).items():
            ops.update((m.upper(), route) for m in item if m in HTTP_METHODS)
    return ops


def _postman_requests(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if "item" in item:
            yield from _postman_requests(item["item"])
        elif "request" in item:
            yield item["request"]


def _postman_seed(path: Path) -> set[tuple[str, str]]:
    collection = json.loads(path.read_text(encoding="utf-8"))
    ops: set[tuple[str, str]] = set()
    for request in _postman_requests(collection["item"]):
        url = request["url"]
        if isinstance(url, str):
            route = urlsplit(url).path
        else:
            route = "/" + "/".join(url["path"]).lstrip("/")
        route = re.sub(r":([A-Za-z_][A-Za-z0-9_]*)", r"{\1}", route)
        ops.add((request["method"].upper(), route))
    return ops


def seed_operations() -> set[tuple[str, str]]:
    """Every (METHOD, path) the legacy seeds 000, 001 (Swagger) and 002 (Postman) describe."""
    seeds = seed_paths()
    assert 3 == len(seeds), f"expected the three legacy seeds in {SEEDS_DIR}"
    ops: set[tuple[str, str]] = set()
    for seed in seeds:
        ops |= _postman_seed(seed) if seed.name.startswith("002_") else _swagger_seed(seed)
    return ops


class TestOfficialCoverage:
    """Every operation of the official spec is in the client's table."""

    def test_spec_has_64_operations(self) -> None:
        """The spec the table is compared with is the 2026-07 revision (tests/data/README.md)."""
        assert 64 == len(spec_operations())

    def test_every_spec_operation_is_implemented(self) -> None:
        """Each (method, path) of the spec is declared by some client method."""
        table = {(op.method, op.path) for op in _load_all_operations() if op.api == "official"}
        missing = sorted(set(spec_operations()) - table)
        assert [] == missing

    def test_no_operation_outside_the_spec(self) -> None:
        """The table declares no official operation the spec does not have."""
        table = {(op.method, op.path) for op in _load_all_operations() if op.api == "official"}
        assert [] == sorted(table - set(spec_operations()))

    def test_each_operation_declared_once(self) -> None:
        """No (api, method, path) is implemented by two methods."""
        keys = [(op.api, op.method, op.path) for op in _load_all_operations()]
        assert [] == sorted({k for k in keys if keys.count(k) > 1})

    def test_deprecation_flags_match_the_spec(self) -> None:
        """Exactly the spec's deprecated operations are marked deprecated in the table."""
        spec = spec_operations()
        wrong = [
            (op.method, op.path)
            for op in _load_all_operations()
            if op.api == "official"
            and (op.method, op.path) in spec
            and spec[(op.method, op.path)] != (op.deprecated is not None)
        ]
        assert [] == wrong


def _deprecated_operations() -> list[Operation]:
    spec = spec_operations()
    return [
        op
        for op in _load_all_operations()
        if op.api == "official" and spec.get((op.method, op.path), False)
    ]


def _bound_method(sc: SoundCloud, qualname: str) -> Any:
    cls_name, _, name = qualname.partition(".")
    if cls_name == "SoundCloud":
        return getattr(sc, name)
    for value in vars(sc).values():
        if type(value).__name__ == cls_name:
            return getattr(value, name)
    raise AssertionError(f"no resource group of class {cls_name} on the client")


async def _invoke(method: Any, args: list[str]) -> None:
    result = method(*args)
    if isinstance(result, Paginator):
        await result.collect()
    else:
        await result


class TestDeprecatedOperations:
    """Deprecated operations work, and warn naming their replacement on every call."""

    @pytest.mark.parametrize(
        "op", _deprecated_operations(), ids=lambda op: f"{op.method} {op.path}"
    )
    async def test_warns_naming_the_replacement(
        self, op: Operation, sc: SoundCloud, mocked: aioresponses
    ) -> None:
        """Calling the method emits a DeprecationWarning with the replacement text."""
        assert op.deprecated
        mocked.add(
            re.compile(r"https://api\.soundcloud\.com/.*"),
            method=op.method,
            payload={"collection": [], "next_href": None},
            repeat=True,
        )
        args = [PARAM_KINDS[name] for name in re.findall(r"{(\w+)}", op.path)]
        method = _bound_method(sc, op.qualname)
        assert len(inspect.signature(method).parameters) >= len(args)
        with pytest.warns(DeprecationWarning, match=re.escape(op.deprecated)) as record:
            await _invoke(method, args)
        assert any(f"{op.method} {op.path}" in str(w.message) for w in record)

    def test_eight_deprecated_operations(self) -> None:
        """The spec deprecates eight operations, and all of them are found."""
        assert 8 == len(_deprecated_operations())

    def test_current_operations_do_not_warn(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A current operation's method is returned undecorated (no warning on call)."""
        mocked.get(re.compile(r".*"), payload={"collection": []})
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sc.me.iter_feed()


class TestLegacyCoverage:
    """Every operation of the legacy seeds is under ``sc.legacy`` with its exact path."""

    def test_seeds_describe_33_operations(self) -> None:
        """The three seeds together describe 33 (method, path) pairs."""
        assert 33 == len(seed_operations())

    def test_every_seed_operation_is_implemented(self) -> None:
        """Each (method, path) of the seeds is declared by a ``sc.legacy`` method."""
        table = {(op.method, op.path) for op in _load_all_operations() if op.api == "legacy"}
        assert [] == sorted(seed_operations() - table)

    def test_no_legacy_operation_outside_the_seeds(self) -> None:
        """The legacy table invents no path the seeds do not describe."""
        table = {(op.method, op.path) for op in _load_all_operations() if op.api == "legacy"}
        assert [] == sorted(table - seed_operations())

    def test_legacy_methods_live_on_sc_legacy(self) -> None:
        """Every legacy operation is implemented by a method of the ``Legacy`` group."""
        owners = {op.qualname.partition(".")[0] for op in _load_all_operations()}
        legacy_owners = {
            op.qualname.partition(".")[0] for op in _load_all_operations() if op.api == "legacy"
        }
        assert {"Legacy"} == legacy_owners
        assert "Legacy" in owners

    def test_postman_paths_are_normalised(self) -> None:
        """Postman's ``:track_id`` placeholders read as ``{track_id}``."""
        assert ("GET", "/tracks/{track_id}/secret-token.json") in seed_operations()
        assert ("GET", "/groups/{group_id}/tracks.json") in seed_operations()
