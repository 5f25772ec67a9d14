"""What the archive's operations return: plain frozen records, no behaviour beyond counting."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kanta_archive.archive import metadata_file as mf
from kanta_archive.errors import StoreError
from kanta_archive.findings import ValidationResult
from kanta_archive.formats.read import read_bytes

Status = Literal["stored", "unchanged", "refused"]
Progress = Callable[[int], None]


def no_progress(_n: int) -> None:
    """A progress callback that does nothing."""
    return None


@dataclass(frozen=True)
class Refusal:
    """Why one document may not be stored: the rule (as data) and the words."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@dataclass(frozen=True)
class IngestItem:
    """What happened to one submitted document. A document refused by an access rule
    names the ``rule``; ``reason`` is always the whole sentence."""

    source: str
    status: Status
    document_oid: str | None
    set_oid: str | None
    version: int | None
    controller_oid: str | None = None
    reason: str | None = None
    rule: str | None = None


@dataclass(frozen=True)
class IngestReport:
    """The outcome of :meth:`Archive.ingest`: one item per input, in input order, and the
    validation results of the invalid inputs (for a findings reporter)."""

    items: tuple[IngestItem, ...]
    invalid: tuple[ValidationResult, ...] = ()

    def count(self, status: Status) -> int:
        """How many items have ``status``."""
        return sum(1 for item in self.items if item.status == status)

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return self.count("refused") == 0


@dataclass(frozen=True)
class ShownDocument:
    """One document version as the archive holds it now."""

    set_oid: str
    document_oid: str
    version: int
    ocfl_version: int
    controller_oid: str
    storage_format: str
    metadata: Mapping[str, Any]
    raw: bytes

    def content(self) -> Mapping[str, Any]:
        """The parsed document model (``{"metadata", "content"}`` of the submitted bytes)."""
        outcome = read_bytes(self.raw, mf.document_file(self.storage_format))
        if outcome.document is None:
            raise StoreError(f"stored document {self.document_oid} can no longer be read")
        return outcome.document.as_json_object()


@dataclass(frozen=True)
class HistoryEntry:
    """One OCFL version of a document set, and what it changed."""

    ocfl_version: int
    time: str
    actor: str
    event: str  # "stored", "invalidated", "controller-transferred", "metadata-changed"
    document_oid: str | None
    version: int | None
    status: str | None
    controller_oid: str | None
    reason: str | None
    message: str
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TransferReport:
    """The outcome of :meth:`Archive.transfer_controller`."""

    from_controller: str
    to_controller: str
    moved: tuple[str, ...]  # set OIDs moved by this run
    resumed: tuple[str, ...]  # sets that had their new version already (interrupted run)


@dataclass(frozen=True)
class ReindexReport:
    """The outcome of :meth:`Archive.rebuild_index`: versions indexed, client links
    replayed from the access records, index rows kept for the sets that could not be read,
    and what could not be read."""

    versions: int  # document versions indexed
    links: int = 0  # client links replayed from the store's access records
    kept: int = 0
    problems: tuple[VerifyProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every object in the store could be indexed."""
        return not self.problems


@dataclass(frozen=True)
class VerifyProblem:
    """Something :meth:`Archive.verify` found. ``object`` is ``<controller>/<set OID>``."""

    severity: str
    code: str
    object: str | None
    path: str | None
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """Store problems plus index-vs-store problems."""

    objects: int
    index_rows: int
    problems: tuple[VerifyProblem, ...]

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not any(p.severity == "error" for p in self.problems)
