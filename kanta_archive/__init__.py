"""kanta-archive: validate, archive and query Kanta phase-2 social welfare documents.

The library never imports click; the CLI in :mod:`kanta_archive.cli` is a thin
layer over it. Typical use::

    from pathlib import Path
    from kanta_archive import Validator

    result = Validator().validate_path(Path("doc.json"))
    for finding in result.findings:
        print(finding.code, finding.severity, finding.message, finding.location.pointer)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kanta_archive.errors import (
    ConflictError,
    InputError,
    KantaArchiveError,
    RefusedError,
    SchemaError,
    StoreError,
    UsageError,
)
from kanta_archive.exitcodes import ExitCode
from kanta_archive.findings import Finding, Location, Severity, ValidationResult

if TYPE_CHECKING:
    from kanta_archive.formats import read_bytes, read_path
    from kanta_archive.model import Document, Metadata
    from kanta_archive.schemas import SchemaRegistry
    from kanta_archive.validate import Validator

    __version__: str

# Every command imports this package, `kanta-archive --help` included: the pipeline and
# importlib.metadata (together most of the start-up time) load on first use instead.
_LAZY = {
    "read_bytes": "kanta_archive.formats",
    "read_path": "kanta_archive.formats",
    "Document": "kanta_archive.model",
    "Metadata": "kanta_archive.model",
    "SchemaRegistry": "kanta_archive.schemas",
    "Validator": "kanta_archive.validate",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("kanta-archive")
        except PackageNotFoundError:  # running from a source tree without installing
            return "0.0.0+unknown"
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kanta_archive' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ConflictError",
    "Document",
    "ExitCode",
    "Finding",
    "InputError",
    "KantaArchiveError",
    "Location",
    "Metadata",
    "RefusedError",
    "SchemaError",
    "SchemaRegistry",
    "Severity",
    "StoreError",
    "UsageError",
    "ValidationResult",
    "Validator",
    "__version__",
    "read_bytes",
    "read_path",
]
