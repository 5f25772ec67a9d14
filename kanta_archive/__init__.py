"""kanta-archive: validate, archive and query Kanta phase-2 social welfare documents.

The library never imports click; the CLI in :mod:`kanta_archive.cli` is a thin
layer over it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kanta-archive")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
