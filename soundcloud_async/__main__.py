"""``python -m soundcloud_async``: the ``soundcloud-async`` command."""

from __future__ import annotations

import sys

from soundcloud_async.cli import main

if __name__ == "__main__":
    sys.exit(main())
