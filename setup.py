"""Builds the optional C extension; everything else is declared in pyproject.toml.

``soundcloud_async._speedups`` (the fast path's copy into the models, in C) is optional:
when there is no C compiler, or ``SOUNDCLOUD_ASYNC_NO_EXTENSIONS=1`` is set, the package
installs without it and ``_fastpath`` uses its generated Python copy, which gives the same
models (tests/test_fastpath.py).
"""

import os

from setuptools import Extension, setup

ext_modules = []
if not os.environ.get("SOUNDCLOUD_ASYNC_NO_EXTENSIONS"):
    ext_modules.append(
        Extension(
            "soundcloud_async._speedups",
            ["soundcloud_async/_speedups.c"],
            optional=not os.environ.get("SOUNDCLOUD_ASYNC_REQUIRE_EXTENSIONS"),
        )
    )

setup(ext_modules=ext_modules)
