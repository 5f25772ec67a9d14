"""What one generated document set is about: its clients, parties, dates and case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from random import Random

from kanta_archive.generate.orgs import Parties


@dataclass
class Client:
    """A generated client: a test HETU or a temporary identifier, a name, a marking."""

    first: str
    last: str
    birth: date
    hetu: str | None = None
    temporary_system: str | None = None  # <organisation OID>.22.<year>
    temporary_value: str | None = None  # HETU-shaped, 900-999
    metadata_temporary_id: str | None = None  # the metadata's <organisation OID>.22.<year>.<n>
    non_disclosure: bool = False

    @property
    def temporary(self) -> bool:
        """Identified by a temporary identifier rather than a HETU."""
        return self.hetu is None


@dataclass
class DocState:
    """One document set being generated (every version of it shares this)."""

    rng: Random
    lang: str
    day: date
    event: datetime
    created: datetime
    parties: Parties
    clients: list[Client]
    author_first: str
    author_last: str
    author_title: str
    professional_id: str | None
    service_task: str
    serial: int
    signed: bool = False
    case_oid: str | None = None
    common_matter_oid: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def author_name(self) -> str:
        """The author's full name."""
        return f"{self.author_first} {self.author_last}"

    def oid_under(self, arc: int) -> str:
        """An OID under the controller for this set (``<controller>.<arc>.<serial>``)."""
        return f"{self.parties.controller.oid}.{arc}.{self.serial}"

    def ensure_case_oid(self) -> str:
        """The set's case OID (made on first use)."""
        if self.case_oid is None:
            self.case_oid = self.oid_under(31)
        return self.case_oid
