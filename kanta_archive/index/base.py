"""The index interface: what a query asks, what a row says, what every backend offers."""

from __future__ import annotations

import abc
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol

from kanta_archive.db.base import Closing
from kanta_archive.errors import UsageError
from kanta_archive.model import Metadata

#: ``Query.sort`` keys and the columns they sort by; a leading ``-`` sorts descending.
SORT_COLUMNS: Final[dict[str, str]] = {
    "effective_time": "effective_time_utc",
    "created": "created_utc",
    "document_type": "document_type_code",
    "service_task": "service_task_code",
    "title": "title",
    "version": "version",
    "document_oid": "document_oid",
}
SORT_KEYS: Final[frozenset[str]] = frozenset(SORT_COLUMNS) | {f"-{key}" for key in SORT_COLUMNS}
STATUSES: Final[frozenset[str]] = frozenset({"active", "invalidated"})
MAX_LIMIT: Final = 10_000


@dataclass(frozen=True)
class Query:
    """A filtered, sorted, paged listing of indexed documents.

    Every filter is optional and filters combine with AND. The defaults show
    what a professional normally sees: the latest version of each document,
    active documents only, and not the social-welfare patient-data
    sub-register.

    - ``client``: a HETU or a temporary identifier; a HETU also finds the
      documents stored under temporary identifiers actively linked to it.
    - ``date_from`` / ``date_to``: inclusive calendar dates on the effective
      time, as dates in Finland (``Europe/Helsinki``).
    - ``status``: ``"active"`` or ``"invalidated"``; when ``None`` only active
      documents are listed unless ``include_invalidated`` is true.
    - ``patient_data``: ``False`` hides the patient-data sub-register, ``True``
      lists only it, ``None`` lists both.
    - ``all_versions``: list every version, not only the latest of each set.
    - ``sort``: one of :data:`SORT_KEYS`; ties are broken by document OID.
    """

    controller_oid: str | None = None
    client: str | None = None
    document_type: str | None = None
    service_task: str | None = None
    case_oid: str | None = None
    customership_oid: str | None = None
    author_org_oid: str | None = None
    set_oid: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    include_invalidated: bool = False
    patient_data: bool | None = False
    all_versions: bool = False
    sort: str = "-effective_time"
    limit: int = 100
    offset: int = 0

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise UsageError(
                f"unknown sort key {self.sort!r}; use one of {', '.join(sorted(SORT_KEYS))}"
            )
        if self.status is not None and self.status not in STATUSES:
            raise UsageError(f"unknown status {self.status!r}; use 'active' or 'invalidated'")
        if isinstance(self.limit, bool) or not 0 <= self.limit <= MAX_LIMIT:
            raise UsageError(f"limit must be between 0 and {MAX_LIMIT}, not {self.limit!r}")
        if isinstance(self.offset, bool) or self.offset < 0:
            raise UsageError(f"offset must not be negative, not {self.offset!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UsageError(f"date_from {self.date_from} is after date_to {self.date_to}")


@dataclass(frozen=True)
class IndexClient:
    """One client of an indexed document."""

    client_id: str
    id_kind: str  # "hetu" or "temporary"
    non_disclosure: bool


@dataclass(frozen=True)
class IndexRow:
    """One indexed document version, as the index knows it."""

    document_oid: str
    set_oid: str
    version: int
    is_head: bool
    controller_oid: str | None
    controller_type: str | None
    document_type_code: str | None
    document_group_code: str | None
    structure_oid: str | None
    structure_version: str | None
    service_task_code: str | None
    service_funding: str | None
    producer_oid: str | None
    service_unit_oid: str | None
    author_org_oid: str | None
    author_name: str | None
    customership_oid: str | None
    case_oid: str | None
    common_matter_oid: str | None
    patient_data: bool
    status: str
    title: str | None
    created: str | None
    created_utc: str | None
    effective_time: str | None
    effective_time_utc: str | None
    storage_format: str | None
    non_disclosure: bool
    clients: tuple[IndexClient, ...] = ()


@dataclass(frozen=True)
class QueryResult:
    """One page of a query: its rows and how many rows match in all."""

    rows: tuple[IndexRow, ...]
    total: int


class IndexBuild(Protocol):
    """A new part of the index being filled beside the live one (see :meth:`Index.rebuild`)."""

    def add_many(self, metas: Iterable[Metadata]) -> int:
        """Add document versions; return how many."""

    def keep(self, set_oids: Iterable[str]) -> int:
        """Carry the live rows of these sets over (sets that could not be read)."""


class Index(Closing, abc.ABC):
    """The rebuildable query index over the archived documents.

    Everything in it (except client links, see :meth:`link_client`) is derived
    from the store's metadata and can be thrown away and rebuilt.
    """

    backend: str

    @abc.abstractmethod
    def add(self, meta: Metadata, *, is_head: bool = True) -> None:
        """Index one document version (replacing an earlier entry for the same OID).

        With ``is_head`` the version becomes the head of its set and the set's
        other versions stop being heads.
        """

    @abc.abstractmethod
    def add_many(self, metas: Iterable[Metadata]) -> int:
        """Index many document versions in one transaction; return how many.

        Afterwards the head of each touched set is its highest indexed version.
        """

    @abc.abstractmethod
    def query(self, q: Query) -> QueryResult:
        """Run a query: one page of rows and the total count of matches."""

    @abc.abstractmethod
    def get(self, document_oid: str) -> IndexRow | None:
        """The indexed version with this OID, or ``None``."""

    @abc.abstractmethod
    def versions(self, set_oid: str) -> list[IndexRow]:
        """Every indexed version of a document set, oldest first."""

    @abc.abstractmethod
    def link_client(self, temporary_id: str, hetu: str) -> None:
        """Link a temporary identifier to the HETU it stood in for."""

    @abc.abstractmethod
    def unlink_client(self, temporary_id: str) -> None:
        """End the active link of a temporary identifier (history is kept)."""

    @abc.abstractmethod
    def rebuild(self) -> AbstractContextManager[IndexBuild]:
        """Build this store's index anew beside the live one; swap at the end of the block.

        Queries see the old rows until the swap; an exception leaves them untouched.
        """

    @abc.abstractmethod
    def is_built(self) -> bool:
        """True when the index holds this store's part (it was written to or rebuilt)."""

    @abc.abstractmethod
    def ensure_built(self) -> None:
        """Make this store's part of the index (empty if new), committed: a writer does so
        before its first document reaches the store, so that no one else (another writer,
        the same writer restarted after a crash) takes the store's new documents for a
        lost index."""

    @abc.abstractmethod
    def controller_of(self, set_oid: str) -> str | None:
        """The controller of the indexed head of a set (a hint; the store is the truth)."""

    @abc.abstractmethod
    def clear(self, *, include_links: bool = False) -> None:
        """Remove every indexed document (and, if asked, the client links)."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many document versions are indexed."""

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The schema version of the open index."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection; further use is an error."""
