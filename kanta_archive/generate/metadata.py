"""The phase-2 metadata of a generated document (``docs/metadata.md``, model 2), kept apart
from the content so that a change of the metadata model is a change of this module only.

It follows the metadata model (``schemas/metadata.schema.json``) and holds every metadata
rule: the version chain, creation after the event, the controller by funding (an
organiser for vouchers, purchased services and payment commitments), a common matter for
several clients, the case OID the content's case number repeats, the specific document
type the structure number, a signature block only for a document that is signed. The
items every phase-2 document carries alike (confidentiality, register, record status,
file formats) come from ``upgrade.DEFAULTS``, as in the real test documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from random import Random
from typing import Any

from kanta_archive.codesets import CodeSets
from kanta_archive.generate import values
from kanta_archive.generate.state import Client, DocState
from kanta_archive.model import structure_id_of
from kanta_archive.schemas import StructureSchema
from kanta_archive.upgrade import DEFAULTS, GROUP_DISPLAY, PERMANENT

SERVICE_TASKS = "1.2.246.537.6.1221"
SPECIFIC_TYPES = "urn:oid:1.2.246.537.6.1506.201701"
DOCUMENT_GROUPS = "urn:oid:1.2.246.537.6.1505.201601"
_ORGANISER_FUNDING = frozenset({"service_voucher", "purchased_service", "payment_commitment"})

# The document group of a structure root (the real group structures 1.2.246.537.6.1505.<g>):
# customership 1, case 2, disclosure consent 8, ban 9; any other client document 5.
_GROUP_OF_ROOT = {
    "asiakkuusasiakirja": "1",
    "asia_asiakirja": "2",
    "luovutuslupa_asiakirja": "8",
    "kieltoasiakirja": "9",
}


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def document_group(structure: StructureSchema) -> str:
    """The document group code (1.2.246.537.6.1505) of documents of ``structure``."""
    return _GROUP_OF_ROOT.get(structure.root, "5")


def build_metadata(
    structure: StructureSchema,
    s: DocState,
    rng: Random,
    version: int,
    set_oid: str,
    codesets: CodeSets,
    created: datetime,
) -> dict[str, Any]:
    """The metadata of version ``version`` of the set ``set_oid``, created at ``created``."""
    p = s.parties
    group = document_group(structure)
    tasks = codesets.resolve(f"urn:oid:{SERVICE_TASKS}")
    task_name = (tasks.display(s.service_task, s.lang) if tasks else None) or s.service_task
    task_system = f"urn:oid:{SERVICE_TASKS}" + (
        f".{tasks.version}" if tasks and tasks.version else ""
    )
    meta: dict[str, Any] = {
        "document_oid": f"{set_oid}.{version}",
        "set_oid": set_oid,
        "version": version,
    }
    if version > 1:
        meta["previous_version_oid"] = f"{set_oid}.{version - 1}"
    meta |= {
        "created": _timestamp(created),
        "effective_time": _timestamp(s.event),
        "language": s.lang,
        "storage_format": "json",
        "title": f"{structure.title(s.lang)}: {rng.choice(values.TITLE_TAILS[s.lang])}",
        "confidentiality": dict(DEFAULTS["confidentiality"]),
        # The structure number (1506.<n>); a group structure (1505.<g>) by its last arc too.
        "specific_document_type": {
            "system": SPECIFIC_TYPES,
            "code": structure.oid.rsplit(".", 1)[-1],
            "display": structure.title(s.lang),
        },
        "document_group": {
            "system": DOCUMENT_GROUPS,
            "code": group,
            "display": GROUP_DISPLAY[group],
        },
        "structure": structure_id_of(structure.oid, structure.version),
        "service_task": {"system": task_system, "code": s.service_task, "display": task_name},
        "register": dict(DEFAULTS["register"]),
        "record_status": dict(DEFAULTS["record_status"]),
        "file_format": dict(DEFAULTS["file_format"]),
        "structured_file_format": dict(DEFAULTS["structured_file_format"]),
        "controller": {"oid": p.controller.oid},
    }
    if p.funding in _ORGANISER_FUNDING:
        meta["organiser"] = {"oid": p.controller.oid}
    meta["service_unit_oid"] = p.unit.oid
    if rng.random() < 0.2:
        meta["patient_data"] = True
    meta["clients"] = [_client(c) for c in s.clients]
    if s.common_matter_oid:
        meta["common_matter_oid"] = s.common_matter_oid
    author: dict[str, str] = {
        "name": s.author_name,
        "role": s.author_title,
        "organisation_oid": p.author_org.oid,
    }
    if s.professional_id:
        author["professional_id"] = s.professional_id
    meta["author"] = author
    if "customership" in s.extra:
        meta["customership_oid"] = s.extra["customership"]
    if s.case_oid:
        meta["case_oid"] = s.case_oid
    if rng.random() < 0.1:
        meta["status"] = "invalidated"
        meta["invalidation"] = {
            "reason": "Kirjattu väärälle asiakkaalle" if s.lang == "fi" else "Fel klient",
            "time": _timestamp(created + timedelta(days=rng.randint(1, 30))),
        }
    if s.signed:
        meta["signature"] = {"signer": s.author_name, "signed_at": _timestamp(created)}
    if rng.random() < 0.2:
        meta["retention_class"] = dict(PERMANENT)
    return meta


def _client(client: Client) -> Mapping[str, Any]:
    entry: dict[str, Any] = (
        {"hetu": client.hetu} if client.hetu else {"temporary_id": client.metadata_temporary_id}
    )
    if client.non_disclosure:
        entry["non_disclosure"] = True
    return entry
