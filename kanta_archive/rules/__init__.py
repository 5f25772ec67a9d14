"""Domain rules: one function per rule, each registered here with its finding codes.

Adding a rule is adding one function (its docstring is its documentation), one
line below, its codes in ``catalogue.py``, and a valid and an invalid sample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kanta_archive.findings import Finding
from kanta_archive.rules import (
    cda_rules,
    content_rules,
    identifier_rules,
    metadata_rules,
    signature_rules,
)
from kanta_archive.rules.context import RuleContext


@dataclass(frozen=True)
class Rule:
    """A rule: the codes it may emit and the function that checks it."""

    codes: tuple[str, ...]
    check: Callable[[RuleContext], Iterable[Finding]]

    @property
    def doc(self) -> str:
        """The rule's documentation: the check function's docstring."""
        return " ".join((self.check.__doc__ or "").split())


RULES: tuple[Rule, ...] = (
    Rule(("KA-STORAGE-FORMAT",), metadata_rules.check_storage_format),
    Rule(("KA-OID-SYNTAX", "KA-BUSINESS-ID-INVALID"), identifier_rules.check_oids),
    Rule(
        ("KA-HETU-INVALID", "KA-HETU-TEST", "KA-TEMPID-INVALID"),
        identifier_rules.check_client_identifiers,
    ),
    Rule(("KA-CLIENT-ID",), identifier_rules.check_client_has_identifier),
    Rule(("KA-CLIENT-ID", "KA-ONE-OF-REQUIRED", "KA-REQUIRED-IF"), content_rules.check_prose_rules),
    Rule(("KA-DATE-INVALID",), identifier_rules.check_dates),
    Rule(("KA-CODE-UNKNOWN", "KA-CODE-DISPLAY"), identifier_rules.check_codes),
    Rule(("KA-VERSION-CHAIN",), metadata_rules.check_version_chain),
    Rule(("KA-TIME-ORDER",), metadata_rules.check_time_order),
    Rule(("KA-CLIENTS-COMMON-MATTER",), metadata_rules.check_common_matter),
    Rule(("KA-INVALIDATION",), metadata_rules.check_invalidation),
    Rule(("KA-CONTROLLER-PUBLIC", "KA-CONTROLLER-PRIVATE"), metadata_rules.check_controller),
    Rule(("KA-DOCUMENT-TYPE",), metadata_rules.check_specific_document_type),
    Rule(("KA-CLIENT-MISMATCH",), cda_rules.check_clients_match),
    Rule(("KA-CDA-FRAME",), cda_rules.check_frame),
    Rule(("KA-CASE-NUMBER",), content_rules.check_case_number),
    Rule(("KA-CASE-END-DATE",), content_rules.check_case_end_date),
    Rule(("KA-COMMON-JOIN-TIME",), content_rules.check_common_join_time),
    Rule(
        (
            "KA-SIGNATURE-MISSING",
            "KA-SIGNATURE-INVALID",
            "KA-SIGNATURE-UNTRUSTED",
            "KA-SIGNATURE-METADATA",
        ),
        signature_rules.check_signature,
    ),
)


def run_rules(ctx: RuleContext, rules: Iterable[Rule] = RULES) -> list[Finding]:
    """Run every rule on one document and collect the findings."""
    found: list[Finding] = []
    for rule in rules:
        found.extend(rule.check(ctx))
    return found


__all__ = ["RULES", "Rule", "RuleContext", "run_rules"]
