"""The public archive API, as a Python caller uses it (``from kanta_archive import ...``),
without click: open a store, ingest, query, show, history, invalidate, verify, export,
acting as an organisation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kanta_archive import (
    Actor,
    ArchiveSession,
    Query,
    RefusedError,
    UsageError,
    Validator,
    open_archive,
)
from kanta_archive.access.audit import AuditLog
from kanta_archive.archive import Archive

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
VALID = SAMPLES / "valid"
ORGS = SAMPLES / "orgs.csv"
COUNTY = "1.2.246.10.91000013"
CITY = "1.2.246.10.91000021"
CASE = VALID / "case-document-open.json"  # controller: the county
CASE_OID = "1.2.246.10.91000013.11.1001.1"
ND_DOC = VALID / "customership-non-disclosure.json"
ND_OID = json.loads(ND_DOC.read_text(encoding="utf-8"))["metadata"]["document_oid"]
TEMP_DOC = VALID / "client-record-entry-temporary-id.json"  # controller: the city
TEMPORARY, TEMP_HETU = "1.2.246.10.91000021.22.2024.3", "220788-926D"


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.fixture
def plain(tmp_store: Path, validator: Validator) -> Iterator[ArchiveSession]:
    """A store without an organisation registry."""
    with open_archive(tmp_store, create=True, validator=validator) as session:
        yield session


def _registry_store(tmp_store: Path, validator: Validator) -> Path:
    with open_archive(tmp_store, create=True, validator=validator) as session:
        session.access.import_orgs(ORGS.read_text(encoding="utf-8"))
    return tmp_store


@pytest.fixture
def registry_store(tmp_store: Path, validator: Validator) -> Path:
    return _registry_store(tmp_store, validator)


def as_org(store: Path, org: str, validator: Validator, person: str = "alice") -> ArchiveSession:
    return open_archive(store, actor=Actor(org, person), validator=validator)


def _events(store: Path) -> list[tuple[str, Any]]:
    return [(e["event"], e["actor"]) for e in AuditLog(store).entries()]


# ------------------------------------------------------------------ a store without a registry


def test_ingest_query_show_history_without_a_registry(plain: ArchiveSession) -> None:
    report = plain.ingest(
        [VALID / "client-record-entry.json", VALID / "client-record-entry-v2.json"]
    )
    assert [i.status for i in report.items] == ["stored", "stored"]
    page = plain.query(Query(client="150612A904S"))
    assert [r.document_oid for r in page.result.rows] == ["1.2.246.10.91000013.11.2001.2"]
    assert page.hidden == 0
    shown = plain.show("1.2.246.10.91000013.11.2001", part="raw")
    assert shown.document.raw == (VALID / "client-record-entry-v2.json").read_bytes()
    assert [e.version for e in plain.history("1.2.246.10.91000013.11.2001")] == [1, 2]


def test_show_content_is_masked_for_a_non_disclosure_client(plain: ArchiveSession) -> None:
    plain.ingest([ND_DOC])
    content = plain.show(ND_OID, part="content").content
    assert "Salakuja" not in json.dumps(content) and "***" in json.dumps(content)


def test_reveal_needs_a_registry(plain: ArchiveSession) -> None:
    plain.ingest([ND_DOC])
    with pytest.raises(UsageError, match="registry"):
        plain.show(ND_OID, part="content", reveal=True, reason="x")


def test_invalidate_verify_export(plain: ArchiveSession, tmp_path: Path) -> None:
    plain.ingest([CASE])
    assert plain.invalidate(CASE_OID, "wrong client").metadata["status"] == "invalidated"
    assert plain.query(Query()).result.total == 0
    assert plain.verify(full=True).ok
    target = plain.export("1.2.246.10.91000013.11.1001", tmp_path / "copy")
    assert (target / "inventory.json").is_file()


def test_stream_reads_every_row_page_by_page(
    plain: ArchiveSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kanta_archive.archive.querying as querying

    documents = sorted(p for p in VALID.glob("*.json") if "v2" not in p.name)
    plain.ingest(documents, partial=True)
    everything = plain.query(Query(patient_data=None, limit=1000)).result
    monkeypatch.setattr(querying, "MAX_LIMIT", 3)  # pages of 3 rows
    stream = plain.stream(Query(patient_data=None))
    assert [r.document_oid for r in stream] == [r.document_oid for r in everything.rows]
    assert stream.total == everything.total > 3
    assert len(list(plain.stream(Query(patient_data=None, offset=2), limit=4))) == 4


def test_as_without_a_registry_is_refused_unless_it_is_a_default(
    tmp_store: Path, validator: Validator
) -> None:
    open_archive(tmp_store, create=True).close()
    with pytest.raises(UsageError, match="registry"):
        open_archive(tmp_store, actor=Actor(COUNTY))
    with open_archive(tmp_store, actor=Actor(COUNTY, organisation_is_default=True)) as session:
        assert session.actor.organisation is None


def test_a_refused_first_batch_leaves_no_store(tmp_store: Path, validator: Validator) -> None:
    with open_archive(tmp_store, create=True, validator=validator) as session:
        report = session.ingest([SAMPLES / "invalid" / next(iter(_invalid_names()))])
    assert not report.ok
    assert not tmp_store.exists()


def test_a_refused_batch_into_an_empty_folder_leaves_the_folder_empty(
    tmp_store: Path, validator: Validator
) -> None:
    tmp_store.mkdir()
    with open_archive(tmp_store, create=True, validator=validator) as session:
        session.ingest([SAMPLES / "invalid" / next(iter(_invalid_names()))])
    assert tmp_store.is_dir() and list(tmp_store.iterdir()) == []


def _invalid_names() -> list[str]:
    return sorted(p.name for p in (SAMPLES / "invalid").glob("*.json"))


# ------------------------------------------------------------------ acting as an organisation


def test_with_a_registry_an_organisation_must_act(registry_store: Path) -> None:
    with open_archive(registry_store) as session:
        with pytest.raises(UsageError, match="--as"):
            session.ingest([CASE])
        with pytest.raises(UsageError, match="--as"):
            session.query(Query())


def test_a_refusal_carries_its_rule(registry_store: Path, validator: Validator) -> None:
    with as_org(registry_store, COUNTY, validator) as county:
        county.ingest([CASE])
    with as_org(registry_store, CITY, validator) as city, pytest.raises(RefusedError) as refused:
        city.show(CASE_OID)
    assert refused.value.rule == "access-read-own-register"
    assert str(refused.value).startswith("access-read-own-register: ")


def test_a_refused_ingest_item_names_its_rule(registry_store: Path, validator: Validator) -> None:
    with as_org(registry_store, CITY, validator) as city:
        report = city.ingest([CASE])
    assert report.items[0].rule == "access-own-register-only"
    assert report.items[0].reason is not None
    assert report.items[0].reason.startswith("access-own-register-only: ")


def test_query_hides_what_the_actor_may_not_read(
    registry_store: Path, validator: Validator
) -> None:
    with as_org(registry_store, COUNTY, validator) as county:
        county.ingest([CASE])
    with as_org(registry_store, CITY, validator) as city:
        page = city.query(Query())
        stream = city.stream(Query())
        assert list(stream) == [] and stream.hidden == 1
    assert page.result.total == 0 and page.hidden == 1


def test_refused_raw_output_writes_no_read_audit_line(
    registry_store: Path, validator: Validator, tmp_path: Path
) -> None:
    with as_org(registry_store, COUNTY, validator) as county:
        county.ingest([ND_DOC])
        before = _events(registry_store)
        with pytest.raises(RefusedError) as raw:
            county.show(ND_OID, part="raw")
        with pytest.raises(RefusedError) as export:
            county.export(ND_OID.rsplit(".", 1)[0], tmp_path / "x")
    assert raw.value.rule == export.value.rule == "non-disclosure-unmasked-output"
    assert _events(registry_store) == before
    assert not (tmp_path / "x").exists()


def test_revealed_raw_output_is_audited_as_reveal_then_read(
    registry_store: Path, validator: Validator
) -> None:
    with as_org(registry_store, COUNTY, validator) as county:
        county.ingest([ND_DOC])
        shown = county.show(ND_OID, part="raw", reveal=True, reason="court order")
    assert shown.document.raw == ND_DOC.read_bytes()
    assert _events(registry_store)[-2:] == [("reveal", COUNTY), ("read", COUNTY)]


# ------------------------------------------------------ library callers keep what the CLI did


def test_archive_reindex_replays_the_client_links(
    registry_store: Path, validator: Validator
) -> None:
    with as_org(registry_store, CITY, validator) as city:
        city.ingest([TEMP_DOC])
        city.access.link(TEMPORARY, TEMP_HETU)
    (registry_store / "index.sqlite").unlink()
    with Archive.open(registry_store) as archive:  # the plain library class
        assert archive.reindex() == 1
        assert archive.query(Query(client=TEMP_HETU)).total == 1


def test_archive_transfer_controller_is_audited(registry_store: Path, validator: Validator) -> None:
    with as_org(registry_store, CITY, validator) as city:
        city.ingest([TEMP_DOC])
    with Archive.open(registry_store) as archive:  # the plain library class
        archive.transfer_controller(CITY, COUNTY, "merger", actor="bob")
    entry = list(AuditLog(registry_store).entries())[-1]
    assert (entry["event"], entry["actor"], entry["details"]["to"]) == (
        "controller-transfer",
        "bob",
        COUNTY,
    )
