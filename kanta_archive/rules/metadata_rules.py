"""Cross-field rules on the metadata (the prose rules no JSON Schema can express)."""

from __future__ import annotations

from collections.abc import Iterator

from kanta_archive.findings import Finding
from kanta_archive.identifiers import parse_datetime
from kanta_archive.model import (
    FUNDING_COMMITMENT,
    FUNDING_OWN,
    FUNDING_PRIVATE,
    FUNDING_PURCHASED,
    FUNDING_VOUCHER,
    PRIVATE,
    PUBLIC,
)
from kanta_archive.rules.context import RuleContext, finding


def check_storage_format(ctx: RuleContext) -> Iterator[Finding]:
    """The metadata ``storage_format`` must name the form the file is actually in."""
    declared = ctx.metadata.storage_format
    if declared in ("json", "xhtml") and declared != ctx.document.format:
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


_PUBLIC_FUNDING = (FUNDING_OWN, FUNDING_VOUCHER, FUNDING_PURCHASED, FUNDING_COMMITMENT)


def check_controller(ctx: RuleContext) -> Iterator[Finding]:
    """Who is controller depends on how the service is funded (the seeds' controller rules).

    Own production, service vouchers, purchased services and payment commitments:
    the public organiser is controller, never the private producer. A private
    controller only for a client-paid private contract, and then it is the
    producer itself.
    """
    meta = ctx.metadata
    if meta.controller_type is None:
        return  # no controller type at all: the metadata schema reports it
    kind = meta.controller_type.code
    if meta.service_funding in _PUBLIC_FUNDING:
        if kind != PUBLIC:
            yield finding(
                "KA-CONTROLLER-PUBLIC",
                f"with {meta.service_funding} the controller must be a public organiser "
                f"(controller type 1), not type {kind}",
                "/metadata/controller/type",
            )
        elif meta.service_funding != FUNDING_OWN and meta.controller_oid == meta.producer_oid:
            yield finding(
                "KA-CONTROLLER-PUBLIC",
                f"with {meta.service_funding} the producer cannot be the controller: the "
                "public organiser is",
                "/metadata/controller/type",
            )
    elif meta.service_funding == FUNDING_PRIVATE and (
        kind != PRIVATE or meta.controller_oid != meta.producer_oid
    ):
        yield finding(
            "KA-CONTROLLER-PRIVATE",
            "a client-paid private contract must have the private producer itself as "
            "controller (controller type 2, controller OID = producer OID)",
            "/metadata/controller",
        )
