"""Who may store and read: kanta_archive.access.policy, one allowed and one refused case
per rule, on samples/orgs.csv and the valid samples."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kanta_archive.access import AccessStore, parse_orgs_csv
from kanta_archive.access.policy import (
    RULE_CONTROLLER_SECTOR,
    RULE_DIRECT_OWN_REGISTER,
    RULE_JOINT_MEMBER_CONTROLLER,
    RULE_PARALLEL_RIGHT,
    RULE_PRIVATE_CONTROLLER,
    RULE_UNKNOWN_ACTOR,
    RULE_UNKNOWN_ORG,
    ReadPolicy,
    may_store,
)
from kanta_archive.access.rights import Right
from kanta_archive.model import Metadata

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
COUNTY = "1.2.246.10.91000013"
CITY = "1.2.246.10.91000021"
MAIN_JOINER = "1.2.246.10.93000017"
MEMBER = "1.2.246.10.93000033"
PARALLEL = "1.2.246.10.94000019"


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / "valid" / name).read_text(encoding="utf-8"))
    return copy.deepcopy(data["metadata"])


def meta(name: str, **changes: Any) -> Metadata:
    m = raw(name)
    m.update(changes)
    return Metadata.from_raw(m)


@pytest.fixture
def access(tmp_path: Path) -> Iterator[AccessStore]:
    store = AccessStore.open(tmp_path)
    store.import_orgs(parse_orgs_csv((SAMPLES / "orgs.csv").read_text(encoding="utf-8")))
    yield store
    store.close()


def grant(access: AccessStore, **kw: Any) -> Right:
    args: dict[str, Any] = {
        "right_id": "R-test",
        "organiser_oid": COUNTY,
        "producer_oid": PARALLEL,
        "client": "311299-9628",
        "service_task": "24",
        "valid_from": date(2024, 1, 1),
        "valid_to": date(2024, 12, 31),
        "granted_at": "2024-01-01T00:00:00Z",
    }
    args.update(kw)
    right = Right(**args)
    access.add_right(right)
    return right


# ------------------------------------------------------------------ known organisations


def test_unknown_actor_refused(access: AccessStore) -> None:
    d = may_store(access, "1.2.246.10.95000010", meta("client-record-entry.json"))
    assert not d.allowed and d.rule == RULE_UNKNOWN_ACTOR


def test_known_actor_allowed(access: AccessStore) -> None:
    assert may_store(access, COUNTY, meta("client-record-entry.json")).allowed


def test_unknown_controller_refused(access: AccessStore) -> None:
    m = raw("client-record-entry.json")
    m["controller"]["oid"] = "1.2.246.10.95000010"
    d = may_store(access, COUNTY, Metadata.from_raw(m))
    assert not d.allowed and d.rule == RULE_UNKNOWN_ORG
    assert "controller 1.2.246.10.95000010" in d.message


def test_unit_not_valid_on_effective_date_refused(access: AccessStore) -> None:
    m = meta("client-record-entry.json", service_unit_oid=f"{COUNTY}.10.3")
    d = may_store(access, COUNTY, m)
    assert not d.allowed and d.rule == RULE_UNKNOWN_ORG and "2024-06-12" in d.message
    older = meta(
        "client-record-entry.json",
        service_unit_oid=f"{COUNTY}.10.3",
        effective_time="2023-06-12T10:00:00+03:00",
    )
    assert may_store(access, COUNTY, older).allowed


def test_unknown_author_organisation_refused(access: AccessStore) -> None:
    m = raw("client-record-entry.json")
    m["author"]["organisation_oid"] = "1.2.246.10.95000010"
    d = may_store(access, COUNTY, Metadata.from_raw(m))
    assert not d.allowed and "producer 1.2.246.10.95000010" in d.message


def test_unknown_organiser_refused(access: AccessStore) -> None:
    m = raw("customership-service-voucher.json")
    m["organiser"]["oid"] = "1.2.246.10.95000010"
    d = may_store(access, COUNTY, Metadata.from_raw(m))
    assert not d.allowed and "organiser 1.2.246.10.95000010" in d.message


# ------------------------------------------------------------------ controller rules


def test_a_service_for_an_organiser_needs_a_public_controller(access: AccessStore) -> None:
    m = raw("customership-service-voucher.json")
    m["controller"] = {"oid": "1.2.246.10.92000015"}
    m["organiser"] = {"oid": "1.2.246.10.92000015"}
    d = may_store(access, "1.2.246.10.92000015", Metadata.from_raw(m))
    assert not d.allowed and d.rule == RULE_CONTROLLER_SECTOR
    assert may_store(access, COUNTY, meta("customership-service-voucher.json")).allowed


def test_private_contract_controller_is_the_producer(access: AccessStore) -> None:
    m = raw("service-needs-assessment-private-contract.json")
    m["controller"]["oid"] = "1.2.246.10.92000015"
    d = may_store(access, "1.2.246.10.92000015", Metadata.from_raw(m))
    assert not d.allowed and d.rule == RULE_PRIVATE_CONTROLLER


# ------------------------------------------------------------------ joint joining


def test_main_joiner_submits_member_document(access: AccessStore) -> None:
    d = may_store(access, MAIN_JOINER, meta("service-needs-assessment-private-contract.json"))
    assert d.allowed and d.rule == "joint"


def test_member_submits_its_own_document(access: AccessStore) -> None:
    assert may_store(access, MEMBER, meta("service-needs-assessment-private-contract.json")).allowed


def test_main_joiner_as_controller_refused(access: AccessStore) -> None:
    m = raw("service-needs-assessment-private-contract.json")
    m["controller"]["oid"] = MAIN_JOINER
    d = may_store(access, MAIN_JOINER, Metadata.from_raw(m))
    assert not d.allowed and d.rule == RULE_JOINT_MEMBER_CONTROLLER
    assert MEMBER in d.message


def test_other_member_cannot_submit(access: AccessStore) -> None:
    d = may_store(
        access, "1.2.246.10.93000025", meta("service-needs-assessment-private-contract.json")
    )
    assert not d.allowed and d.rule == RULE_DIRECT_OWN_REGISTER


# ------------------------------------------------------------------ parallel joining

PARALLEL_DOC = "client-record-entry-parallel-producer.json"


def test_parallel_without_right_refused(access: AccessStore) -> None:
    d = may_store(access, PARALLEL, meta(PARALLEL_DOC))
    assert not d.allowed and d.rule == RULE_PARALLEL_RIGHT


def test_parallel_with_right_allowed(access: AccessStore) -> None:
    grant(access)
    d = may_store(access, PARALLEL, meta(PARALLEL_DOC))
    assert d.allowed and "R-test" in d.message


def test_parallel_with_revoked_right_refused(access: AccessStore) -> None:
    grant(access)
    access.revoke_right("R-test", "2024-09-01T00:00:00Z")
    d = may_store(access, PARALLEL, meta(PARALLEL_DOC))
    assert not d.allowed and d.rule == RULE_PARALLEL_RIGHT


@pytest.mark.parametrize(
    "kw",
    [
        {"client": "150612A904S"},
        {"service_task": "10"},
        {"valid_to": date(2024, 8, 19)},
        {"organiser_oid": CITY},
    ],
)
def test_parallel_right_must_cover_client_task_and_date(access: AccessStore, kw: Any) -> None:
    grant(access, **kw)
    assert not may_store(access, PARALLEL, meta(PARALLEL_DOC)).allowed


def test_parallel_right_for_every_client_and_task(access: AccessStore) -> None:
    grant(access, client=None, service_task=None)
    assert may_store(access, PARALLEL, meta(PARALLEL_DOC)).allowed


# ------------------------------------------------------------------ direct joining


def test_county_stores_its_own(access: AccessStore) -> None:
    assert may_store(access, COUNTY, meta("case-document-open.json")).allowed


def test_city_cannot_store_the_countys(access: AccessStore) -> None:
    d = may_store(access, CITY, meta("case-document-open.json"))
    assert not d.allowed and d.rule == RULE_DIRECT_OWN_REGISTER


def test_county_unit_stores_for_the_county(access: AccessStore) -> None:
    assert may_store(access, f"{COUNTY}.10.1", meta("case-document-open.json")).allowed
    assert not may_store(access, f"{CITY}.10.1", meta("case-document-open.json")).allowed


def test_voucher_producer_cannot_store_into_organisers_register(access: AccessStore) -> None:
    d = may_store(access, "1.2.246.10.92000015", meta("customership-service-voucher.json"))
    assert not d.allowed and d.rule == RULE_PARALLEL_RIGHT


# ------------------------------------------------------------------ reading


def test_controller_reads_own_register(access: AccessStore) -> None:
    m = meta("case-document-open.json")
    assert ReadPolicy(access, COUNTY).may_read_meta(m)
    assert ReadPolicy(access, f"{COUNTY}.10.1").may_read_meta(m)
    assert not ReadPolicy(access, CITY).may_read_meta(m)
    assert not ReadPolicy(access, "1.2.246.10.95000010").may_read_meta(m)


def test_producer_reads_through_a_usage_right(access: AccessStore) -> None:
    m = meta(PARALLEL_DOC)
    assert not ReadPolicy(access, PARALLEL).may_read_meta(m)
    grant(access)
    assert ReadPolicy(access, PARALLEL).may_read_meta(m)
    assert not ReadPolicy(access, PARALLEL).may_read_meta(meta("case-document-open.json"))


def test_disclosed_document_is_readable(access: AccessStore) -> None:
    m = meta("case-document-open.json")
    assert m.document_oid is not None
    access.add_disclosures([(m.document_oid, "150612A904S", COUNTY, CITY, None)], "test")
    assert ReadPolicy(access, CITY).may_read_meta(m)
    assert not ReadPolicy(access, CITY).may_read_meta(meta("client-record-entry.json"))
