"""The ``soundcloud-async`` console script's entry point: Ctrl-C while starting exits 130.

It lives outside the ``soundcloud_async`` package on purpose. Importing anything in the
package first runs its ``__init__`` (aiohttp, attrs, cattrs: a few tenths of a second),
and the script that pip writes imports the entry point's module unguarded, so a Ctrl-C
in that time would print an import traceback. Here the package import happens inside
the ``try``. (``python -m soundcloud_async`` imports the package before any of our code
runs, so only the console script gets this.)
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> int:
    """Run ``soundcloud_async.cli.main()``; 130 without a traceback if interrupted first."""
    try:
        from soundcloud_async.cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
