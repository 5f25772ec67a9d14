"""kanta-archive: validate, archive and query Kanta phase-2 social welfare documents.

The library never imports click; the CLI in :mod:`kanta_archive.cli` is a thin
layer over it. Typical use::

    from pathlib import Path
    from kanta_archive import Validator

    result = Validator().validate_path(Path("doc.json"))
    for finding in result.findings:
        print(finding.code, finding.severity, finding.message, finding.location.pointer)

and the archive (see :mod:`kanta_archive.session`)::

    from kanta_archive import Actor, Query, open_archive

    county = Actor(organisation="1.2.246.10.91000013", person="alice")
    with open_archive("./archive", actor=county, create=True) as archive:
        report = archive.ingest([Path("doc.json")])
        for row in archive.stream(Query(client="150612A904S")):
            print(row.document_oid, row.title)
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
    from kanta_archive.archive import (
        HistoryEntry,
        IngestItem,
        IngestReport,
        ReindexReport,
        ShownDocument,
        TransferReport,
        VerifyReport,
    )
    from kanta_archive.formats import read_bytes, read_path
    from kanta_archive.index import IndexRow, Query
    from kanta_archive.model import Document, Metadata
    from kanta_archive.schemas import SchemaRegistry
    from kanta_archive.session import (
        Actor,
        ArchiveSession,
        QueryPage,
        QueryStream,
        Shown,
        open_archive,
    )
    from kanta_archive.validate import Validator

    __version__: str

# Every command imports this package, `kanta-archive --help` included: the pipeline and
# importlib.metadata (together most of the start-up time) load on first use instead.
_LAZY = {
    "Actor": "kanta_archive.session",
    "ArchiveSession": "kanta_archive.session",
    "HistoryEntry": "kanta_archive.archive",
    "IndexRow": "kanta_archive.index",
    "IngestItem": "kanta_archive.archive",
    "IngestReport": "kanta_archive.archive",
    "Query": "kanta_archive.index",
    "QueryPage": "kanta_archive.session",
    "QueryStream": "kanta_archive.session",
    "ReindexReport": "kanta_archive.archive",
    "Shown": "kanta_archive.session",
    "ShownDocument": "kanta_archive.archive",
    "TransferReport": "kanta_archive.archive",
    "VerifyReport": "kanta_archive.archive",
    "open_archive": "kanta_archive.session",
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
    "Actor",
    "ArchiveSession",
    "ConflictError",
    "Document",
    "ExitCode",
    "Finding",
    "HistoryEntry",
    "IndexRow",
    "IngestItem",
    "IngestReport",
    "InputError",
    "KantaArchiveError",
    "Location",
    "Metadata",
    "Query",
    "QueryPage",
    "QueryStream",
    "RefusedError",
    "ReindexReport",
    "SchemaError",
    "SchemaRegistry",
    "Severity",
    "Shown",
    "ShownDocument",
    "StoreError",
    "TransferReport",
    "UsageError",
    "ValidationResult",
    "Validator",
    "VerifyReport",
    "__version__",
    "open_archive",
    "read_bytes",
    "read_path",
]
