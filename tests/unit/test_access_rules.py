"""Who may change rights, links, the registry and controllers, and who may read the audit
trail and the disclosures, in a store with an organisation registry (library, no click)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kanta_archive import Actor, ArchiveSession, RefusedError, UsageError, Validator, open_archive

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
VALID = SAMPLES / "valid"
ORGS = SAMPLES / "orgs.csv"
COUNTY = "1.2.246.10.91000013"
COUNTY_UNIT = "1.2.246.10.91000013.10.1"
CITY = "1.2.246.10.91000021"
PRIVATE = "1.2.246.10.92000015"
MAIN_JOINER = "1.2.246.10.93000017"
MEMBER = "1.2.246.10.93000033"
PARALLEL = "1.2.246.10.94000019"
UNKNOWN = "1.2.246.10.95000010"
TEMP_DOC = VALID / "client-record-entry-temporary-id.json"  # controller: the city
TEMPORARY, TEMP_HETU = "1.2.246.10.91000021.22.2024.3", "220788-926D"

Session = Callable[[str | None], ArchiveSession]


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.fixture
def acting(tmp_store: Path, validator: Validator) -> Session:
    """``acting(org)``: a session on a store with the sample registry, as ``org``."""
    with open_archive(tmp_store, create=True, validator=validator) as session:
        session.access.import_orgs(ORGS.read_text(encoding="utf-8"))

    def open_as(org: str | None) -> ArchiveSession:
        return open_archive(tmp_store, actor=Actor(org, "alice"), validator=validator)

    return open_as


def _grant(session: ArchiveSession, organiser: str = COUNTY) -> str:
    return session.access.grant(
        organiser=organiser,
        producer=PARALLEL,
        client=None,
        service_task="20",
        valid_from=date(2024, 1, 1),
        valid_to=date(2024, 12, 31),
    ).right_id


def _refused(rule: str) -> pytest.RaisesContext[RefusedError]:
    return pytest.raises(RefusedError, match=f"^{rule}: ")


# ------------------------------------------------------------------ rights


def test_granting_a_right_needs_an_acting_organisation(acting: Session) -> None:
    with acting(None) as nobody, pytest.raises(UsageError, match="--as"):
        _grant(nobody)


def test_only_the_organiser_or_its_unit_grants(acting: Session) -> None:
    with acting(CITY) as city, _refused("access-right-organiser"):
        _grant(city)
    with acting(COUNTY_UNIT) as unit:
        assert _grant(unit).startswith("R-")


def test_revoking_a_right_needs_its_organiser(acting: Session) -> None:
    with acting(COUNTY) as county:
        right = _grant(county)
    with acting(None) as nobody, pytest.raises(UsageError, match="--as"):
        nobody.access.revoke(right)
    with acting(CITY) as city, _refused("access-right-organiser"):
        city.access.revoke(right)
    with acting(COUNTY) as county:
        assert county.access.revoke(right).revoked_at is not None


def test_rights_are_listed_to_their_organiser_and_producer_only(acting: Session) -> None:
    with acting(COUNTY) as county:
        right = _grant(county)
    for org in (COUNTY, PARALLEL):
        with acting(org) as session:
            assert [r.right_id for r in session.access.rights().items] == [right]
    with acting(CITY) as city:
        listed = city.access.rights()
    assert listed.items == () and listed.hidden == 1


def test_an_unregistered_organisation_acts_for_nobody(acting: Session) -> None:
    with acting(UNKNOWN) as stranger, _refused("access-unknown-actor"):
        stranger.access.audit_entries()


# ------------------------------------------------------------------ controller transfer


def test_the_new_controller_runs_a_transfer(acting: Session) -> None:
    with acting(CITY) as city:
        city.ingest([TEMP_DOC])
        with _refused("transfer-by-new-controller"):
            city.transfer_controller(CITY, COUNTY, "merger")
    with acting(COUNTY) as county:
        report = county.transfer_controller(CITY, COUNTY, "merger")
    assert len(report.moved) == 1


@pytest.mark.parametrize(
    ("actor", "target", "rule"),
    [
        (PRIVATE, PRIVATE, "transfer-to-public-organisation"),
        (COUNTY, UNKNOWN, "access-unknown-organisation"),
    ],
)
def test_a_register_goes_only_to_a_registered_public_organisation(
    acting: Session, actor: str, target: str, rule: str
) -> None:
    with acting(CITY) as city:
        city.ingest([TEMP_DOC])
    with acting(actor) as session, _refused(rule):
        session.transfer_controller(CITY, target, "merger")


def test_a_transfer_from_a_controller_that_holds_nothing_is_a_usage_error(
    tmp_store: Path, validator: Validator
) -> None:
    with (
        open_archive(tmp_store, create=True, validator=validator) as session,
        pytest.raises(UsageError, match="holds no document set"),
    ):
        session.transfer_controller(CITY, COUNTY, "merger")


def test_a_finished_transfer_run_again_moves_nothing(tmp_store: Path, validator: Validator) -> None:
    with open_archive(tmp_store, create=True, validator=validator) as session:
        session.ingest([TEMP_DOC])
        assert len(session.transfer_controller(CITY, COUNTY, "merger").moved) == 1
        assert session.transfer_controller(CITY, COUNTY, "merger").moved == ()


# ------------------------------------------------------------------ registry


def _csv_with(*rows: str) -> str:
    return ORGS.read_text(encoding="utf-8") + "".join(row + "\n" for row in rows)


NEW_ORG = "1.2.246.10.95000029,Uusi Oy,9500002-9,private,direct,,,2024-01-01,"


def test_a_second_registry_import_needs_a_public_acting_organisation(acting: Session) -> None:
    with acting(None) as nobody, pytest.raises(UsageError, match="--as"):
        nobody.access.import_orgs(_csv_with(NEW_ORG))
    with acting(PRIVATE) as private, _refused("registry-by-public-organisation"):
        private.access.import_orgs(_csv_with(NEW_ORG))


def test_a_public_organisation_changes_only_its_own_rows(acting: Session) -> None:
    county_rows = ORGS.read_text(encoding="utf-8").replace(
        "Malliniemen kaupunki,9100002-1", "Malliniemi renamed,9100002-1", 1
    )
    with acting(COUNTY) as county, _refused("registry-own-rows"):
        county.access.import_orgs(county_rows)
    header, *rows = ORGS.read_text(encoding="utf-8").splitlines()
    own = [header, *(r for r in rows if r.startswith(COUNTY) or r.startswith(PARALLEL)), NEW_ORG]
    with acting(COUNTY) as county:
        assert len(county.access.import_orgs("\n".join(own) + "\n")) == len(own) - 1


def test_the_first_registry_import_needs_nobody(tmp_store: Path) -> None:
    with open_archive(tmp_store, create=True) as session:
        assert len(session.access.import_orgs(ORGS.read_text(encoding="utf-8"))) == 12


# ------------------------------------------------------------------ clients


def test_a_link_is_made_by_the_issuer_or_a_controller_of_the_identifier(acting: Session) -> None:
    with acting(CITY) as city:
        city.ingest([TEMP_DOC])
    with acting(COUNTY) as county, _refused("client-link-issuer-or-controller"):
        county.access.link(TEMPORARY, TEMP_HETU)
    with acting(CITY) as city:
        city.access.link(TEMPORARY, TEMP_HETU)
    with acting(COUNTY) as county, _refused("client-link-issuer-or-controller"):
        county.access.unlink(TEMPORARY)


def test_only_the_informing_organisation_records_it(acting: Session) -> None:
    with acting(CITY) as city, _refused("client-inform-by-self"):
        city.access.inform("150612A904S", COUNTY, date(2024, 6, 1))
    with acting(COUNTY_UNIT) as unit:
        unit.access.inform("150612A904S", COUNTY, date(2024, 6, 1))


# ------------------------------------------------------------------ audit trail, disclosures


def test_the_audit_trail_shows_an_organisation_what_concerns_it(acting: Session) -> None:
    with acting(CITY) as city:
        city.ingest([TEMP_DOC])
    with acting(COUNTY) as county:
        county.ingest([VALID / "case-document-open.json"])
        seen = county.access.audit_entries()
    events = [(e["event"], e["actor"]) for e in seen.items]
    assert ("store", COUNTY) in events and ("store", CITY) not in events
    assert seen.hidden == 1
    with acting(None) as nobody, pytest.raises(UsageError, match="--as"):
        nobody.access.audit_entries()


def test_disclosures_are_listed_to_their_parties_only(acting: Session) -> None:
    doc = VALID / "client-record-entry.json"
    oid = json.loads(doc.read_text(encoding="utf-8"))["metadata"]["document_oid"]
    with acting(COUNTY) as county:
        county.ingest([doc])
        county.access.inform("150612A904S", COUNTY, date(2024, 6, 1))
        county.access.disclose([oid], CITY)
    for org in (COUNTY, CITY):
        with acting(org) as session:
            assert len(session.access.disclosures("150612A904S").items) == 1
    with acting(PRIVATE) as private:
        listed = private.access.disclosures("150612A904S")
    assert listed.items == () and listed.hidden == 1
