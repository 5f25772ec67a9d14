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
CONTROLLER_TYPE_SYSTEM = "urn:oid:1.2.246.537.5.40172"
SERVICE_TASK_SYSTEM = "urn:oid:1.2.246.537.6.1221"

PUBLIC = "1"
PRIVATE = "2"

FUNDING_OWN = "own_production"
FUNDING_VOUCHER = "service_voucher"
FUNDING_PURCHASED = "purchased_service"
FUNDING_COMMITMENT = "payment_commitment"
FUNDING_PRIVATE = "private_contract"


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


@dataclass(frozen=True)
class Metadata:
    """A typed, lenient view of the phase-2 metadata (see docs/metadata.md)."""

    document_oid: str | None
    set_oid: str | None
    version: int | None
    previous_version_oid: str | None
    created: str | None
    effective_time: str | None
    language: str | None
    storage_format: str | None
    title: str | None
    document_type: Coded | None
    document_group: Coded | None
    structure_oid: str | None
    structure_version: str | None
    service_task: Coded | None
    controller_oid: str | None
    controller_type: Coded | None
    service_funding: str | None
    producer_oid: str | None
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
    retention_until: str | None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Metadata:
        """Build the view from the raw metadata mapping; never raises."""
        version = raw.get("version")
        structure = _map(raw.get("structure"))
        controller = _map(raw.get("controller"))
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
        retention = _map(raw.get("retention"))
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
            document_type=Coded.from_raw(raw.get("document_type")),
            document_group=Coded.from_raw(raw.get("document_group")),
            structure_oid=_str(structure.get("oid")),
            structure_version=_str(structure.get("version")),
            service_task=Coded.from_raw(raw.get("service_task")),
            controller_oid=_str(controller.get("oid")),
            controller_type=Coded.from_raw(controller.get("type")),
            service_funding=_str(raw.get("service_funding")),
            producer_oid=_str(raw.get("producer_oid")),
            service_unit_oid=_str(raw.get("service_unit_oid")),
            patient_data=raw.get("patient_data") is True,
            clients=tuple(clients),
            common_matter_oid=_str(raw.get("common_matter_oid")),
            author=author,
            customership_oid=_str(raw.get("customership_oid")),
            case_oid=_str(raw.get("case_oid")),
            status=_str(raw.get("status")),
            invalidation_reason=_str(invalidation.get("reason")),
            signer=_str(signature.get("signer")),
            signed_at=_str(signature.get("signed_at")),
            retention_until=_str(retention.get("until")),
        )

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
class Document:
    """One document: raw metadata and content as read, plus where it came from.

    ``raw`` is the exact bytes that were read; the store archives those bytes,
    never a re-serialisation. ``locate`` maps a JSON Pointer of the model to a
    position in the source; readers make it lazy, because positions are only
    needed when there is something to report.
    """

    source: str
    format: str  # "json" or "xhtml"
    raw: bytes
    metadata_raw: Mapping[str, Any]
    content: Mapping[str, Any]
    locate: Callable[[str], SourcePosition] = field(default=lambda _pointer: NOWHERE, compare=False)
    xml: XmlSource | None = field(default=None, compare=False, repr=False)
    # The JSON form's optional top-level "signature" member ({"jws": ...}); see
    # docs/signatures.md. The XHTML form's ds:Signature stays in ``xml``.
    signature: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def metadata(self) -> Metadata:
        """The typed metadata view (computed on each call; cache it if hot)."""
        return Metadata.from_raw(self.metadata_raw)

    def as_json_object(self) -> dict[str, Any]:
        """The canonical JSON form of the model: ``{"metadata": …, "content": …}``."""
        return {"metadata": dict(self.metadata_raw), "content": dict(self.content)}
