"""Cross-field rules on the metadata (the prose rules no JSON Schema can express)."""

from __future__ import annotations

from collections.abc import Iterator

from kanta_archive.findings import Finding
from kanta_archive.identifiers import parse_datetime
from kanta_archive.model import STRUCTURE_ARC
from kanta_archive.rules.context import RuleContext, finding


def check_storage_format(ctx: RuleContext) -> Iterator[Finding]:
    """The metadata ``storage_format`` must name the form the file is actually in."""
    declared = ctx.metadata.storage_format
    if declared in ("json", "xhtml", "cda") and declared != ctx.document.format:
        yield finding(
            "KA-STORAGE-FORMAT",
            f"storage_format is '{declared}' but the document is {ctx.document.format}",
            "/metadata/storage_format",
        )


def check_version_chain(ctx: RuleContext) -> Iterator[Finding]:
    """Version 1 has no previous version; every later version names its previous one."""
    meta = ctx.metadata
    if meta.version is None or meta.version < 1:
        return
    if meta.version == 1 and meta.previous_version_oid is not None:
        yield finding(
            "KA-VERSION-CHAIN",
            "version 1 cannot have a previous_version_oid",
            "/metadata/previous_version_oid",
        )
    elif meta.version > 1 and meta.previous_version_oid is None:
        yield finding(
            "KA-VERSION-CHAIN",
            f"version {meta.version} must name its previous_version_oid",
            "/metadata/previous_version_oid",
        )


def check_time_order(ctx: RuleContext) -> Iterator[Finding]:
    """The effective (event) time cannot be after the document's creation time."""
    meta = ctx.metadata
    if not meta.effective_time or not meta.created:
        return
    try:
        effective, created = parse_datetime(meta.effective_time), parse_datetime(meta.created)
    except ValueError:
        return  # reported by the date rule
    if effective > created:
        yield finding(
            "KA-TIME-ORDER",
            f"effective_time {meta.effective_time} is after created {meta.created}",
            "/metadata/effective_time",
        )


def check_common_matter(ctx: RuleContext) -> Iterator[Finding]:
    """A document may have several clients only as a common matter (with its OID)."""
    if len(ctx.metadata.clients) > 1 and ctx.metadata.common_matter_oid is None:
        yield finding(
            "KA-CLIENTS-COMMON-MATTER",
            f"{len(ctx.metadata.clients)} clients but no common_matter_oid",
            "/metadata/common_matter_oid",
        )


def check_invalidation(ctx: RuleContext) -> Iterator[Finding]:
    """An invalidated document records why and when it was invalidated."""
    if ctx.metadata.status == "invalidated" and "invalidation" not in ctx.document.metadata_raw:
        yield finding(
            "KA-INVALIDATION",
            "status is 'invalidated' but there is no invalidation reason",
            "/metadata/invalidation",
        )


def check_controller(ctx: RuleContext) -> Iterator[Finding]:
    """Who is controller (the seeds' controller rules, in the national model's terms:
    controller = CDA ``custodian``, organiser = ``outsourcingServiceCustomer``,
    producer = the author's organisation).

    A service produced for an organiser (a service voucher, a purchased service, a
    payment commitment, a producer using the organiser's register) belongs to the
    organiser's register: the controller is the organiser, never the producer. Without
    an organiser the producer acts on its own (own production, or a private service the
    client pays for) and is itself the controller.
    """
    meta = ctx.metadata
    producer = meta.producer_oid
    if meta.controller_oid is None or producer is None:
        return  # a missing controller or producer is reported by the metadata schema
    if meta.organiser_oid is not None:
        if meta.controller_oid != meta.organiser_oid:
            yield finding(
                "KA-CONTROLLER-PUBLIC",
                f"the service is produced for the organiser {meta.organiser_oid}, so the "
                f"organiser is the controller, not {meta.controller_oid}",
                "/metadata/controller/oid",
            )
    elif meta.controller_oid != producer:
        yield finding(
            "KA-CONTROLLER-PRIVATE",
            f"without an organiser the producer {producer} (the author's organisation) is "
            f"itself the controller, not {meta.controller_oid}",
            "/metadata/controller/oid",
        )


def check_specific_document_type(ctx: RuleContext) -> Iterator[Finding]:
    """The specific document type of a document whose structure is
    ``1.2.246.537.6.1506.<n>`` is ``<n>``: the national model numbers the two alike."""
    meta = ctx.metadata
    oid, specific = meta.structure_oid, meta.specific_document_type
    if oid is None or specific is None or specific.code is None:
        return
    if not oid.startswith(STRUCTURE_ARC + "."):
        return  # group documents (1.2.246.537.6.1505.<group>) are not numbered so
    number = oid[len(STRUCTURE_ARC) + 1 :]
    if specific.code != number:
        yield finding(
            "KA-DOCUMENT-TYPE",
            f"specific document type {specific.code} differs from the structure number "
            f"{number} of {meta.structure_id}",
            "/metadata/specific_document_type/code",
        )
