"""Rules that tie the content of one structure to the metadata (prose rules of Sosmeta)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kanta_archive.findings import Finding
from kanta_archive.rules.context import RuleContext, finding

CASE_ROOT = "asia_asiakirja"
CASE_CLOSED = "2"


def _case(ctx: RuleContext) -> Mapping[str, Any] | None:
    root = ctx.document.content.get(CASE_ROOT)
    if not isinstance(root, Mapping):
        return None
    details = root.get("asian_tiedot")
    return details if isinstance(details, Mapping) else None


def check_case_number(ctx: RuleContext) -> Iterator[Finding]:
    """The case number in a case document equals the case OID in the metadata."""
    details = _case(ctx)
    if details is None:
        return
    number = details.get("asianumero")
    if isinstance(number, str) and number != ctx.metadata.case_oid:
        yield finding(
            "KA-CASE-NUMBER",
            f"case number '{number}' differs from metadata case_oid "
            f"'{ctx.metadata.case_oid or '(none)'}'",
            f"/content/{CASE_ROOT}/asian_tiedot/asianumero",
        )


def check_case_end_date(ctx: RuleContext) -> Iterator[Finding]:
    """A closed case (state code 2) has an end date."""
    details = _case(ctx)
    if details is None:
        return
    state = details.get("tila")
    closed = isinstance(state, Mapping) and state.get("code") == CASE_CLOSED
    if closed and "paattymispaiva" not in details:
        yield finding(
            "KA-CASE-END-DATE",
            "the case is closed but has no end date (paattymispaiva)",
            f"/content/{CASE_ROOT}/asian_tiedot/paattymispaiva",
        )


def check_common_join_time(ctx: RuleContext) -> Iterator[Finding]:
    """A case shared as a common matter records when it was joined."""
    details = _case(ctx)
    if details is None:
        return
    shared = details.get("yhteinen_asia")
    if isinstance(shared, Mapping) and "liittymisaika" not in shared:
        yield finding(
            "KA-COMMON-JOIN-TIME",
            "the case is shared as a common matter but has no join time (liittymisaika)",
            f"/content/{CASE_ROOT}/asian_tiedot/yhteinen_asia/liittymisaika",
        )
