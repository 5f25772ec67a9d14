"""Upgrade metadata of the first kanta-archive model (model 1) to the national one (model 2).

Model 1 had stand-in code systems (document types 1.2.246.537.6.1503, groups
1.2.246.537.6.1504), a structure as ``{"oid", "version"}``, and fields the national
model has not (``service_funding``, ``producer_oid``, ``controller.type``,
``retention.until``). Model 2 carries what a real CDA document carries
(docs/metadata.md, docs/cda.md). :func:`upgrade_metadata` maps one to the other and
is idempotent: metadata already in model 2 comes back equal.

What cannot be mapped, and what the upgrade does instead (docs/metadata.md, "Upgrading"):

- the stand-in general document type has no real equivalent: it is dropped (the
  national form then says ``nullFlavor="NA"``); the specific document type becomes the
  structure number, as the national model defines it;
- the document group is taken from what the document is: a customership document 1,
  a case document 2, a disclosure consent 8, a disclosure ban 9 (the groups of the real
  group structures 1.2.246.537.6.1505.<group>), any other document 5;
- funding: with a service voucher, a purchased service or a payment commitment the
  controller was the organiser, so it becomes ``organiser``; own production and a
  private contract have no organiser. The producer is the author's organisation;
- a retention date has no retention class: only ``permanent`` becomes class 1; a date
  is dropped (the stored document keeps it);
- confidentiality, register, record status and the two file formats did not exist:
  they get the values every model-1 document had (social-welfare confidential 6, the
  social-welfare client register 1, complete 3, XHTML 1.1 (2) and JSON (5)).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kanta_archive.model import STRUCTURE_ARC, Metadata, structure_id_of

MODEL_VERSION = 2

_OLD_TYPE_GROUP = {"2": "1", "3": "2", "4": "8", "5": "9"}
GROUP_DISPLAY = {
    "1": "Asiakkuusasiakirja",
    "2": "Asia-asiakirja",
    "5": "Vaiheen 2 tai myöhempi asiakasasiakirja",
    "8": "Luovutuslupa-asiakirja",
    "9": "Kieltoasiakirja",
}
_ORGANISER_FUNDING = frozenset({"service_voucher", "purchased_service", "payment_commitment"})

DEFAULTS: Mapping[str, Mapping[str, str]] = {
    "confidentiality": {
        "system": "urn:oid:1.2.246.777.5.99902.2006",
        "code": "6",
        "display": "Sosiaalihuollon salassa pidettävä",
    },
    "register": {
        "system": "urn:oid:1.2.246.537.6.1264.201701",
        "code": "1",
        "display": "Sosiaalihuollon asiakasrekisteri",
    },
    "record_status": {
        "system": "urn:oid:1.2.246.537.5.40154.2008",
        "code": "3",
        "display": "Valmis",
    },
    "file_format": {
        "system": "urn:oid:1.2.246.537.6.1502.201601",
        "code": "2",
        "display": "XHTML_1.1",
    },
    "structured_file_format": {
        "system": "urn:oid:1.2.246.537.5.40179.2008",
        "code": "5",
        "display": "JSON",
    },
}
PERMANENT = {
    "system": "urn:oid:1.2.246.537.6.1258.201601",
    "code": "1",
    "display": "Säilytetään pysyvästi",
}


def is_model_1(raw: Mapping[str, Any]) -> bool:
    """Whether ``raw`` is metadata of the first model (needs :func:`upgrade_metadata`)."""
    return (
        isinstance(raw.get("structure"), Mapping)
        or any(key in raw for key in ("service_funding", "producer_oid", "retention"))
        or (isinstance(raw.get("controller"), Mapping) and "type" in raw["controller"])
    )


def _group_code(old_type: Any) -> str:
    code = old_type.get("code") if isinstance(old_type, Mapping) else None
    return _OLD_TYPE_GROUP.get(code if isinstance(code, str) else "", "5")


def upgrade_metadata(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Model-1 metadata -> model-2 metadata; model-2 metadata comes back as an equal copy.

    Keys keep their order where they survive; new keys follow the national model's
    order. Values the upgrade cannot read (a structure without an OID) are left for
    validation to report rather than guessed.
    """
    if not is_model_1(raw):
        return dict(raw)
    old = dict(raw)
    new: dict[str, Any] = {}
    for key in ("document_oid", "set_oid", "version", "previous_version_oid"):
        if key in old:
            new[key] = old[key]
    for key in ("created", "effective_time", "language", "storage_format", "title"):
        if key in old:
            new[key] = old[key]
    new["confidentiality"] = dict(DEFAULTS["confidentiality"])
    structure = old.get("structure")
    if isinstance(structure, Mapping):
        oid, version = structure.get("oid"), structure.get("version")
        if isinstance(oid, str) and isinstance(version, str) and _is_date(version):
            new["structure"] = structure_id_of(oid, version)
            number = oid[len(STRUCTURE_ARC) + 1 :] if oid.startswith(STRUCTURE_ARC + ".") else None
            display = (old.get("document_type") or {}).get("display")
            if number and "." not in number:
                new["specific_document_type"] = {
                    "system": "urn:oid:1.2.246.537.6.1506.201701",
                    "code": number,
                    "display": display if isinstance(display, str) else number,
                }
        else:
            new["structure"] = structure  # left for the schema to report
    elif structure is not None:
        new["structure"] = structure
    group = _group_code(old.get("document_type"))
    new["document_group"] = {
        "system": "urn:oid:1.2.246.537.6.1505.201601",
        "code": group,
        "display": GROUP_DISPLAY[group],
    }
    if "service_task" in old:
        new["service_task"] = old["service_task"]
    new["register"] = dict(DEFAULTS["register"])
    new["record_status"] = dict(DEFAULTS["record_status"])
    retention = old.get("retention")
    if isinstance(retention, Mapping) and retention.get("until") == "permanent":
        new["retention_class"] = dict(PERMANENT)
    new["file_format"] = dict(DEFAULTS["file_format"])
    new["structured_file_format"] = dict(DEFAULTS["structured_file_format"])
    controller = old.get("controller")
    if isinstance(controller, Mapping):
        new["controller"] = {k: v for k, v in controller.items() if k != "type"}
    elif controller is not None:
        new["controller"] = controller
    if old.get("service_funding") in _ORGANISER_FUNDING and isinstance(controller, Mapping):
        new["organiser"] = {"oid": controller.get("oid")}
    for key in ("service_unit_oid",):
        if key in old:
            new[key] = old[key]
    if "patient_data" in old and old["patient_data"] is not False:
        new["patient_data"] = old["patient_data"]  # false is the default; others kept
    for key in ("clients", "common_matter_oid"):
        if key in old:
            new[key] = old[key]
    author = old.get("author")
    if isinstance(author, Mapping):
        author = dict(author)
        if "organisation_oid" not in author and isinstance(old.get("producer_oid"), str):
            author["organisation_oid"] = old["producer_oid"]
    if author is not None:
        new["author"] = author
    for key in ("customership_oid", "case_oid", "status", "invalidation", "signature"):
        if key in old:
            new[key] = old[key]
    # Anything else (unknown to model 1 too) stays, for validation to report.
    known = {
        "structure",
        "document_type",
        "document_group",
        "retention",
        "service_funding",
        "producer_oid",
        "controller",
        "patient_data",
        "author",
    }
    for key, value in old.items():
        if key not in new and key not in known:
            new[key] = value
    return new


def _is_date(text: str) -> bool:
    parts = text.split("-")
    return len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts)


# The objects of model 1's metadata: an empty element of these is an empty object.
_MODEL_1_OBJECTS = frozenset(
    {
        "metadata", "client", "controller", "type", "structure", "author", "invalidation",
        "signature", "retention", "document_type", "document_group", "service_task",
    }
)  # fmt: skip


def _model_1_value(el: Any, name: str) -> Any:
    """A ``ka:metadata`` element read the way model 1 wrote it (its schema is gone)."""
    from lxml import etree

    children = [c for c in el if isinstance(c.tag, str)]
    if name == "clients":
        return [_model_1_value(c, "client") for c in children]
    text = "".join(el.itertext())
    if children or (name in _MODEL_1_OBJECTS and not text.strip()):
        return {
            etree.QName(c).localname: _model_1_value(c, etree.QName(c).localname) for c in children
        }
    if name == "version" and text.strip().isdigit():
        return int(text.strip())
    if name in ("patient_data", "non_disclosure") and text.strip() in ("true", "false"):
        return text.strip() == "true"
    return text


def upgrade_document_bytes(data: bytes, source: str, registry: Any = None) -> bytes | None:
    """The document in ``data`` with its metadata upgraded, in the same storage form.

    None when the metadata is already model 2 (nothing to write). JSON is written
    two-space indented; XHTML is rendered again from the upgraded model (labels from
    the structure schema). A signature does not survive: the caller signs again.
    Unreadable input raises :class:`~kanta_archive.errors.InputError`.
    """
    import json

    from kanta_archive.formats.xhtml_writer import render_xhtml
    from kanta_archive.render import load_for_render
    from kanta_archive.schemas import SchemaRegistry

    document = load_for_render(data, source)
    raw: Mapping[str, Any] = document.metadata_raw
    if document.format == "xhtml" and document.xml is not None:
        raw = _model_1_value(document.xml.metadata, "metadata")
    if not is_model_1(raw):
        return None
    metadata = upgrade_metadata(raw)
    if document.format == "json":
        text = json.dumps(
            {"metadata": metadata, "content": document.content}, ensure_ascii=False, indent=2
        )
        return (text + "\n").encode("utf-8")
    key = Metadata.from_raw(metadata).schema_key
    structure = (registry or SchemaRegistry()).get(*key) if key else None
    return render_xhtml(
        metadata,
        document.content,
        structure.schema if structure else None,
        keep_storage_format=True,
    )
