"""The one in-memory document model that every reader produces.

A document is phase-2 *metadata* plus structured *content*. Readers (JSON,
XHTML) turn bytes into a :class:`Document`; schema validation and domain rules
read it; the store archives it. The raw metadata and content mappings are kept
exactly as read (after format-specific decoding) because schema validation
needs them verbatim; :class:`Metadata` is a lenient typed view for the rules,
in which a missing or ill-typed field is simply ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

HETU_SYSTEM = "urn:oid:1.2.246.21"
SERVICE_TASK_SYSTEM = "urn:oid:1.2.246.537.6.1221"

# Real document structures and their types: a structure 1.2.246.537.6.1506.<n> has the
# specific document type <n> in code system 1.2.246.537.6.1506 (docs/metadata.md).
STRUCTURE_ARC = "1.2.246.537.6.1506"
GROUP_STRUCTURE_ARC = "1.2.246.537.6.1505"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _map(value: Any) -> Mapping[str, Any]:
    # type() first: the abstract Mapping check is slow, and parsed JSON is plain dicts.
    return value if type(value) is dict or isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Coded:
    """A coded value: ``{"system": "urn:oid:…", "code": …, "display": …}``."""

    system: str | None
    code: str | None
    display: str | None = None

    @classmethod
    def from_raw(cls, raw: Any) -> Coded | None:
        if type(raw) is not dict and not isinstance(raw, Mapping):
            return None
        return cls(_str(raw.get("system")), _str(raw.get("code")), _str(raw.get("display")))

    @property
    def system_oid(self) -> str | None:
        """The code system's OID without the ``urn:oid:`` prefix."""
        if self.system and self.system.startswith("urn:oid:"):
            return self.system[len("urn:oid:") :]
        return None


@dataclass(frozen=True)
class Client:
    """One client of a document: a HETU or a temporary identifier (never neither)."""

    hetu: str | None
    temporary_id: str | None
    non_disclosure: bool = False

    @property
    def identifier(self) -> str | None:
        """The identifier the client is found by: HETU first, else temporary id."""
        return self.hetu or self.temporary_id


@dataclass(frozen=True)
class Author:
    """Who wrote the document."""

    name: str | None
    role: str | None
    organisation_oid: str | None
    professional_id: str | None = None


def split_structure_id(structure_id: str | None) -> tuple[str, str] | None:
    """``1.2.246.537.6.1505.2.2022.6.28`` -> ``("1.2.246.537.6.1505.2", "2022-06-28")``.

    A Sosmeta export is named by its full dated OID, ``<structure OID>.<YYYY>.<M>.<D>``
    (CDA ``contentSpecificationId``); None when the text has not that shape.
    """
    if not structure_id:
        return None
    arcs = structure_id.split(".")
    if len(arcs) < 5 or not all(a.isascii() and a.isdigit() for a in arcs[-3:]):
        return None
    year, month, day = arcs[-3:]
    if len(year) != 4 or not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return ".".join(arcs[:-3]), f"{year}-{int(month):02d}-{int(day):02d}"


def structure_id_of(oid: str, version: str) -> str:
    """The full dated OID of structure ``oid`` at ``version`` (``YYYY-MM-DD``)."""
    year, month, day = version.split("-")
    return f"{oid}.{year}.{int(month)}.{int(day)}"


@dataclass(frozen=True)
class Metadata:
    """A typed, lenient view of the phase-2 metadata (see docs/metadata.md).

    The fields follow the national metadata model as real CDA documents carry it
    (docs/cda.md maps each to its element); a few are the archive's own
    (``storage_format``, ``status``, ``patient_data``, ``common_matter_oid``).
    """

    document_oid: str | None
    set_oid: str | None
    version: int | None
    previous_version_oid: str | None
    created: str | None
    effective_time: str | None
    language: str | None
    storage_format: str | None
    title: str | None
    confidentiality: Coded | None
    document_type: Coded | None
    specific_document_type: Coded | None
    document_group: Coded | None
    structure_id: str | None
    structure_oid: str | None
    structure_version: str | None
    service_task: Coded | None
    register: Coded | None
    record_status: Coded | None
    retention_class: Coded | None
    controller_oid: str | None
    organiser_oid: str | None
    service_unit_oid: str | None
    patient_data: bool
    clients: tuple[Client, ...]
    common_matter_oid: str | None
    author: Author | None
    customership_oid: str | None
    case_oid: str | None
    status: str | None
    invalidation_reason: str | None
    signer: str | None
    signed_at: str | None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Metadata:
        """Build the view from the raw metadata mapping; never raises."""
        version = raw.get("version")
        structure_id = _str(raw.get("structure"))
        split = split_structure_id(structure_id)
        controller = _map(raw.get("controller"))
        organiser = _map(raw.get("organiser"))
        author_raw = raw.get("author")
        author = None
        if isinstance(author_raw, Mapping):
            author = Author(
                _str(author_raw.get("name")),
                _str(author_raw.get("role")),
                _str(author_raw.get("organisation_oid")),
                _str(author_raw.get("professional_id")),
            )
        clients_raw = raw.get("clients")
        clients: list[Client] = []
        if isinstance(clients_raw, Sequence) and not isinstance(clients_raw, str):
            for item in clients_raw:
                item = _map(item)
                clients.append(
                    Client(
                        _str(item.get("hetu")),
                        _str(item.get("temporary_id")),
                        item.get("non_disclosure") is True,
                    )
                )
        invalidation = _map(raw.get("invalidation"))
        signature = _map(raw.get("signature"))
        status = raw.get("status", "active")
        return cls(
            document_oid=_str(raw.get("document_oid")),
            set_oid=_str(raw.get("set_oid")),
            version=version if isinstance(version, int) and not isinstance(version, bool) else None,
            previous_version_oid=_str(raw.get("previous_version_oid")),
            created=_str(raw.get("created")),
            effective_time=_str(raw.get("effective_time")),
            language=_str(raw.get("language")),
            storage_format=_str(raw.get("storage_format")),
            title=_str(raw.get("title")),
            confidentiality=Coded.from_raw(raw.get("confidentiality")),
            document_type=Coded.from_raw(raw.get("document_type")),
            specific_document_type=Coded.from_raw(raw.get("specific_document_type")),
            document_group=Coded.from_raw(raw.get("document_group")),
            structure_id=structure_id,
            structure_oid=split[0] if split else None,
            structure_version=split[1] if split else None,
            service_task=Coded.from_raw(raw.get("service_task")),
            register=Coded.from_raw(raw.get("register")),
            record_status=Coded.from_raw(raw.get("record_status")),
            retention_class=Coded.from_raw(raw.get("retention_class")),
            controller_oid=_str(controller.get("oid")),
            organiser_oid=_str(organiser.get("oid")),
            service_unit_oid=_str(raw.get("service_unit_oid")),
            patient_data=raw.get("patient_data") is True,
            clients=tuple(clients),
            common_matter_oid=_str(raw.get("common_matter_oid")),
            author=author,
            customership_oid=_str(raw.get("customership_oid")),
            case_oid=_str(raw.get("case_oid")),
            status=_str(status),
            invalidation_reason=_str(invalidation.get("reason")),
            signer=_str(signature.get("signer")),
            signed_at=_str(signature.get("signed_at")),
        )

    @property
    def producer_oid(self) -> str | None:
        """The producer: the organisation the author acts for (CDA
        ``author/assignedAuthor/representedOrganization``)."""
        return self.author.organisation_oid if self.author else None

    @property
    def schema_key(self) -> tuple[str, str] | None:
        """``(structure OID, version date)`` naming the structure schema, if given."""
        if self.structure_oid and self.structure_version:
            return (self.structure_oid, self.structure_version)
        return None


@dataclass(frozen=True)
class SourcePosition:
    """Where a JSON Pointer of the model sits in the source file."""

    line: int | None = None
    column: int | None = None
    xpath: str | None = None


NOWHERE = SourcePosition()


@dataclass(frozen=True)
class XmlSource:
    """The parsed XHTML behind a document: needed by the XSD stage of validation.

    ``elements`` maps JSON Pointers of the model to the elements they came from,
    so that XSD errors can be reported at the same pointers as JSON Schema errors.
    ``root`` is the document as parsed (signatures are checked on it); ``metadata``
    and ``elements`` may belong to a copy without comments and processing
    instructions, the view the reader and the head XSD work on.
    """

    root: Any
    metadata: Any
    elements: Mapping[str, Any]


@dataclass(frozen=True)
class CdaSource:
    """The parts of a CDA document the rules and signatures need besides the model.

    ``document`` is the ``ClinicalDocument`` element (inside ``frame``, the
    ``RCMR_IN200002FI01`` message, when the input is one); ``display`` is the decoded
    XHTML display form and ``json_text`` the decoded structured form, as text.
    """

    document: Any
    frame: Any | None
    display: str
    json_text: str


@dataclass(frozen=True)
class Document:
    """One document: raw metadata and content as read, plus where it came from.

    ``raw`` is the exact bytes that were read; the store archives those bytes,
    never a re-serialisation. ``locate`` maps a JSON Pointer of the model to a
    position in the source; readers make it lazy, because positions are only
    needed when there is something to report.
    """

    source: str
    format: str  # "json", "xhtml" or "cda"
    raw: bytes
    metadata_raw: Mapping[str, Any]
    content: Mapping[str, Any]
    locate: Callable[[str], SourcePosition] = field(default=lambda _pointer: NOWHERE, compare=False)
    xml: XmlSource | None = field(default=None, compare=False, repr=False)
    # The JSON form's optional top-level "signature" member ({"jws": ...}); see
    # docs/signatures.md. The XHTML form's ds:Signature stays in ``xml``.
    signature: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    # The CDA form's envelope: ClinicalDocument, the frame, the decoded display form.
    cda: CdaSource | None = field(default=None, compare=False, repr=False)

    @property
    def metadata(self) -> Metadata:
        """The typed metadata view (computed on each call; cache it if hot)."""
        return Metadata.from_raw(self.metadata_raw)

    def as_json_object(self) -> dict[str, Any]:
        """The canonical JSON form of the model: ``{"metadata": …, "content": …}``."""
        return {"metadata": dict(self.metadata_raw), "content": dict(self.content)}
