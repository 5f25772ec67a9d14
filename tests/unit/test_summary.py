"""The client data summary groups documents by service task, with cases, customerships,
the latest document of each type and a timeline."""

from __future__ import annotations

from typing import Any

from kanta_archive.reports.summary import render_html, render_text
from kanta_archive.summary import build_summary

TASK = "Lapsiperheiden palvelut"
STATES = {"1": "Avoin", "2": "Suljettu"}  # the case is read closed by its state's name


def case(oid: str, when: str, state: str, number: str, end: str | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {
        "asiatunnus": {"value": number},
        "tila": {"system": "urn:oid:1.2.246.537.6.1501", "code": state, "display": STATES[state]},
        "avauspaiva": "2024-01-01",
    }
    if end:
        details["paattymispaiva"] = end
    return doc(oid, when, "Asia-asiakirja", {"asia_asiakirja": {"asian_tiedot": details}})


def doc(oid: str, when: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "document_oid": oid,
        "effective_time": when,
        "title": f"{kind} {oid}",
        "document_type": kind,
        "service_task": TASK,
        "status": "active",
        "content": content,
    }


def test_a_case_shows_its_latest_state() -> None:
    summary = build_summary(
        [
            case("1.1", "2024-01-01T10:00:00Z", "1", "C1"),
            case("1.2", "2024-05-01T10:00:00Z", "2", "C1", end="2024-05-01"),
        ]
    )
    [section] = summary["service_tasks"]
    assert [(c["case"], c["state"], c["closed"]) for c in section["cases"]] == [
        ("C1", "closed", "2024-05-01")
    ]


def test_open_and_closed_cases_are_listed_separately_by_case_number() -> None:
    summary = build_summary(
        [
            case("1.1", "2024-01-01T10:00:00Z", "1", "C1"),
            case("2.1", "2024-02-01T10:00:00Z", "2", "C2", end="2024-03-01"),
        ]
    )
    states = {c["case"]: c["state"] for c in summary["service_tasks"][0]["cases"]}
    assert states == {"C1": "open", "C2": "closed"}


def test_customership_without_end_date_is_open() -> None:
    body = {
        "asiakkuusasiakirja": {
            "sosiaalihuollon_asiakkuus": {"asiakkuuden_alkamispvm": "2024-08-01"}
        }
    }
    summary = build_summary([doc("3.1", "2024-08-01T09:00:00Z", "Asiakkuusasiakirja", body)])
    [customership] = summary["service_tasks"][0]["customerships"]
    assert customership["state"] == "open" and customership["started"] == "2024-08-01"


def test_latest_document_of_each_type_with_counts() -> None:
    entries = [
        doc("4.1", "2024-01-01T10:00:00Z", "Merkintä", {}),
        doc("4.2", "2024-03-01T10:00:00Z", "Merkintä", {}),
        doc("4.3", "2024-02-01T10:00:00Z", "Merkintä", {}),
    ]
    [latest] = build_summary(entries)["service_tasks"][0]["latest_by_type"]
    assert (latest["document_oid"], latest["count"]) == ("4.2", 3)


def test_timeline_is_in_time_order() -> None:
    entries = [
        doc("5.2", "2024-03-01T10:00:00Z", "Merkintä", {}),
        doc("5.1", "2024-01-01T10:00:00Z", "Merkintä", {}),
    ]
    assert [t["document_oid"] for t in build_summary(entries)["timeline"]] == ["5.1", "5.2"]


def test_html_escapes_document_text_and_has_no_script() -> None:
    entry = doc("6.1", "2024-01-01T10:00:00Z", "<script>alert(1)</script>", {})
    data = {
        "client": "150612A904S",
        "non_disclosure": False,
        "documents": [entry],
        "hidden": 0,
        "summary": build_summary([entry]),
    }
    html = render_html(data)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "150612A904S" in render_text(data)
