"""The client data summary (kooste): a client's documents arranged for reading.

A pure function over the documents the archive returned for one client (already filtered
by what the actor may read, and masked): per service task, the cases (open or closed) and
customerships, the latest document of each type and the counts; and a timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

CASE_ROOT = "asia_asiakirja"  # THL's case document, structure 1.2.246.537.6.1505.2
CUSTOMERSHIP_ROOT = "asiakkuusasiakirja"  # the customership document, 1.2.246.537.6.1505.1


def _root(content: Any, name: str) -> Mapping[str, Any] | None:
    body = content.get(name) if isinstance(content, Mapping) else None
    return body if isinstance(body, Mapping) else None


def _display(coded: Any) -> str | None:
    return str(coded.get("display")) if isinstance(coded, Mapping) else None


def _case(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    from kanta_archive.rules.content_rules import is_closed

    body = _root(doc.get("content"), CASE_ROOT)
    details = body.get("asian_tiedot") if body else None
    if not isinstance(details, Mapping):
        return None
    number = details.get("asiatunnus")
    state = details.get("tila")
    return {
        "case": number.get("value") if isinstance(number, Mapping) else None,
        "state": "closed" if is_closed(state) else "open",
        "state_display": _display(state),
        "opened": details.get("avauspaiva"),
        "closed": details.get("paattymispaiva"),
        "document_oid": doc.get("document_oid"),
        "effective_time": doc.get("effective_time"),
    }


def _customership(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    body = _root(doc.get("content"), CUSTOMERSHIP_ROOT)
    details = body.get("sosiaalihuollon_asiakkuus") if body else None
    if not isinstance(details, Mapping):
        return None
    end = details.get("asiakkuuden_paattymispvm")
    units = body.get("palvelunjarjestajan_palveluyksikko") if body else None
    first = units[0] if isinstance(units, list) and units else None
    unit = _display(first.get("palveluyksikon_nimi")) if isinstance(first, Mapping) else None
    return {
        "state": "closed" if end else "open",
        "started": details.get("asiakkuuden_alkamispvm"),
        "ended": end,
        "unit": unit or _display((body or {}).get("palvelunjarjestajan_toimintayksikko")),
        "document_oid": doc.get("document_oid"),
        "effective_time": doc.get("effective_time"),
    }


def _latest_per_key(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One entry per ``key`` value (e.g. per case number): the newest by effective time."""
    chosen: dict[Any, dict[str, Any]] = {}
    for item in sorted(items, key=lambda i: str(i.get("effective_time") or "")):
        chosen[item.get(key) or item.get("document_oid")] = item
    return sorted(chosen.values(), key=lambda i: str(i.get("effective_time") or ""), reverse=True)


def build_summary(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Arrange ``documents`` (dicts with document_oid, effective_time, title, document_type,
    service_task, status, content, …) into service-task sections and a timeline."""
    tasks: dict[str, list[Mapping[str, Any]]] = {}
    for doc in documents:
        tasks.setdefault(str(doc.get("service_task") or "—"), []).append(doc)
    sections = []
    for task, docs in sorted(tasks.items()):
        cases = [c for c in map(_case, docs) if c]
        customerships = [c for c in map(_customership, docs) if c]
        latest: dict[str, Mapping[str, Any]] = {}
        counts: dict[str, int] = {}
        for doc in sorted(docs, key=lambda d: str(d.get("effective_time") or "")):
            kind = str(doc.get("document_type") or "—")
            latest[kind] = doc
            counts[kind] = counts.get(kind, 0) + 1
        sections.append(
            {
                "service_task": task,
                "documents": len(docs),
                "cases": _latest_per_key(cases, "case"),
                "customerships": _latest_per_key(customerships, "document_oid"),
                "latest_by_type": [
                    {
                        "document_type": kind,
                        "count": counts[kind],
                        "title": doc.get("title"),
                        "effective_time": doc.get("effective_time"),
                        "document_oid": doc.get("document_oid"),
                        "status": doc.get("status"),
                    }
                    for kind, doc in sorted(latest.items())
                ],
            }
        )
    timeline = [
        {
            key: doc.get(key)
            for key in ("effective_time", "document_type", "title", "service_task", "status")
        }
        | {"document_oid": doc.get("document_oid")}
        for doc in sorted(documents, key=lambda d: str(d.get("effective_time") or ""))
    ]
    return {"service_tasks": sections, "timeline": timeline}
