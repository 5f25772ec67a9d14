"""Rules on the content of a structure: the Sosmeta prose rules, and the case document's
rules that tie its content to the metadata.

The case document is THL's ``asia_asiakirja`` (structure 1.2.246.537.6.1505.2): its case
number is ``asian_tiedot/asiatunnus/value``, its state ``asian_tiedot/tila`` (code system
1.2.246.537.6.1501), a shared case says ``asian_tiedot/yhteinen_asia: true`` and each
client's ``asiaan_liittymishetki`` records when the client joined it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kanta_archive.findings import Finding
from kanta_archive.rules.context import RuleContext, finding

CASE_ROOT = "asia_asiakirja"
# The code list of the case state (1.2.246.537.6.1501) was not available to check, so a
# closed case is recognised by the state's name, as the document gives it (docs/rules.md).
CLOSED_NAMES = frozenset({"suljettu", "päättynyt", "stängd", "avslutad", "closed"})


def check_prose_rules(ctx: RuleContext) -> Iterator[Finding]:
    """The structure's ``conditionalRequired`` prose rules that follow a recognised pattern
    (rules/prose.py): one of several fields is given (for a client's identifiers
    ``KA-CLIENT-ID``, by the alternatives of that structure), or a field is given when its
    condition holds. Rules in other prose are listed in the docs as not machine-readable."""
    yield from ctx.facts.prose


def _case(ctx: RuleContext) -> Mapping[str, Any] | None:
    root = ctx.document.content.get(CASE_ROOT)
    if not isinstance(root, Mapping):
        return None
    details = root.get("asian_tiedot")
    return details if isinstance(details, Mapping) else None


def check_case_number(ctx: RuleContext) -> Iterator[Finding]:
    """The case number of a case document (``asian_tiedot/asiatunnus/value``) equals the
    case OID in the metadata."""
    details = _case(ctx)
    number = details.get("asiatunnus") if details else None
    value = number.get("value") if isinstance(number, Mapping) else None
    if isinstance(value, str) and value != ctx.metadata.case_oid:
        yield finding(
            "KA-CASE-NUMBER",
            f"case number '{value}' differs from metadata case_oid "
            f"'{ctx.metadata.case_oid or '(none)'}'",
            f"/content/{CASE_ROOT}/asian_tiedot/asiatunnus/value",
        )


def is_closed(state: Any) -> bool:
    """Whether a case state ``{system, code, display}`` names a closed case (by its name)."""
    if not isinstance(state, Mapping):
        return False
    display = state.get("display")
    return isinstance(display, str) and " ".join(display.split()).casefold() in CLOSED_NAMES


def check_case_end_date(ctx: RuleContext) -> Iterator[Finding]:
    """A closed case ("Jos asia on suljettu, kenttä on pakollinen": its ``tila`` is named
    Suljettu / Päättynyt) has an end date (``paattymispaiva``)."""
    details = _case(ctx)
    if details is not None and is_closed(details.get("tila")) and not details.get("paattymispaiva"):
        yield finding(
            "KA-CASE-END-DATE",
            "the case is closed but has no end date (paattymispaiva)",
            f"/content/{CASE_ROOT}/asian_tiedot/paattymispaiva",
        )


def check_common_join_time(ctx: RuleContext) -> Iterator[Finding]:
    """In a case shared as a common matter (``asian_tiedot/yhteinen_asia: true``) every client
    has a join time ("asiakkaiden asiaan liittymishetket on kirjattava")."""
    details = _case(ctx)
    if details is None or details.get("yhteinen_asia") is not True:
        return
    clients = ctx.document.content[CASE_ROOT].get("asiakas")
    for i, client in enumerate(clients if isinstance(clients, list) else []):
        if isinstance(client, Mapping) and not client.get("asiaan_liittymishetki"):
            yield finding(
                "KA-COMMON-JOIN-TIME",
                "the case is a common matter but this client has no join time "
                "(asiaan_liittymishetki)",
                f"/content/{CASE_ROOT}/asiakas/{i}/asiaan_liittymishetki",
            )
