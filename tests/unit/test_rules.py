"""Every domain rule in ``kanta_archive.rules.RULES``: a passing and a failing case.

Cases start from a valid sample read with ``read_bytes`` and change one thing in code
(``dataclasses.replace`` on the Document). Each test is registered with ``@covers`` so
that ``test_every_rule_has_a_passing_and_a_failing_case`` notices a rule without tests.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kanta_archive.codesets import load_codesets
from kanta_archive.findings import Finding, Severity
from kanta_archive.formats import read_bytes
from kanta_archive.model import Document
from kanta_archive.rules import RULES, RuleContext, run_rules
from kanta_archive.rules import cda_rules as xr
from kanta_archive.rules import content_rules as cr
from kanta_archive.rules import identifier_rules as ir
from kanta_archive.rules import metadata_rules as mr
from kanta_archive.rules import signature_rules as sr
from kanta_archive.schemas import SchemaRegistry
from kanta_archive.validate import Validator

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
TODAY = date(2025, 6, 1)
CODESETS = load_codesets()
REGISTRY = SchemaRegistry()
ENTRY = "merkinta_tapaamisesta_tai_yhteydenotosta"  # the client record entry's root
NON_TEST_HETU = "131052-308T"  # individual number 308: a real-looking, not a test, HETU

Check = Callable[[RuleContext], Iterable[Finding]]
F = TypeVar("F", bound=Callable[..., None])
COVERED: dict[str, set[str]] = {}


def covers(check: Check, kind: str) -> Callable[[F], F]:
    """Register the decorated test as a ``pass`` or ``fail`` case of ``check``."""
    assert kind in ("pass", "fail")

    def mark(test: F) -> F:
        COVERED.setdefault(check.__name__, set()).add(kind)
        return test

    return mark


def load(name: str, fmt: str = "json") -> Document:
    path = VALID / f"{name}.{fmt}"
    outcome = read_bytes(path.read_bytes(), str(path))
    assert outcome.document is not None, outcome.findings
    return outcome.document


def edit(document: Document, change: Callable[[dict[str, Any], dict[str, Any]], None]) -> Document:
    """A copy of ``document`` with ``change(metadata, content)`` applied to deep copies."""
    metadata = copy.deepcopy(dict(document.metadata_raw))
    content = copy.deepcopy(dict(document.content))
    change(metadata, content)
    return replace(document, metadata_raw=metadata, content=content)


def context(document: Document) -> RuleContext:
    """The rule context of ``document``, walked beside its structure's plan."""
    key = document.metadata.schema_key
    structure = REGISTRY.get(*key) if key else None
    plan = REGISTRY.plan(structure) if structure else None
    return RuleContext.build(document, CODESETS, TODAY, plan=plan)


def check(rule: Check, document: Document) -> set[tuple[str, str, str]]:
    """The finding keys one rule function gives for ``document``."""
    return {f.key() for f in rule(context(document))}


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(today=TODAY)


def errors(validator: Validator, document: Document) -> set[tuple[str, str, str]]:
    return {f.key() for f in validator.validate_document(document) if f.severity is Severity.ERROR}


def refused(validator: Validator, rule: Check, document: Document) -> set[tuple[str, str, str]]:
    """The errors ``rule`` gives, after checking that the pipeline reports each of them too.

    Other rules may add findings of their own (e.g. a signature broken by the change), so
    the pipeline's result is checked for inclusion; exact sets are the samples' job.
    """
    keys = {key for key in check(rule, document) if key[1] == "error"}
    assert keys <= errors(validator, document)
    return keys


def err(code: str, pointer: str) -> tuple[str, str, str]:
    return (code, "error", pointer)


# -- storage format -------------------------------------------------------------------------


@covers(mr.check_storage_format, "pass")
@pytest.mark.parametrize("fmt", ["json", "xhtml"])
def test_storage_format_matching_the_file_passes(fmt: str) -> None:
    assert check(mr.check_storage_format, load("disclosure-ban", fmt)) == set()


@covers(mr.check_storage_format, "fail")
def test_storage_format_xhtml_in_a_json_file_is_refused(validator: Validator) -> None:
    doc = edit(load("disclosure-ban"), lambda m, c: m.update(storage_format="xhtml"))
    assert refused(validator, mr.check_storage_format, doc) == {
        err("KA-STORAGE-FORMAT", "/metadata/storage_format")
    }


@covers(mr.check_storage_format, "fail")
def test_storage_format_json_in_an_xhtml_file_is_refused() -> None:
    doc = edit(load("disclosure-ban", "xhtml"), lambda m, c: m.update(storage_format="json"))
    assert check(mr.check_storage_format, doc) == {
        err("KA-STORAGE-FORMAT", "/metadata/storage_format")
    }


# -- OIDs and business IDs ------------------------------------------------------------------


@covers(ir.check_oids, "pass")
def test_oids_of_a_valid_sample_pass() -> None:
    assert check(ir.check_oids, load("customership-service-voucher")) == set()


@covers(ir.check_oids, "fail")
def test_oid_with_second_arc_over_39_is_refused(validator: Validator) -> None:
    doc = edit(load("case-document-open"), lambda m, c: m.update(customership_oid="1.45.246.1"))
    assert refused(validator, ir.check_oids, doc) == {
        err("KA-OID-SYNTAX", "/metadata/customership_oid")
    }


@covers(ir.check_oids, "fail")
def test_organisation_oid_with_wrong_business_id_check_digit_is_refused(
    validator: Validator,
) -> None:
    doc = edit(
        load("case-document-open"),
        lambda m, c: m["author"].update(organisation_oid="1.2.246.10.91000012"),
    )
    assert refused(validator, ir.check_oids, doc) == {
        err("KA-BUSINESS-ID-INVALID", "/metadata/author/organisation_oid")
    }


def test_business_id_is_not_checked_in_non_organisation_oids() -> None:
    """A document OID under 1.2.246.10.<digits> is an OID, not an organisation."""
    doc = edit(
        load("case-document-open"),
        lambda m, c: m.update(document_oid="1.2.246.10.91000012.11.1.1"),
    )
    assert check(ir.check_oids, doc) == set()


# -- client identifiers ---------------------------------------------------------------------


def _set_hetu(hetu: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(m: dict[str, Any], c: dict[str, Any]) -> None:
        m["clients"][0]["hetu"] = hetu
        c[ENTRY]["asiakas"][0]["henkilotunnus"]["value"] = hetu

    return change


@covers(ir.check_client_identifiers, "pass")
def test_client_identifiers_with_a_real_hetu_pass_without_warning() -> None:
    doc = edit(load("client-record-entry"), _set_hetu(NON_TEST_HETU))
    assert check(ir.check_client_identifiers, doc) == set()


@covers(ir.check_client_identifiers, "pass")
def test_client_identifiers_with_a_valid_temporary_id_pass() -> None:
    assert check(ir.check_client_identifiers, load("client-record-entry-temporary-id")) == set()


def test_client_identifiers_test_hetu_is_warned_once_per_document() -> None:
    found = check(ir.check_client_identifiers, load("client-record-entry"))
    assert found == {("KA-HETU-TEST", "warning", "/metadata/clients/0/hetu")}


@covers(ir.check_client_identifiers, "fail")
@pytest.mark.parametrize(
    "hetu",
    ["131052-308U", "311352-308T", "131052Z308T"],
    ids=["wrong-check-char", "impossible-date", "bad-century-sign"],
)
def test_client_identifiers_invalid_hetu_is_refused(hetu: str) -> None:
    doc = edit(load("client-record-entry"), lambda m, c: m["clients"][0].update(hetu=hetu))
    found = check(ir.check_client_identifiers, doc)
    assert err("KA-HETU-INVALID", "/metadata/clients/0/hetu") in found


@covers(ir.check_client_identifiers, "fail")
def test_client_identifiers_invalid_hetu_in_content_is_refused(validator: Validator) -> None:
    def change(m: dict[str, Any], c: dict[str, Any]) -> None:
        c[ENTRY]["asiakas"][0]["henkilotunnus"]["value"] = "150612A904T"

    doc = edit(load("client-record-entry"), change)
    assert refused(validator, ir.check_client_identifiers, doc) == {
        err("KA-HETU-INVALID", f"/content/{ENTRY}/asiakas/0/henkilotunnus/value")
    }


@covers(ir.check_client_identifiers, "fail")
@pytest.mark.parametrize(
    "temporary_id",
    ["1.2.246.10.91000021.22.2026.3", "1.2.246.10.91000020.22.2024.3", "1.2.246.10.91000021.22"],
    ids=["future-year", "bad-business-id", "no-year"],
)
def test_client_identifiers_invalid_temporary_id_is_refused(temporary_id: str) -> None:
    doc = edit(
        load("client-record-entry-temporary-id"),
        lambda m, c: m["clients"][0].update(temporary_id=temporary_id),
    )
    assert check(ir.check_client_identifiers, doc) == {
        err("KA-TEMPID-INVALID", "/metadata/clients/0/temporary_id")
    }


TEMP = f"/content/{ENTRY}/asiakas/0/tilapainen_yksilointitunnus"


def test_the_national_example_temporary_identifier_passes() -> None:
    """010111A998W (the real example) does not carry a HETU's check character: no finding."""
    doc = load("client-record-entry-temporary-id")
    assert doc.content[ENTRY]["asiakas"][0]["tilapainen_yksilointitunnus"]["value"] == "010111A998W"
    assert check(ir.check_client_identifiers, doc) == set()


@covers(ir.check_client_identifiers, "fail")
@pytest.mark.parametrize(
    ("member", "value", "where"),
    [
        ("value", "010111A198W", "value"),  # individual number outside 900-999
        ("value", "310211A998W", "value"),  # no 31 February
        ("value", "1.2.246.10.91000021.22.2024.3", "value"),  # an OID is not the value
        ("system", "1.2.246.10.91000021.22.2999", "system"),  # a future year
        ("system", "1.2.246.10.91000020.22.2024", "system"),  # a bad business ID
        ("system", "1.2.246.10.91000021.21.2024", "system"),  # not the .22 arc
    ],
)
def test_content_temporary_identifier_is_checked(member: str, value: str, where: str) -> None:
    doc = edit(
        load("client-record-entry-temporary-id"),
        lambda m, c: c[ENTRY]["asiakas"][0]["tilapainen_yksilointitunnus"].update({member: value}),
    )
    assert check(ir.check_client_identifiers, doc) == {err("KA-TEMPID-INVALID", f"{TEMP}/{where}")}


# -- client has an identifier ---------------------------------------------------------------


@covers(ir.check_client_has_identifier, "pass")
@pytest.mark.parametrize("sample", ["client-record-entry", "client-record-entry-temporary-id"])
def test_client_with_hetu_or_temporary_id_passes(sample: str) -> None:
    assert check(ir.check_client_has_identifier, load(sample)) == set()


@covers(ir.check_client_has_identifier, "fail")
def test_metadata_client_without_identifier_is_refused(validator: Validator) -> None:
    doc = edit(load("client-record-entry"), lambda m, c: m["clients"][0].pop("hetu"))
    assert refused(validator, ir.check_client_has_identifier, doc) == {
        err("KA-CLIENT-ID", "/metadata/clients/0")
    }


@covers(cr.check_prose_rules, "fail")
def test_content_client_without_identifier_is_refused(validator: Validator) -> None:
    doc = edit(
        load("client-record-entry"), lambda m, c: c[ENTRY]["asiakas"][0].pop("henkilotunnus")
    )
    assert refused(validator, cr.check_prose_rules, doc) == {
        err("KA-CLIENT-ID", f"/content/{ENTRY}/asiakas/0")
    }


@covers(cr.check_prose_rules, "pass")
@pytest.mark.parametrize(
    "sample", ["client-record-entry", "client-record-entry-temporary-id", "case-document-open"]
)
def test_a_client_identified_by_either_alternative_passes(sample: str) -> None:
    assert check(cr.check_prose_rules, load(sample)) == set()


@covers(cr.check_prose_rules, "fail")
def test_a_required_if_prose_rule_is_enforced(validator: Validator) -> None:
    """Case name "99 Muu" requires lisatieto_luokkaan_muu (the export's prose)."""
    doc = edit(
        load("case-document-open"),
        lambda m, c: c["asia_asiakirja"]["asian_tiedot"].pop("lisatieto_luokkaan_muu"),
    )
    assert refused(validator, cr.check_prose_rules, doc) == {
        err("KA-REQUIRED-IF", "/content/asia_asiakirja/asian_tiedot/lisatieto_luokkaan_muu")
    }


def test_a_required_if_rule_does_not_apply_when_its_condition_does_not_hold() -> None:
    def change(m: dict[str, Any], c: dict[str, Any]) -> None:
        details = c["asia_asiakirja"]["asian_tiedot"]
        details.pop("lisatieto_luokkaan_muu")
        details["nimi"]["code"] = "1"

    assert check(cr.check_prose_rules, edit(load("case-document-open"), change)) == set()


# -- dates ---------------------------------------------------------------------------------


@covers(ir.check_dates, "pass")
def test_dates_of_a_valid_sample_pass() -> None:
    doc = edit(load("disclosure-consent"), lambda m, c: m.update(created="2024-02-29T10:00:00Z"))
    assert check(ir.check_dates, doc) == set()


CONSENT_GIVEN = "/content/luovutuslupa_asiakirja/voimassa_oleva_luovutuslupa"


@covers(ir.check_dates, "fail")
def test_impossible_content_date_is_refused(validator: Validator) -> None:
    doc = edit(
        load("disclosure-consent"),
        lambda m, c: c["luovutuslupa_asiakirja"]["voimassa_oleva_luovutuslupa"].update(
            luovutusluvan_antamisen_ajankohta="2025-02-29"
        ),
    )
    assert refused(validator, ir.check_dates, doc) == {
        err("KA-DATE-INVALID", f"{CONSENT_GIVEN}/luovutusluvan_antamisen_ajankohta")
    }


@pytest.mark.parametrize("text", ["2024-45", "2024-02-31", "2024-13"])
def test_free_text_that_looks_like_a_date_is_not_checked(text: str) -> None:
    """lisatiedot is free text in its schema: only date fields are dates."""
    doc = edit(
        load("service-needs-assessment"),
        lambda m, c: c["sosiaalihuollon_palvelutarpeen_arvio"].update(lisatiedot=text),
    )
    assert check(ir.check_dates, doc) == set()


@covers(ir.check_dates, "fail")
@pytest.mark.parametrize(
    ("field", "value"),
    [("created", "2024-07-32T10:00:00+03:00"), ("effective_time", "2024-06-31T10:00:00+03:00")],
)
def test_impossible_metadata_time_is_refused(validator: Validator, field: str, value: str) -> None:
    doc = edit(load("disclosure-consent"), lambda m, c: m.update({field: value}))
    assert refused(validator, ir.check_dates, doc) == {err("KA-DATE-INVALID", f"/metadata/{field}")}


@covers(ir.check_dates, "fail")
def test_impossible_invalidation_time_is_refused() -> None:
    doc = edit(
        load("disclosure-consent"),
        lambda m, c: m.update(invalidation={"reason": "x", "time": "2030-02-29T10:00:00Z"}),
    )
    assert check(ir.check_dates, doc) == {err("KA-DATE-INVALID", "/metadata/invalidation/time")}


# -- codes ----------------------------------------------------------------------------------


@covers(ir.check_codes, "pass")
def test_known_codes_pass() -> None:
    assert check(ir.check_codes, load("service-needs-assessment")) == set()


@covers(ir.check_codes, "fail")
def test_unknown_code_in_a_complete_code_set_is_refused() -> None:
    """With a complete code set of the service task (as one imported from the code server
    would be), a code it does not list is an error, in the metadata and in the content."""
    from kanta_archive.codesets import CodeSet, CodeSets

    tasks = CodeSet("1.2.246.537.6.1221", {}, {"24": {"fi": "Lapsiperheiden palvelut"}},
                    version="201601")  # fmt: skip
    complete = CodeSets({**CODESETS, tasks.oid: tasks})

    def change(m: dict[str, Any], c: dict[str, Any]) -> None:
        m["service_task"]["code"] = "9"
        c["sosiaalihuollon_palvelutarpeen_arvio"]["palvelutehtava"]["code"] = "9"

    document = edit(load("service-needs-assessment"), change)
    key = document.metadata.schema_key
    structure = REGISTRY.get(*key) if key else None
    plan = REGISTRY.plan(structure) if structure else None
    found = {
        f.key() for f in ir.check_codes(RuleContext.build(document, complete, TODAY, plan=plan))
    }
    assert found == {
        err("KA-CODE-UNKNOWN", "/metadata/service_task/code"),
        err("KA-CODE-UNKNOWN", "/content/sosiaalihuollon_palvelutarpeen_arvio/palvelutehtava/code"),
    }
    assert check(ir.check_codes, document) == set()  # the shipped 1221 is partial


def test_unknown_code_in_a_partial_code_set_is_not_an_error() -> None:
    """1221 is shipped with the one code checked (24): another code is not judged."""
    doc = edit(load("service-needs-assessment"), lambda m, c: m["service_task"].update(code="99"))
    assert check(ir.check_codes, doc) == set()


@covers(ir.check_codes, "fail")
def test_a_versioned_system_finds_its_code_set_and_checks_the_display() -> None:
    def change(m: dict[str, Any], c: dict[str, Any]) -> None:
        task = c["sosiaalihuollon_palvelutarpeen_arvio"]["palvelutehtava"]
        assert task["system"] == "urn:oid:1.2.246.537.6.1221.201601"
        task["display"] = "Lastensuojelu"

    doc = edit(load("service-needs-assessment"), change)
    assert check(ir.check_codes, doc) == {
        ("KA-CODE-DISPLAY", "warning",
         "/content/sosiaalihuollon_palvelutarpeen_arvio/palvelutehtava/display")
    }  # fmt: skip


def test_code_of_a_code_set_that_is_not_loaded_is_noted_never_refused() -> None:
    doc = load("service-needs-assessment")
    ctx = context(doc)
    assert {f.key() for f in ir.check_codes(ctx)} == set()
    assert "1.2.246.537.6.1282" in ctx.unchecked  # asiakkaan_elamantilanne's code system


# -- version chain --------------------------------------------------------------------------


@covers(mr.check_version_chain, "pass")
@pytest.mark.parametrize("sample", ["client-record-entry", "client-record-entry-v2"])
def test_version_chain_of_version_1_and_2_passes(sample: str) -> None:
    assert check(mr.check_version_chain, load(sample)) == set()


@covers(mr.check_version_chain, "fail")
def test_version_2_without_previous_version_is_refused(validator: Validator) -> None:
    doc = edit(load("client-record-entry-v2"), lambda m, c: m.pop("previous_version_oid"))
    assert refused(validator, mr.check_version_chain, doc) == {
        err("KA-VERSION-CHAIN", "/metadata/previous_version_oid")
    }


@covers(mr.check_version_chain, "fail")
def test_version_1_with_previous_version_is_refused(validator: Validator) -> None:
    doc = edit(load("client-record-entry"), lambda m, c: m.update(previous_version_oid="1.2.246.1"))
    assert refused(validator, mr.check_version_chain, doc) == {
        err("KA-VERSION-CHAIN", "/metadata/previous_version_oid")
    }


# -- time order -----------------------------------------------------------------------------


@covers(mr.check_time_order, "pass")
def test_effective_time_equal_to_created_in_another_zone_passes() -> None:
    doc = edit(
        load("disclosure-ban"),
        lambda m, c: m.update(
            created="2024-06-17T10:00:00+03:00", effective_time="2024-06-17T07:00:00Z"
        ),
    )
    assert check(mr.check_time_order, doc) == set()


@covers(mr.check_time_order, "fail")
def test_effective_time_after_created_is_refused(validator: Validator) -> None:
    doc = edit(
        load("disclosure-ban"),
        lambda m, c: m.update(
            created="2024-06-17T10:00:00+03:00", effective_time="2024-06-17T07:00:01Z"
        ),
    )
    assert refused(validator, mr.check_time_order, doc) == {
        err("KA-TIME-ORDER", "/metadata/effective_time")
    }


# -- common matter --------------------------------------------------------------------------


@covers(mr.check_common_matter, "pass")
def test_two_clients_with_common_matter_pass() -> None:
    assert check(mr.check_common_matter, load("client-record-entry-common-matter")) == set()


@covers(mr.check_common_matter, "fail")
def test_two_clients_without_common_matter_are_refused(validator: Validator) -> None:
    doc = edit(load("client-record-entry-common-matter"), lambda m, c: m.pop("common_matter_oid"))
    assert refused(validator, mr.check_common_matter, doc) == {
        err("KA-CLIENTS-COMMON-MATTER", "/metadata/common_matter_oid")
    }


# -- invalidation ---------------------------------------------------------------------------


@covers(mr.check_invalidation, "pass")
def test_invalidated_document_with_reason_passes(validator: Validator) -> None:
    doc = edit(
        load("disclosure-ban"),
        lambda m, c: m.update(
            status="invalidated",
            invalidation={
                "reason": "Kirjattu väärälle asiakkaalle",
                "time": "2024-07-01T12:00:00+03:00",
            },
        ),
    )
    assert check(mr.check_invalidation, doc) == set()
    assert not any(key[0] == "KA-INVALIDATION" for key in errors(validator, doc))


@covers(mr.check_invalidation, "fail")
def test_invalidated_document_without_reason_is_refused(validator: Validator) -> None:
    doc = edit(load("disclosure-ban"), lambda m, c: m.update(status="invalidated"))
    assert refused(validator, mr.check_invalidation, doc) == {
        err("KA-INVALIDATION", "/metadata/invalidation")
    }


# -- controller -----------------------------------------------------------------------------


ORGANISER = "1.2.246.10.91000013"


@covers(mr.check_controller, "pass")
@pytest.mark.parametrize(
    "sample",
    [
        "client-record-entry",  # own production: controller = producer, no organiser
        "customership-service-voucher",  # organiser = controller
        "client-record-entry-parallel-producer",  # purchased service
        "customership-payment-commitment",
        "service-needs-assessment-private-contract",  # private producer = controller
    ],
)
def test_controller_matching_the_organiser_or_producer_passes(sample: str) -> None:
    assert check(mr.check_controller, load(sample)) == set()


@covers(mr.check_controller, "fail")
@pytest.mark.parametrize(
    "sample",
    [
        "customership-service-voucher",
        "client-record-entry-parallel-producer",
        "customership-payment-commitment",
    ],
)
def test_service_for_an_organiser_with_the_producer_as_controller_is_refused(
    validator: Validator, sample: str
) -> None:
    doc = edit(
        load(sample), lambda m, c: m["controller"].update(oid=m["author"]["organisation_oid"])
    )
    assert refused(validator, mr.check_controller, doc) == {
        err("KA-CONTROLLER-PUBLIC", "/metadata/controller/oid")
    }


@covers(mr.check_controller, "fail")
def test_own_production_naming_an_organiser_that_is_not_the_controller_is_refused(
    validator: Validator,
) -> None:
    doc = edit(
        load("client-record-entry"), lambda m, c: m.update(organiser={"oid": "1.2.246.10.91000021"})
    )
    assert refused(validator, mr.check_controller, doc) == {
        err("KA-CONTROLLER-PUBLIC", "/metadata/controller/oid")
    }


@covers(mr.check_controller, "fail")
def test_private_service_with_a_public_controller_is_refused(validator: Validator) -> None:
    doc = edit(
        load("service-needs-assessment-private-contract"),
        lambda m, c: m["controller"].update(oid=ORGANISER),
    )
    assert refused(validator, mr.check_controller, doc) == {
        err("KA-CONTROLLER-PRIVATE", "/metadata/controller/oid")
    }


@covers(mr.check_controller, "fail")
def test_private_service_with_another_private_controller_is_refused(
    validator: Validator,
) -> None:
    doc = edit(
        load("service-needs-assessment-private-contract"),
        lambda m, c: m["controller"].update(oid="1.2.246.10.92000015"),
    )
    assert refused(validator, mr.check_controller, doc) == {
        err("KA-CONTROLLER-PRIVATE", "/metadata/controller/oid")
    }


def test_the_organiser_of_a_voucher_must_be_the_controller_even_when_public(
    validator: Validator,
) -> None:
    doc = edit(
        load("customership-service-voucher"),
        lambda m, c: m["controller"].update(oid="1.2.246.10.91000021"),
    )
    assert refused(validator, mr.check_controller, doc) == {
        err("KA-CONTROLLER-PUBLIC", "/metadata/controller/oid")
    }


# -- specific document type -----------------------------------------------------------------


@covers(mr.check_specific_document_type, "pass")
@pytest.mark.parametrize("sample", ["client-record-entry", "case-document-open", "disclosure-ban"])
def test_specific_document_type_equal_to_the_structure_number_passes(sample: str) -> None:
    assert check(mr.check_specific_document_type, load(sample)) == set()


@covers(mr.check_specific_document_type, "fail")
def test_specific_document_type_other_than_the_structure_number_is_refused(
    validator: Validator,
) -> None:
    doc = edit(
        load("client-record-entry"), lambda m, c: m["specific_document_type"].update(code="15007")
    )
    assert refused(validator, mr.check_specific_document_type, doc) == {
        err("KA-DOCUMENT-TYPE", "/metadata/specific_document_type/code")
    }


def test_a_group_structure_is_not_held_to_a_number() -> None:
    doc = edit(
        load("client-record-entry"),
        lambda m, c: m.update(structure="1.2.246.537.6.1505.1.2023.6.1"),
    )
    assert check(mr.check_specific_document_type, doc) == set()


# -- case document rules --------------------------------------------------------------------

CASE = "/content/asia_asiakirja/asian_tiedot"


@covers(cr.check_case_number, "pass")
def test_case_number_equal_to_case_oid_passes() -> None:
    assert check(cr.check_case_number, load("case-document-open")) == set()


@covers(cr.check_case_number, "fail")
def test_case_number_differing_from_case_oid_is_refused(validator: Validator) -> None:
    doc = edit(
        load("case-document-open"), lambda m, c: m.update(case_oid="1.2.246.10.91000013.31.9")
    )
    assert refused(validator, cr.check_case_number, doc) == {
        err("KA-CASE-NUMBER", f"{CASE}/asiatunnus/value")
    }


@covers(cr.check_case_number, "fail")
def test_case_number_without_case_oid_is_refused() -> None:
    doc = edit(load("case-document-open"), lambda m, c: m.pop("case_oid"))
    assert check(cr.check_case_number, doc) == {err("KA-CASE-NUMBER", f"{CASE}/asiatunnus/value")}


def test_case_rules_ignore_other_structures() -> None:
    doc = load("client-record-entry")
    for rule in (cr.check_case_number, cr.check_case_end_date, cr.check_common_join_time):
        assert check(rule, doc) == set()


@covers(cr.check_case_end_date, "pass")
@pytest.mark.parametrize("sample", ["case-document-closed", "case-document-open"])
def test_closed_case_with_end_date_and_open_case_without_pass(sample: str) -> None:
    assert check(cr.check_case_end_date, load(sample)) == set()


@covers(cr.check_case_end_date, "fail")
def test_closed_case_without_end_date_is_refused(validator: Validator) -> None:
    doc = edit(
        load("case-document-closed"),
        lambda m, c: c["asia_asiakirja"]["asian_tiedot"].pop("paattymispaiva"),
    )
    assert refused(validator, cr.check_case_end_date, doc) == {
        err("KA-CASE-END-DATE", f"{CASE}/paattymispaiva")
    }


@covers(cr.check_common_join_time, "pass")
@pytest.mark.parametrize("sample", ["case-document-shared", "case-document-open"])
def test_shared_case_with_join_time_and_unshared_case_pass(sample: str) -> None:
    assert check(cr.check_common_join_time, load(sample)) == set()


@covers(cr.check_common_join_time, "fail")
def test_shared_case_without_join_time_is_refused(validator: Validator) -> None:
    doc = edit(
        load("case-document-shared"),
        lambda m, c: c["asia_asiakirja"]["asiakas"][1].pop("asiaan_liittymishetki"),
    )
    assert refused(validator, cr.check_common_join_time, doc) == {
        err("KA-COMMON-JOIN-TIME", "/content/asia_asiakirja/asiakas/1/asiaan_liittymishetki")
    }


def test_a_case_is_closed_by_its_state_name() -> None:
    def change(m: dict[str, Any], c: dict[str, Any]) -> None:
        details = c["asia_asiakirja"]["asian_tiedot"]
        details.pop("paattymispaiva", None)
        details["tila"]["display"] = "Päättynyt"

    doc = edit(load("case-document-closed"), change)
    assert check(cr.check_case_end_date, doc) == {err("KA-CASE-END-DATE", f"{CASE}/paattymispaiva")}


# -- the rule set as a whole ----------------------------------------------------------------


# -- header, content and frame ------------------------------------------------------------

CDA_VALID = VALID.parent / "cda" / "valid"


def load_cda(name: str) -> Document:
    path = CDA_VALID / f"{name}.xml"
    outcome = read_bytes(path.read_bytes(), str(path))
    assert outcome.document is not None, outcome.findings
    return outcome.document


@covers(xr.check_clients_match, "pass")
@pytest.mark.parametrize("fmt", ["json", "xhtml"])
def test_content_clients_named_in_the_metadata_pass(fmt: str) -> None:
    assert check(xr.check_clients_match, load("client-record-entry-common-matter", fmt)) == set()


@covers(xr.check_clients_match, "fail")
def test_a_content_client_not_in_the_metadata_is_refused(validator: Validator) -> None:
    doc = edit(load("client-record-entry"), lambda m, c: m["clients"][0].update(hetu=NON_TEST_HETU))
    assert refused(validator, xr.check_clients_match, doc) == {
        err("KA-CLIENT-MISMATCH", f"/content/{ENTRY}/asiakas/0/henkilotunnus/value")
    }


def test_a_wrong_metadata_hetu_is_not_compared_again() -> None:
    doc = edit(load("client-record-entry"), lambda m, c: m["clients"][0].update(hetu="150612A904T"))
    assert check(xr.check_clients_match, doc) == set()


@covers(xr.check_frame, "pass")
def test_a_frame_that_agrees_with_its_document_passes() -> None:
    document = load_cda("client-record-entry-message")
    assert document.cda is not None and document.cda.frame is not None
    assert check(xr.check_frame, document) == set()
    assert check(xr.check_frame, load_cda("client-record-entry")) == set()  # no frame


@covers(xr.check_frame, "fail")
def test_a_frame_whose_copy_has_another_set_is_refused() -> None:
    path = CDA_VALID / "client-record-entry-message.xml"
    data = path.read_bytes().replace(b'<setId root="', b'<setId root="9.', 1)
    outcome = read_bytes(data, "m.xml")
    assert outcome.document is not None
    assert check(xr.check_frame, outcome.document) == {err("KA-CDA-FRAME", "/frame/setId")}


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    for rule in RULES:
        assert COVERED.get(rule.check.__name__) == {"pass", "fail"}, rule.check.__name__


def test_every_rule_has_documentation_and_catalogued_codes() -> None:
    from kanta_archive.catalogue import BY_CODE

    for rule in RULES:
        assert rule.doc, rule.check.__name__
        assert all(code in BY_CODE for code in rule.codes)


@pytest.mark.parametrize("fmt", ["json", "xhtml"])
def test_rules_emit_only_their_registered_codes(fmt: str) -> None:
    """Run every rule on a document that breaks many rules at once."""

    def change(m: dict[str, Any], c: dict[str, Any]) -> None:
        m.update(
            status="invalidated", version=2, storage_format="json" if fmt == "xhtml" else "xhtml"
        )
        m["controller"]["oid"] = "1.2.246.10.92000015"
        m["specific_document_type"]["code"] = "15007"
        m["clients"].append({})
        c["asia_asiakirja"]["asian_tiedot"].pop("paattymispaiva")
        c["asia_asiakirja"]["asian_tiedot"]["asiatunnus"]["value"] = "1.2.3"
        c["asia_asiakirja"]["asiakas"][0].pop("henkilotunnus")

    doc = edit(load("case-document-closed", fmt), change)
    ctx = context(doc)
    for rule in RULES:
        assert {f.code for f in rule.check(ctx)} <= set(rule.codes), rule.check.__name__
    assert len({f.code for f in run_rules(ctx)}) >= 7


# -- schema first: one problem, one finding -------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xhtml"])
def test_value_failing_the_schema_is_not_reported_again_by_a_rule(
    validator: Validator, fmt: str
) -> None:
    doc = edit(load("client-record-entry", fmt), lambda m, c: m["clients"][0].update(hetu="1506"))
    pointer = "/metadata/clients/0/hetu"
    # The rule alone would report it ...
    assert err("KA-HETU-INVALID", pointer) in check(ir.check_client_identifiers, doc)
    # ... but the pipeline reports the schema finding only.
    at_pointer = {
        f.key() for f in validator.validate_document(doc) if f.location.pointer == pointer
    }
    assert at_pointer == {err("KA-META-SCHEMA", pointer)}


def test_temporary_id_failing_the_schema_is_not_reported_again_by_a_rule(
    validator: Validator,
) -> None:
    doc = edit(
        load("client-record-entry-temporary-id"),
        lambda m, c: m["clients"][0].update(temporary_id="1.2.246.10.91000021.22.02024.3"),
    )
    pointer = "/metadata/clients/0/temporary_id"
    assert err("KA-TEMPID-INVALID", pointer) in check(ir.check_client_identifiers, doc)
    at_pointer = {
        f.key() for f in validator.validate_document(doc) if f.location.pointer == pointer
    }
    assert at_pointer == {err("KA-META-SCHEMA", pointer)}


def test_missing_controller_is_reported_once_by_the_schema_not_again_by_the_controller_rule() -> (
    None
):
    from kanta_archive.validate import Validator

    sample = (VALID / "customership-service-voucher.json").read_bytes()
    doc = json.loads(sample)
    del doc["metadata"]["controller"]
    result = Validator().validate_bytes(json.dumps(doc).encode(), "no-controller.json")
    codes = [f.code for f in result.findings if f.severity.value == "error"]
    assert "KA-META-SCHEMA" in codes
    assert not any(c.startswith("KA-CONTROLLER") for c in codes)


# -- signatures ---------------------------------------------------------------------------


def signature_keys(document: Document, *, required: bool = True) -> set[tuple[str, str, str]]:
    context = RuleContext.build(document, CODESETS, TODAY, signature_required=required)
    return {f.key() for f in sr.check_signature(context)}


@covers(sr.check_signature, "pass")
@pytest.mark.parametrize("fmt", ["json", "xhtml"])
def test_signed_case_document_passes_the_signature_rule(fmt: str) -> None:
    assert signature_keys(load("case-document-open", fmt)) == set()


@covers(sr.check_signature, "pass")
def test_unsigned_document_of_a_type_that_needs_no_signature_passes() -> None:
    assert signature_keys(load("client-record-entry"), required=False) == set()


@covers(sr.check_signature, "fail")
def test_case_document_without_signature_is_refused() -> None:
    doc = replace(load("case-document-open"), signature=None)
    assert signature_keys(doc) == {err("KA-SIGNATURE-MISSING", "/signature")}


@covers(sr.check_signature, "fail")
def test_case_document_changed_after_signing_is_refused() -> None:
    def change(m: dict[str, Any], c: dict[str, Any]) -> None:
        c["asia_asiakirja"]["asian_tiedot"]["avauspaiva"] = "2024-06-02"

    doc = edit(load("case-document-open"), change)
    assert signature_keys(doc) == {err("KA-SIGNATURE-INVALID", "/signature")}


def test_a_line_break_in_a_quoted_value_is_shown_escaped_and_the_message_stays_one_line() -> None:
    from kanta_archive.rules.context import finding

    made = finding("KA-CASE-NUMBER", "case_oid '\n\n1.2.3\r'", "/content/x")
    assert made.message == "case_oid '\\n\\n1.2.3\\r'"
