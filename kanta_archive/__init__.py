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

from importlib.metadata import PackageNotFoundError, version

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
from kanta_archive.formats import read_bytes, read_path
from kanta_archive.model import Document, Metadata
from kanta_archive.schemas import SchemaRegistry
from kanta_archive.validate import Validator

try:
    __version__ = version("kanta-archive")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

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
