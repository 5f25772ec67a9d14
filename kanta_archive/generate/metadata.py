"""The phase-2 metadata of a generated document (``docs/metadata.md``), kept apart from the
content so that a change of the metadata model is a change of this module only.

It follows today's metadata model (``schemas/metadata.schema.json``) and holds every
metadata rule: the version chain, creation after the event, the controller by funding,
a common matter for several clients, the case OID the content's case number repeats, a
signature block only for a document that is signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from random import Random
from typing import Any

from kanta_archive.codesets import CodeSets
from kanta_archive.generate import values
from kanta_archive.generate.state import Client, DocState
from kanta_archive.schemas import StructureSchema

DOCUMENT_TYPES = "1.2.246.537.6.1503"
DOCUMENT_GROUPS = "1.2.246.537.6.1504"
SERVICE_TASKS = "1.2.246.537.6.1221"
CONTROLLER_TYPES = "1.2.246.537.5.40172"
CONTROLLER_TYPE_NAMES = {"1": "Julkinen", "2": "Yksityinen"}
RETENTION_BASIS = "Laki sosiaalihuollon asiakasasiakirjoista (254/2015), liite"

# Today's metadata model types a document by the codes of code systems 1503 (document type)
# and 1504 (document group), whose lists the project has not been able to check (none is
# shipped, so they go unchecked). The disclosure rules read type 4 as a consent and 5 as a
# ban; the cda work moves the metadata to the real model (kanta-cda.md).
_TYPE_BY_ROOT = {
    "asiakkuusasiakirja": ("2", "Asiakkuusasiakirja"),
    "asia_asiakirja": ("3", "Asia-asiakirja"),
    "luovutuslupa_asiakirja": ("4", "Luovutuslupa-asiakirja"),
    "kieltoasiakirja": ("5", "Kieltoasiakirja"),
}
_GROUP_OF_TYPE = {"1": "2", "2": "1", "3": "1", "4": "5", "5": "5"}


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _coded(oid: str, code: str, display: str) -> dict[str, str]:
    return {"system": f"urn:oid:{oid}", "code": code, "display": display}


def document_type(structure: StructureSchema) -> tuple[str, str]:
    """(code, name) of the metadata document type for documents of ``structure``."""
    return _TYPE_BY_ROOT.get(structure.root, ("1", structure.document_type or structure.title()))


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
    type_code, type_name = document_type(structure)
    group_code = _GROUP_OF_TYPE.get(type_code, "6")
    tasks = codesets.resolve(f"urn:oid:{SERVICE_TASKS}")
    task_name = (tasks.display(s.service_task, s.lang) if tasks else None) or s.service_task
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
        "document_type": _coded(DOCUMENT_TYPES, type_code, type_name),
        "document_group": _coded(DOCUMENT_GROUPS, group_code, structure.document_type or type_name),
        "structure": {"oid": structure.dated_oid, "version": structure.version},
        "service_task": _coded(SERVICE_TASKS, s.service_task, task_name),
        "controller": {
            "oid": p.controller.oid,
            "type": _coded(
                CONTROLLER_TYPES, p.controller_type, CONTROLLER_TYPE_NAMES[p.controller_type]
            ),
        },
        "service_funding": p.funding,
        "producer_oid": p.producer.oid,
        "service_unit_oid": p.unit.oid,
        "patient_data": rng.random() < 0.2,
        "clients": [_client(c) for c in s.clients],
    }
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
    invalidated = rng.random() < 0.1
    meta["status"] = "invalidated" if invalidated else "active"
    if invalidated:
        meta["invalidation"] = {
            "reason": "Kirjattu väärälle asiakkaalle" if s.lang == "fi" else "Fel klient",
            "time": _timestamp(created + timedelta(days=rng.randint(1, 30))),
        }
    if s.signed:
        meta["signature"] = {"signer": s.author_name, "signed_at": _timestamp(created)}
    if rng.random() < 0.2:
        retention: dict[str, str] = {"until": "permanent"}
    else:
        retention = {"until": f"{s.day.year + rng.choice((5, 12, 120))}-12-31"}
    if rng.random() < 0.7:
        retention["basis"] = RETENTION_BASIS
    meta["retention"] = retention
    return meta


def _client(client: Client) -> Mapping[str, Any]:
    entry: dict[str, Any] = (
        {"hetu": client.hetu} if client.hetu else {"temporary_id": client.metadata_temporary_id}
    )
    if client.non_disclosure:
        entry["non_disclosure"] = True
    return entry
