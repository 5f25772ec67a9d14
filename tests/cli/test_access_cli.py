"""The access commands end to end: orgs, rights, archive/query/show --as, audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
VALID = SAMPLES / "valid"
ORGS = SAMPLES / "orgs.csv"
COUNTY = "1.2.246.10.91000013"
CITY = "1.2.246.10.91000021"
MAIN_JOINER = "1.2.246.10.93000017"
MEMBER = "1.2.246.10.93000033"
PARALLEL = "1.2.246.10.94000019"
PARALLEL_DOC = VALID / "client-record-entry-parallel-producer.json"
JOINT_DOC = VALID / "service-needs-assessment-private-contract.json"

Run = Callable[..., Result]


@pytest.fixture
def store(run_cli: Run, tmp_store: Path) -> Path:
    """A store with the sample registry imported."""
    result = run_cli("orgs", "import", ORGS, "--store", tmp_store)
    assert result.exit_code == 0, result.output
    assert "imported 12 organisation(s)" in result.output
    return tmp_store


def grant(run_cli: Run, store: Path, *extra: str) -> str:
    result = run_cli(
        "rights", "grant", "--store", store, "--organiser", COUNTY, "--producer", PARALLEL,
        "--client", "311299-9628", "--service-task", "24",
        "--from", "2024-01-01", "--to", "2024-12-31", "--as", COUNTY, *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output.strip()


# ------------------------------------------------------------------ registry


def test_orgs_list_and_show(run_cli: Run, store: Path) -> None:
    listed = run_cli("orgs", "list", "--store", store)
    assert listed.exit_code == 0
    assert MEMBER in listed.output and "joint" in listed.output
    shown = run_cli("orgs", "show", PARALLEL, "--store", store)
    assert json.loads(shown.output)["organiser_oid"] == COUNTY
    assert run_cli("orgs", "show", "1.2.246.10.95000010", "--store", store).exit_code == 2


def test_orgs_import_rejects_bad_rows_with_line_numbers(
    run_cli: Run, tmp_store: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "orgs.csv"
    text = ORGS.read_text(encoding="utf-8")
    bad.write_text(text + "1.2.246.10.95000010,X,9500001-1,public,direct,,,2024-01-01,\n")
    result = run_cli("orgs", "import", bad, "--store", tmp_store)
    assert result.exit_code == 2
    assert "line 14" in result.output and "business_id" in result.output
    listed = run_cli("orgs", "list", "--store", tmp_store, "--format", "json")
    assert json.loads(listed.output) == {"organisations": []}


# ------------------------------------------------------------------ --as


def test_no_registry_keeps_old_behaviour(run_cli: Run, tmp_store: Path) -> None:
    result = run_cli("archive", VALID / "case-document-open.json", "--store", tmp_store)
    assert result.exit_code == 0, result.output
    refused = run_cli("query", "--store", tmp_store, "--as", COUNTY)
    assert refused.exit_code == 2 and "orgs import" in refused.output


def test_registry_requires_as(run_cli: Run, store: Path) -> None:
    result = run_cli("archive", VALID / "case-document-open.json", "--store", store)
    assert result.exit_code == 2 and "--as" in result.output
    assert run_cli("query", "--store", store).exit_code == 2
    assert run_cli("show", "1.2.246.10.91000013.11.1001", "--store", store).exit_code == 2


def test_as_from_environment(run_cli: Run, store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANTA_ARCHIVE_AS", COUNTY)
    result = run_cli("archive", VALID / "case-document-open.json", "--store", store)
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------ storing


def test_direct_county_stores_own(run_cli: Run, store: Path) -> None:
    result = run_cli("archive", VALID / "case-document-open.json", "--store", store, "--as", COUNTY)
    assert result.exit_code == 0, result.output
    assert "1 stored" in result.output


def test_direct_city_cannot_store_countys(run_cli: Run, store: Path) -> None:
    result = run_cli("archive", VALID / "case-document-open.json", "--store", store, "--as", CITY)
    assert result.exit_code == 1
    assert "access-own-register-only" in result.output
    assert "0 stored" in result.output
    assert run_cli("query", "--store", store, "--as", COUNTY).output.count("document_oid") == 0


def test_refusal_stores_nothing_of_the_batch(run_cli: Run, store: Path) -> None:
    result = run_cli(
        "archive", VALID / "case-document-open.json", VALID / "case-document-closed.json",
        "--store", store, "--as", COUNTY,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "0 stored" in result.output and "other documents in the batch" in result.output


def test_unknown_org_refused(run_cli: Run, store: Path) -> None:
    result = run_cli(
        "archive", VALID / "case-document-open.json", "--store", store, "--as",
        "1.2.246.10.95000010",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "access-unknown-actor" in result.output


def test_joint_main_joiner_submits_members_document(run_cli: Run, store: Path) -> None:
    result = run_cli("archive", JOINT_DOC, "--store", store, "--as", MAIN_JOINER)
    assert result.exit_code == 0, result.output
    shown = run_cli("show", "1.2.246.10.93000033.11.501", "--store", store, "--as", MEMBER)
    assert shown.exit_code == 0, shown.output
    assert f"controller   {MEMBER}" in shown.output


def test_joint_main_joiner_as_controller_refused(run_cli: Run, store: Path, tmp_path: Path) -> None:
    doc = json.loads(JOINT_DOC.read_text(encoding="utf-8"))
    doc["metadata"]["controller"]["oid"] = MAIN_JOINER
    path = tmp_path / "main-joiner-controller.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    # the validator already refuses a private contract whose controller is not the producer
    result = run_cli("archive", path, "--store", store, "--as", MAIN_JOINER)
    assert result.exit_code == 1
    assert "KA-CONTROLLER-PRIVATE" in result.output and "0 stored" in result.output
    # ... and the access rule refuses it when the producer is the main joiner too: the
    # member's own unit and author made the document, so the member is the controller
    doc["metadata"]["author"]["organisation_oid"] = MAIN_JOINER
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run_cli("archive", path, "--store", store, "--as", MAIN_JOINER)
    assert result.exit_code == 1
    assert "access-joint-member-is-controller" in result.output
    assert "0 stored" in result.output


def test_parallel_producer_needs_a_right(run_cli: Run, store: Path) -> None:
    refused = run_cli("archive", PARALLEL_DOC, "--store", store, "--as", PARALLEL)
    assert refused.exit_code == 1
    assert "access-parallel-usage-right" in refused.output
    right = grant(run_cli, store)
    assert right.startswith("R-")
    allowed = run_cli("archive", PARALLEL_DOC, "--store", store, "--as", PARALLEL)
    assert allowed.exit_code == 0, allowed.output
    listed = run_cli("rights", "list", "--store", store, "--as", COUNTY, "--format", "json")
    rights = json.loads(listed.output)["rights"]
    assert [(r["right_id"], r["revoked_at"]) for r in rights] == [(right, None)]


def test_parallel_revoked_right_refused(run_cli: Run, store: Path) -> None:
    right = grant(run_cli, store)
    revoked = run_cli("rights", "revoke", right, "--store", store, "--as", COUNTY)
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    result = run_cli("archive", PARALLEL_DOC, "--store", store, "--as", PARALLEL)
    assert result.exit_code == 1 and "access-parallel-usage-right" in result.output
    assert run_cli("rights", "revoke", right, "--store", store, "--as", COUNTY).exit_code == 2


def test_only_the_organiser_grants(run_cli: Run, store: Path) -> None:
    result = run_cli(
        "rights", "grant", "--store", store, "--organiser", COUNTY, "--producer", PARALLEL,
        "--from", "2024-01-01", "--to", "2024-12-31", "--as", CITY,
    )  # fmt: skip
    assert result.exit_code == 1 and "access-right-organiser" in result.output
    private = run_cli(
        "rights", "grant", "--store", store, "--organiser", MEMBER, "--producer", PARALLEL,
        "--from", "2024-01-01", "--to", "2024-12-31", "--as", MEMBER,
    )  # fmt: skip
    assert private.exit_code == 1 and "only a public organiser" in private.output


# ------------------------------------------------------------------ reading


def test_query_hides_what_the_actor_may_not_read(run_cli: Run, store: Path) -> None:
    assert run_cli("archive", VALID / "case-document-open.json", VALID / "client-record-entry.json",
                   "--store", store, "--as", COUNTY).exit_code == 0  # fmt: skip
    assert run_cli("archive", VALID / "case-document-closed.json", "--store", store,
                   "--as", CITY).exit_code == 0  # fmt: skip
    county = run_cli("query", "--store", store, "--as", COUNTY, "--format", "json")
    assert json.loads(county.stdout)["total"] == 2
    assert "1 matching document(s) hidden" in county.stderr
    city = run_cli("query", "--store", store, "--as", CITY, "--format", "json")
    assert [d["controller"] for d in json.loads(city.stdout)["documents"]] == [CITY]


def test_show_refused_for_another_register(run_cli: Run, store: Path) -> None:
    run_cli("archive", VALID / "case-document-open.json", "--store", store, "--as", COUNTY)
    result = run_cli("show", "1.2.246.10.91000013.11.1001", "--store", store, "--as", CITY)
    assert result.exit_code == 1 and "access-read-own-register" in result.output
    assert run_cli("show", "1.2.246.10.91000013.11.1001", "--store", store,
                   "--as", COUNTY).exit_code == 0  # fmt: skip


def test_producer_reads_with_its_right(run_cli: Run, store: Path) -> None:
    grant(run_cli, store)
    run_cli("archive", PARALLEL_DOC, "--store", store, "--as", PARALLEL)
    run_cli("archive", VALID / "case-document-open.json", "--store", store, "--as", COUNTY)
    result = run_cli("query", "--store", store, "--as", PARALLEL, "--format", "json")
    docs = json.loads(result.stdout)["documents"]
    assert [d["producer"] for d in docs] == [PARALLEL]


# ------------------------------------------------------------------ audit


def _audit_store(run_cli: Run, store: Path) -> Path:
    run_cli("archive", VALID / "case-document-open.json", "--store", store, "--as", COUNTY)
    run_cli("query", "--store", store, "--as", COUNTY)
    run_cli("show", "1.2.246.10.91000013.11.1001", "--store", store, "--as", COUNTY)
    grant(run_cli, store)
    return store / "audit.log"


def test_audit_lists_and_verifies(run_cli: Run, store: Path) -> None:
    _audit_store(run_cli, store)
    listed = run_cli("audit", "--store", store, "--format", "json", "--as", COUNTY)
    events = [e["event"] for e in json.loads(listed.output)["entries"]]
    assert events == ["orgs-import", "store", "query", "read", "right-grant"]
    by_client = run_cli("audit", "--store", store, "--client", "150612A904S", "--as", COUNTY)
    assert "store" in by_client.output and "right-grant" not in by_client.output
    by_actor = run_cli("audit", "--store", store, "--by", COUNTY, "--format", "json",
                       "--as", COUNTY)  # fmt: skip
    assert {e["actor"] for e in json.loads(by_actor.output)["entries"]} == {COUNTY}
    ok = run_cli("audit", "verify", "--store", store)
    assert ok.exit_code == 0 and "5 line(s)" in ok.output


def test_audit_verify_detects_an_edited_line(run_cli: Run, store: Path) -> None:
    log = _audit_store(run_cli, store)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace('"event":"query"', '"event":"read"')
    log.write_text("".join(lines), encoding="utf-8")
    result = run_cli("audit", "verify", "--store", store)
    assert result.exit_code == 1 and "line 3" in result.output and "edited" in result.output


def test_audit_verify_detects_a_deleted_line(run_cli: Run, store: Path) -> None:
    log = _audit_store(run_cli, store)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[1]
    log.write_text("".join(lines), encoding="utf-8")
    result = run_cli("audit", "verify", "--store", store)
    assert result.exit_code == 1 and "line 2" in result.output


def test_audit_verify_detects_a_deleted_last_line_and_reordering(run_cli: Run, store: Path) -> None:
    log = _audit_store(run_cli, store)
    original = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(original[:-1]), encoding="utf-8")
    result = run_cli("audit", "verify", "--store", store)
    assert result.exit_code == 1 and "line 5" in result.output
    swapped = [original[0], original[2], original[1], *original[3:]]
    log.write_text("".join(swapped), encoding="utf-8")
    result = run_cli("audit", "verify", "--store", store)
    assert result.exit_code == 1 and "line 2" in result.output


# ------------------------------------------------------------------ clients and disclosures

HEALTH = "1.2.246.10.91000013.10.9"


@pytest.fixture
def health_store(run_cli: Run, tmp_store: Path, tmp_path: Path) -> Path:
    """The sample registry plus a health-care unit of the county."""
    csv = tmp_path / "orgs.csv"
    csv.write_text(
        ORGS.read_text(encoding="utf-8")
        + f'{HEALTH},"Esimerkkilän hyvinvointialue, terveyskeskus",9100001-3,health_care,'
        "direct,,,2023-01-01,\n",
        encoding="utf-8",
    )
    assert run_cli("orgs", "import", csv, "--store", tmp_store).exit_code == 0
    return tmp_store


def test_link_temporary_id_survives_reindex(run_cli: Run, store: Path) -> None:
    doc = VALID / "client-record-entry-temporary-id.json"
    assert run_cli("archive", doc, "--store", store, "--as", CITY).exit_code == 0
    hetu = "220788-926D"
    linked = run_cli("clients", "link", "--temporary", "1.2.246.10.91000021.22.2024.3",
                     "--hetu", hetu, "--store", store, "--as", CITY)  # fmt: skip
    assert linked.exit_code == 0, linked.output

    def found() -> int:
        out = run_cli("query", "--client", hetu, "--store", store, "--as", CITY, "--format", "json")
        return int(json.loads(out.stdout)["total"])

    assert found() == 1
    (store / "index.sqlite").unlink()
    reindexed = run_cli("reindex", "--store", store)
    assert "restored 1 client link(s)" in reindexed.output
    assert found() == 1
    bad = run_cli("clients", "link", "--temporary", "x", "--hetu", hetu, "--store", store,
                  "--as", CITY)  # fmt: skip
    assert bad.exit_code == 2


def test_disclosure_within_social_welfare_needs_informed_client(run_cli: Run, store: Path) -> None:
    run_cli("archive", VALID / "client-record-entry.json", "--store", store, "--as", COUNTY)
    oid = "1.2.246.10.91000013.11.2001.1"
    refused = run_cli("disclose", oid, "--to", CITY, "--store", store, "--as", COUNTY)
    assert refused.exit_code == 1 and "disclosure-client-informed" in refused.output
    assert run_cli("show", oid, "--store", store, "--as", CITY).exit_code == 1
    informed = run_cli("clients", "inform", "150612A904S", "--by", COUNTY, "--date",
                       "2024-06-01", "--store", store, "--as", COUNTY)  # fmt: skip
    assert informed.exit_code == 0, informed.output
    allowed = run_cli("disclose", oid, "--to", CITY, "--store", store, "--as", COUNTY)
    assert allowed.exit_code == 0, allowed.output
    assert run_cli("show", oid, "--store", store, "--as", CITY).exit_code == 0
    listed = run_cli("disclosures", "--client", "150612A904S", "--store", store, "--as", COUNTY,
                     "--format", "json")  # fmt: skip
    made = json.loads(listed.output)["disclosures"]
    assert [(d["from_oid"], d["to_oid"]) for d in made] == [(COUNTY, CITY)]
    audit = run_cli("audit", "--store", store, "--client", "150612A904S", "--format", "json",
                    "--as", COUNTY)  # fmt: skip
    events = [e["event"] for e in json.loads(audit.output)["entries"]]
    assert "disclose" in events and "client-inform" in events
    assert run_cli("audit", "verify", "--store", store).exit_code == 0


def test_only_the_controller_discloses(run_cli: Run, store: Path) -> None:
    run_cli("archive", VALID / "client-record-entry.json", "--store", store, "--as", COUNTY)
    run_cli("clients", "inform", "150612A904S", "--by", COUNTY, "--date", "2024-06-01",
            "--store", store, "--as", COUNTY)  # fmt: skip
    result = run_cli("disclose", "1.2.246.10.91000013.11.2001.1", "--to", MEMBER,
                     "--store", store, "--as", CITY)  # fmt: skip
    assert result.exit_code == 1 and "disclosure-by-controller" in result.output
    unknown = run_cli("disclose", "1.2.246.10.91000013.11.2001.1", "--to",
                      "1.2.246.10.95000010", "--store", store, "--as", COUNTY)  # fmt: skip
    assert unknown.exit_code == 1 and "not registered" in unknown.output


def test_disclosure_to_health_care_needs_valid_consent(run_cli: Run, health_store: Path) -> None:
    store = health_store
    result = run_cli("archive", VALID / "case-document-closed.json",
                     VALID / "disclosure-consent.json", "--store", store, "--as", CITY)  # fmt: skip
    assert result.exit_code == 0, result.output
    doc, consent = "1.2.246.10.91000021.11.3001.1", "1.2.246.10.91000021.11.3004.1"
    args = ("--to", HEALTH, "--store", store, "--as", CITY)
    without = run_cli("disclose", doc, *args, "--date", "2024-08-01")
    assert without.exit_code == 1 and "disclosure-health-care-consent" in without.output
    early = run_cli("disclose", doc, *args, "--consent", consent, "--date", "2024-07-01")
    assert early.exit_code == 1 and "not valid on 2024-07-01" in early.output
    allowed = run_cli("disclose", doc, *args, "--consent", consent, "--date", "2024-08-01")
    assert allowed.exit_code == 0, allowed.output
    listed = run_cli("disclosures", "--client", "220788-926D", "--store", store, "--as", CITY,
                     "--format", "json")  # fmt: skip
    assert [d["consent_oid"] for d in json.loads(listed.output)["disclosures"]] == [consent]


def test_disclosure_ban_blocks(run_cli: Run, store: Path) -> None:
    """The client's ban names the shared case document: it is disclosed to nobody, while
    another document of the same clients still is."""
    shared, entry = (
        VALID / "case-document-shared.json",
        VALID / "client-record-entry-common-matter.json",
    )
    result = run_cli("archive", shared, entry, VALID / "disclosure-ban.json",
                     "--store", store, "--as", COUNTY)  # fmt: skip
    assert result.exit_code == 0, result.output
    for hetu in ("030385-911N", "290216A9481"):
        run_cli("clients", "inform", hetu, "--by", COUNTY, "--date", "2024-01-01",
                "--store", store, "--as", COUNTY)  # fmt: skip
    doc = json.loads(shared.read_text())["metadata"]["document_oid"]
    for to in ("1.2.246.10.92000015", CITY):
        banned = run_cli("disclose", doc, "--to", to, "--store", store, "--as", COUNTY)
        assert banned.exit_code == 1 and "disclosure-ban" in banned.output
    other_doc = json.loads(entry.read_text())["metadata"]["document_oid"]
    other = run_cli("disclose", other_doc, "--to", CITY, "--store", store, "--as", COUNTY)
    assert other.exit_code == 0, other.output


def test_controller_transfer_is_audited(run_cli: Run, store: Path) -> None:
    run_cli("archive", VALID / "case-document-closed.json", "--store", store, "--as", CITY)
    moved = run_cli("transfer-controller", "--from", CITY, "--to", COUNTY, "--reason", "merger",
                    "--store", store, "--as", COUNTY)  # fmt: skip
    assert moved.exit_code == 0, moved.output
    audit = run_cli("audit", "--store", store, "--format", "json", "--as", COUNTY)
    last = json.loads(audit.output)["entries"][-1]
    assert (last["event"], last["actor"]) == ("controller-transfer", COUNTY)


# ------------------------------------------------------------------ non-disclosure, summary

ND_DOC = VALID / "customership-non-disclosure.json"
ND_OID = json.loads(ND_DOC.read_text(encoding="utf-8"))["metadata"]["document_oid"]
ND_HETU = "140503A9759"


@pytest.fixture
def nd_store(run_cli: Run, store: Path) -> Path:
    result = run_cli("archive", ND_DOC, VALID / "client-record-entry.json", "--store", store,
                     "--as", COUNTY)  # fmt: skip
    assert result.exit_code == 0, result.output
    return store


def test_show_content_masks_non_disclosure_data(run_cli: Run, nd_store: Path) -> None:
    result = run_cli("show", ND_OID, "--content", "--store", nd_store, "--as", COUNTY)
    assert result.exit_code == 0
    assert "Salakuja" not in result.output and '"lahiosoite": "***"' in result.output


def test_show_raw_of_protected_document_needs_reveal(run_cli: Run, nd_store: Path) -> None:
    refused = run_cli("show", ND_OID, "--raw", "--store", nd_store, "--as", COUNTY)
    assert refused.exit_code == 1 and "non-disclosure" in refused.output
    no_reason = run_cli("show", ND_OID, "--raw", "--reveal", "--store", nd_store, "--as", COUNTY)
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    revealed = run_cli("show", ND_OID, "--content", "--reveal", "--reason", "court order",
                       "--store", nd_store, "--as", COUNTY)  # fmt: skip
    assert revealed.exit_code == 0 and "Salakuja" in revealed.output
    audit = run_cli("audit", "--store", nd_store, "--format", "json", "--client", ND_HETU,
                    "--as", COUNTY)  # fmt: skip
    reveal = [e for e in json.loads(audit.output)["entries"] if e["event"] == "reveal"]
    assert reveal and reveal[0]["details"]["reason"] == "court order"


def test_only_the_controller_reveals(run_cli: Run, nd_store: Path) -> None:
    run_cli("clients", "inform", ND_HETU, "--by", COUNTY, "--date", "2024-01-01",
            "--store", nd_store, "--as", COUNTY)  # fmt: skip
    assert run_cli("disclose", ND_OID, "--to", CITY, "--store", nd_store,
                   "--as", COUNTY).exit_code == 0  # fmt: skip
    masked = run_cli("show", ND_OID, "--content", "--store", nd_store, "--as", CITY)
    assert masked.exit_code == 0 and "Salakuja" not in masked.output
    refused = run_cli("show", ND_OID, "--content", "--reveal", "--reason", "curious",
                      "--store", nd_store, "--as", CITY)  # fmt: skip
    assert refused.exit_code == 1 and "non-disclosure-reveal" in refused.output


def test_export_of_protected_set_needs_reveal(run_cli: Run, nd_store: Path, tmp_path: Path) -> None:
    set_oid = ND_OID.rsplit(".", 1)[0]
    refused = run_cli("export", set_oid, "--to", tmp_path / "x", "--store", nd_store,
                      "--as", COUNTY)  # fmt: skip
    assert refused.exit_code == 1 and not (tmp_path / "x").exists()
    allowed = run_cli("export", set_oid, "--to", tmp_path / "x", "--store", nd_store,
                      "--as", COUNTY, "--reveal", "--reason", "court order")  # fmt: skip
    assert allowed.exit_code == 0, allowed.output


def test_summary_masks_and_filters(run_cli: Run, nd_store: Path) -> None:
    text = run_cli("summary", "--client", ND_HETU, "--store", nd_store, "--as", COUNTY)
    assert text.exit_code == 0, text.output
    assert "Ella Turvanen, *** *** ***, ***" in text.output and "Salakuja" not in text.output
    data = json.loads(run_cli("summary", "--client", ND_HETU, "--format", "json",
                              "--store", nd_store, "--as", COUNTY).output)  # fmt: skip
    assert data["non_disclosure"] is True and data["documents"][0]["masked"] is True
    html = run_cli("summary", "--client", ND_HETU, "--format", "html", "--store", nd_store,
                   "--as", COUNTY)  # fmt: skip
    assert html.output.startswith("<!DOCTYPE html>") and "Salakuja" not in html.output
    revealed = run_cli("summary", "--client", ND_HETU, "--store", nd_store, "--as", COUNTY,
                       "--reveal", "--reason", "client asked for a copy")  # fmt: skip
    assert "Salakuja" in revealed.output
    city = run_cli("summary", "--client", ND_HETU, "--store", nd_store, "--as", CITY)
    assert "0 document(s), 1 hidden" in city.output


def test_summary_and_query_leave_out_patient_data(
    run_cli: Run, store: Path, tmp_path: Path
) -> None:
    doc = json.loads((VALID / "client-record-entry.json").read_text(encoding="utf-8"))
    doc["metadata"]["patient_data"] = True
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run_cli("archive", path, "--store", store, "--as", COUNTY)
    assert result.exit_code == 0, result.output
    args = ("--client", "150612A904S", "--store", store, "--as", COUNTY, "--format", "json")
    assert json.loads(run_cli("summary", *args).output)["documents"] == []
    assert len(json.loads(run_cli("summary", *args, "--patient-data").output)["documents"]) == 1
    assert json.loads(run_cli("query", *args).stdout)["total"] == 0
    assert json.loads(run_cli("query", *args, "--patient-data", "include").stdout)["total"] == 1


def test_legacy_store_masks_content_too(run_cli: Run, tmp_store: Path) -> None:
    assert run_cli("archive", ND_DOC, "--store", tmp_store).exit_code == 0
    result = run_cli("show", ND_OID, "--content", "--store", tmp_store)
    assert result.exit_code == 0 and "Salakuja" not in result.output
    reveal = run_cli("show", ND_OID, "--content", "--reveal", "--reason", "x", "--store", tmp_store)
    assert reveal.exit_code == 2


# ------------------------------------------------------------------ history and invalidate

CASE_DOC = VALID / "case-document-open.json"  # controller: the county
CASE_DOC_OID = "1.2.246.10.91000013.11.1001.1"


def _county_case(run_cli: Run, store: Path) -> None:
    stored = run_cli("archive", CASE_DOC, "--store", store, "--as", COUNTY)
    assert stored.exit_code == 0, stored.output + stored.stderr


def test_history_refused_for_another_register(run_cli: Run, store: Path) -> None:
    _county_case(run_cli, store)
    result = run_cli("history", CASE_DOC_OID, "--store", store, "--as", CITY)
    assert result.exit_code == 1
    assert "may not read" in result.stderr


def test_controller_reads_history_and_the_read_is_audited(run_cli: Run, store: Path) -> None:
    _county_case(run_cli, store)
    result = run_cli("history", CASE_DOC_OID, "--store", store, "--as", COUNTY)
    assert result.exit_code == 0, result.output + result.stderr
    audit = run_cli("audit", "--by", COUNTY, "--store", store, "--as", COUNTY)
    assert "read" in audit.output and CASE_DOC_OID in audit.output


def test_invalidate_refused_for_another_organisation(run_cli: Run, store: Path) -> None:
    _county_case(run_cli, store)
    result = run_cli("invalidate", CASE_DOC_OID, "--reason", "x", "--store", store, "--as", CITY)
    assert result.exit_code == 1
    assert "invalidate-controller-only" in result.stderr
    shown = run_cli("show", CASE_DOC_OID, "--metadata", "--store", store, "--as", COUNTY)
    assert json.loads(shown.output)["status"] == "active"


def test_controller_invalidates_its_document(run_cli: Run, store: Path) -> None:
    _county_case(run_cli, store)
    result = run_cli(
        "invalidate", CASE_DOC_OID, "--reason", "wrong client", "--store", store, "--as", COUNTY
    )
    assert result.exit_code == 0, result.output + result.stderr
    audit = run_cli("audit", "--by", COUNTY, "--store", store, "--as", COUNTY)
    assert "invalidate" in audit.output


def test_unlinking_a_temporary_id_is_reversible_and_survives_reindex(
    run_cli: Run, store: Path
) -> None:
    doc = VALID / "client-record-entry-temporary-id.json"
    temporary, hetu = "1.2.246.10.91000021.22.2024.3", "220788-926D"
    assert run_cli("archive", doc, "--store", store, "--as", CITY).exit_code == 0
    run_cli("clients", "link", "--temporary", temporary, "--hetu", hetu, "--store", store,
            "--as", CITY)  # fmt: skip

    def found() -> int:
        out = run_cli("query", "--client", hetu, "--store", store, "--as", CITY, "--format", "json")
        return int(json.loads(out.stdout)["total"])

    assert found() == 1
    unlinked = run_cli("clients", "unlink", "--temporary", temporary, "--store", store,
                       "--as", CITY)  # fmt: skip
    assert unlinked.exit_code == 0, unlinked.output
    assert found() == 0
    run_cli("reindex", "--store", store)
    assert found() == 0
    again = run_cli("clients", "unlink", "--temporary", temporary, "--store", store, "--as", CITY)
    assert again.exit_code == 2
    audit = run_cli("audit", "--client", hetu, "--store", store, "--as", CITY)
    assert "client-unlink" in audit.output


# ------------------------------------------------- every command acts as an allowed organisation


@pytest.mark.parametrize(
    "args",
    [
        ("rights", "grant", "--organiser", COUNTY, "--producer", PARALLEL,
         "--from", "2024-01-01", "--to", "2024-12-31"),
        ("rights", "list"),
        ("audit",),
        ("disclosures", "--client", "150612A904S"),
        ("clients", "inform", "150612A904S", "--by", COUNTY, "--date", "2024-06-01"),
        ("clients", "link", "--temporary", "1.2.246.10.91000021.22.2024.3",
         "--hetu", "220788-926D"),
        ("transfer-controller", "--from", CITY, "--to", COUNTY, "--reason", "merger"),
        ("orgs", "import", str(ORGS)),
    ],
)  # fmt: skip
def test_with_a_registry_these_commands_need_as(
    run_cli: Run, store: Path, args: tuple[str, ...]
) -> None:
    run_cli("archive", VALID / "case-document-closed.json", "--store", store, "--as", CITY)
    before = (store / "audit.log").read_bytes()
    result = run_cli(*args, "--store", store)
    assert result.exit_code == 2, result.output
    assert "--as" in result.stderr and "Traceback" not in result.output
    assert (store / "audit.log").read_bytes() == before


def test_a_right_granted_without_as_is_not_recorded(run_cli: Run, store: Path) -> None:
    run_cli("rights", "grant", "--store", store, "--organiser", COUNTY, "--producer", PARALLEL,
            "--from", "2024-01-01", "--to", "2024-12-31")  # fmt: skip
    listed = run_cli("rights", "list", "--store", store, "--as", COUNTY, "--format", "json")
    assert json.loads(listed.output)["rights"] == []


def test_transfer_from_an_unknown_controller_exits_2(run_cli: Run, tmp_store: Path) -> None:
    assert (
        run_cli("archive", VALID / "case-document-open.json", "--store", tmp_store).exit_code == 0
    )
    result = run_cli("transfer-controller", "--from", CITY, "--to", COUNTY, "--reason", "x",
                     "--store", tmp_store)  # fmt: skip
    assert result.exit_code == 2 and "holds no document set" in result.stderr


def test_transfer_to_a_private_organisation_is_refused(run_cli: Run, store: Path) -> None:
    run_cli("archive", VALID / "case-document-closed.json", "--store", store, "--as", CITY)
    result = run_cli("transfer-controller", "--from", CITY, "--to", "1.2.246.10.92000015",
                     "--reason", "x", "--store", store, "--as", "1.2.246.10.92000015")  # fmt: skip
    assert result.exit_code == 1 and "transfer-to-public-organisation" in result.stderr


def test_refused_show_raw_writes_no_read_line(run_cli: Run, nd_store: Path) -> None:
    before = (nd_store / "audit.log").read_bytes()
    refused = run_cli("show", ND_OID, "--raw", "--store", nd_store, "--as", COUNTY)
    assert refused.exit_code == 1 and "non-disclosure-unmasked-output" in refused.stderr
    assert (nd_store / "audit.log").read_bytes() == before


def test_actor_names_a_person_never_the_acting_organisation(
    run_cli: Run, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KANTA_ARCHIVE_ACTOR", COUNTY)
    refused = run_cli("archive", VALID / "case-document-open.json", "--store", store)
    assert refused.exit_code == 2 and "--as" in refused.stderr
    monkeypatch.setenv("KANTA_ARCHIVE_ACTOR", "maija.meikalainen")
    stored = run_cli("archive", VALID / "case-document-open.json", "--store", store, "--as", COUNTY)
    assert stored.exit_code == 0, stored.output
    entries = json.loads(run_cli("audit", "--store", store, "--as", COUNTY, "--format", "json",
                                 "--by", COUNTY).output)["entries"]  # fmt: skip
    assert entries[-1]["user"] == "maija.meikalainen"


def test_audit_verify_of_a_store_without_access_control_creates_nothing(
    run_cli: Run, tmp_store: Path
) -> None:
    stored = run_cli("archive", VALID / "case-document-open.json", "--store", tmp_store)
    assert stored.exit_code == 0
    before = sorted(p.name for p in tmp_store.iterdir())
    result = run_cli("audit", "verify", "--store", tmp_store)
    assert result.exit_code == 0 and "0 line(s)" in result.output
    assert sorted(p.name for p in tmp_store.iterdir()) == before
