"""A griffe extension for the docs build: Sphinx roles in docstrings become cross-references.

Our docstrings cross-reference in Sphinx's notation (``:class:`~soundcloud_async.SoundCloud```,
``:meth:`update```), which mkdocstrings does not read. This rewrites each role, once the
package is loaded, into what Markdown and mkdocs-autorefs understand:

* a role naming something of the public API (``soundcloud_async``,
  ``soundcloud_async.crawl``, ``soundcloud_async.testing`` and their members) becomes a
  link to its entry in the API reference;
* a role naming something that exists but is not documented there (a private module, an
  aiohttp class) becomes inline code;
* a role that names nothing at all becomes a link to what it wrote, which autorefs cannot
  find: ``mkdocs build --strict`` then fails, so a misspelt reference cannot ship.

Names resolve like Sphinx's: ``~`` shows the last component only, ``!`` never links, a
leading ``.`` is relative to the current package, anything else is looked up in the
scope of the documented object (its members, its module's imports), then as a full path.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from typing import Any

import griffe

PACKAGE = "soundcloud_async"
#: The modules whose ``__all__`` the API reference documents.
PUBLIC_MODULES = (PACKAGE, f"{PACKAGE}.crawl", f"{PACKAGE}.testing")
ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):`(!?)(~?)([^`]+)`")


def _walk(obj: griffe.Object) -> Iterator[griffe.Object]:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)  # type: ignore[arg-type]


def _lookup(collection: Any, path: str) -> griffe.Object | None:
    """The object at ``path``, aliases followed; ``None`` if there is none."""
    try:
        found = collection[path]
        while found.is_alias:
            found = found.final_target
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    return found  # type: ignore[no-any-return]


class SphinxRoles(griffe.Extension):
    """Rewrites ``:role:`target``` in every docstring of the package (see the module)."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.path != PACKAGE:
            return
        collection = loader.modules_collection
        public = self._public_paths(collection)
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = ROLE.sub(
                    lambda m, o=obj: self._rewrite(m, o, collection, public),  # type: ignore[misc]
                    obj.docstring.value,
                )

    @staticmethod
    def _public_paths(collection: Any) -> dict[str, str]:
        """Canonical path -> the public path it is documented under."""
        public: dict[str, str] = {}
        for module_path in PUBLIC_MODULES:
            module = collection[module_path]
            for name in sorted(module.exports or ()):
                if not isinstance(name, str):
                    continue
                target = _lookup(collection, f"{module_path}.{name}")
                if target is not None:
                    public.setdefault(target.canonical_path, f"{module_path}.{name}")
        return public

    def _rewrite(
        self, match: re.Match[str], obj: griffe.Object, collection: Any, public: dict[str, str]
    ) -> str:
        no_link, short, written = match.group(1), match.group(2), match.group(3).strip()
        display = f"`{written.rsplit('.', 1)[-1] if short else written}`"
        if no_link:
            return display
        canonical = self._resolve(written, obj, collection)
        if canonical is None:
            if self._external(written):
                return display
            return f"[{display}][{written}]"  # nothing by that name: strict mode fails
        documented = self._documented(canonical, public)
        return f"[{display}][{documented}]" if documented else display

    @staticmethod
    def _resolve(written: str, obj: griffe.Object, collection: Any) -> str | None:
        """The canonical path ``written`` names from ``obj``'s scope, if it names one."""
        candidates: list[str] = []
        if written.startswith("."):
            module = obj.module
            package = module.path if module.is_init_module else module.path.rpartition(".")[0]
            candidates.append(package + written)
        else:
            head, _, rest = written.partition(".")
            scope: griffe.Object | None = obj
            while scope is not None:
                try:
                    resolved = scope.resolve(head)
                except griffe.NameResolutionError:
                    inherited = scope.all_members.get(head) if scope.is_class else None
                    if inherited is None:
                        scope = scope.parent
                        continue
                    resolved = inherited.path  # a member of a base class
                candidates.append(resolved + ("." + rest if rest else ""))
                break
            candidates.append(written)
        for candidate in candidates:
            found = _lookup(collection, candidate)
            if found is not None:
                return found.canonical_path
            if not candidate.startswith(PACKAGE + ".") and candidate != PACKAGE:
                return None if candidate == written else candidate  # another library's
        return None

    @staticmethod
    def _external(written: str) -> bool:
        """``asyncio.Lock``, ``argparse``: a name from an importable module of another library."""
        head = written.lstrip(".").split(".", 1)[0]
        return head != PACKAGE and importlib.util.find_spec(head) is not None

    @staticmethod
    def _documented(canonical: str, public: dict[str, str]) -> str | None:
        """The public path of ``canonical`` or of the documented object that owns it."""
        owner, rest = canonical, ""
        while owner:
            if owner in public:
                return public[owner] + rest
            owner, _, last = owner.rpartition(".")
            rest = f".{last}{rest}"
        return None
