"""Render the client data summary (kooste) as text or as one self-contained HTML page."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

_CSS = """
body { font-family: system-ui, sans-serif; color: #1b1b1b; background: #f4f6f8;
       margin: 0; line-height: 1.45; }
header { background: #2b5d8a; color: #fff; padding: 1.2rem 2rem; }
header h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
main { max-width: 70rem; margin: 1.2rem auto; padding: 0 1.2rem; }
.notice { background: #fff4d6; border-left: 5px solid #d89b00; padding: .6rem 1rem;
          margin: 0 0 1rem; }
section.task { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px #0002;
               padding: .8rem 1.2rem; margin-bottom: 1rem; }
section.task h2 { margin: .2rem 0 .6rem; color: #2b5d8a; }
.counts { color: #555; margin: 0 0 .6rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e7eb;
         vertical-align: top; }
th { background: #eef3f8; font-weight: 600; }
.open { color: #1e7b34; font-weight: 600; }
.closed { color: #6b6b6b; font-weight: 600; }
.invalidated { color: #b3261e; }
ol.timeline { list-style: none; padding-left: 1rem; border-left: 3px solid #2b5d8a; }
ol.timeline li { margin: .4rem 0; }
ol.timeline time { font-variant-numeric: tabular-nums; color: #2b5d8a; margin-right: .6rem; }
.oid { font-family: ui-monospace, monospace; font-size: .85em; color: #555;
       overflow-wrap: anywhere; }
"""


def _entries(block: Any) -> list[Mapping[str, Any]]:
    """A client block (``asiakas``) as a list: real structures write it as an array or as
    one object."""
    items = block if isinstance(block, list) else [block]
    return [item for item in items if isinstance(item, Mapping)]


def client_lines(content: Any) -> list[str]:
    """Name and contact data of each client (``asiakas``) in a document's content."""
    out: list[str] = []
    if not isinstance(content, Mapping):
        return out
    for body in content.values():
        if not isinstance(body, Mapping):
            continue
        for client in _entries(body.get("asiakas")):
            contact = client.get("yhteystiedot") or {}
            addresses = contact.get("osoite") if isinstance(contact, Mapping) else None
            address = addresses[0] if isinstance(addresses, list) and addresses else {}
            address = address if isinstance(address, Mapping) else {}
            parts = [
                f"{client.get('etunimet', '')} {client.get('sukunimi', '')}".strip(),
                " ".join(
                    str(address.get(k, ""))
                    for k in ("lahiosoite", "postinumero", "postitoimipaikka")
                ).strip(),
                str(contact.get("puhelinnumero", "")) if isinstance(contact, Mapping) else "",
            ]
            out.append(", ".join(p for p in parts if p))
    return out


def _date(value: Any) -> str:
    return str(value or "")[:10]


def render_text(data: Mapping[str, Any]) -> str:
    """The summary for a terminal."""
    lines = [
        f"Client data summary for {data['client']}",
        f"{len(data['documents'])} document(s)"
        + (f", {data['hidden']} hidden (not readable by the actor)" if data["hidden"] else ""),
    ]
    if data["non_disclosure"]:
        lines.append("Non-disclosure marking: contact data are masked (***).")
    for section in data["summary"]["service_tasks"]:
        lines += ["", f"== {section['service_task']} ({section['documents']} document(s))"]
        for case in section["cases"]:
            lines.append(
                f"  case {case['case']}: {case['state']}, opened {case['opened'] or '-'}"
                + (f", closed {case['closed']}" if case["closed"] else "")
            )
        for c in section["customerships"]:
            lines.append(
                f"  customership: {c['state']}, from {c['started'] or '-'}"
                + (f" to {c['ended']}" if c["ended"] else "")
                + (f", {c['unit']}" if c["unit"] else "")
            )
        for item in section["latest_by_type"]:
            lines.append(
                f"  latest {item['document_type']} ({item['count']}): {item['title']}, "
                f"{_date(item['effective_time'])}, {item['status']}"
            )
    lines += ["", "Timeline:"]
    lines += [
        f"  {_date(t['effective_time'])}  {t['document_type']}: {t['title']} [{t['status']}]"
        for t in data["summary"]["timeline"]
    ]
    clients = sorted({c for d in data["documents"] for c in client_lines(d["content"])})
    if clients:
        lines += ["", "Clients as recorded:"] + [f"  {c}" for c in clients]
    return "\n".join(lines) + "\n"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STATUS_FI = {"active": "voimassa", "invalidated": "mitätöity"}


def _status(status: Any) -> str:
    text = str(status)
    return f'<span class="{escape(text)}">{escape(_STATUS_FI.get(text, text))}</span>'


def _state(state: str) -> str:
    label = {"open": "avoin", "closed": "päättynyt"}.get(state, state)
    return f'<span class="{escape(state)}">{escape(label)}</span>'


def render_html(data: Mapping[str, Any]) -> str:
    """The summary as one self-contained HTML page (inline CSS, no scripts, no links out)."""
    client = escape(str(data["client"]))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fi"><head><meta charset="utf-8">',
        f"<title>Asiakastietojen kooste {client}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>Asiakastietojen kooste</h1><div>Asiakas {client} · "
        f"{len(data['documents'])} asiakirjaa"
        + (f" · {data['hidden']} piilotettu" if data["hidden"] else "")
        + "</div></header><main>",
    ]
    if data["non_disclosure"]:
        parts.append(
            '<p class="notice">Turvakielto: yhteystiedot on peitetty (***). '
            "Non-disclosure marking: contact data are masked.</p>"
        )
    for section in data["summary"]["service_tasks"]:
        parts.append(
            f'<section class="task"><h2>{escape(section["service_task"])}</h2>'
            f'<p class="counts">{section["documents"]} asiakirjaa</p>'
        )
        if section["cases"]:
            parts.append("<h3>Asiat</h3>")
            parts.append(
                _table(
                    ["Asianumero", "Tila", "Avattu", "Päättynyt"],
                    [
                        [
                            f'<span class="oid">{escape(str(c["case"]))}</span>',
                            _state(c["state"]),
                            escape(str(c["opened"] or "")),
                            escape(str(c["closed"] or "")),
                        ]
                        for c in section["cases"]
                    ],
                )
            )
        if section["customerships"]:
            parts.append("<h3>Asiakkuudet</h3>")
            parts.append(
                _table(
                    ["Tila", "Alkanut", "Päättynyt", "Vastuuyksikkö"],
                    [
                        [
                            _state(c["state"]),
                            escape(str(c["started"] or "")),
                            escape(str(c["ended"] or "")),
                            escape(str(c["unit"] or "")),
                        ]
                        for c in section["customerships"]
                    ],
                )
            )
        parts.append("<h3>Viimeisimmät asiakirjat</h3>")
        parts.append(
            _table(
                ["Asiakirjatyyppi", "Määrä", "Viimeisin", "Aika", "Tila"],
                [
                    [
                        escape(str(i["document_type"])),
                        str(i["count"]),
                        escape(str(i["title"] or "")),
                        escape(_date(i["effective_time"])),
                        _status(i["status"]),
                    ]
                    for i in section["latest_by_type"]
                ],
            )
        )
        parts.append("</section>")
    parts.append('<section class="task"><h2>Aikajana</h2><ol class="timeline">')
    for t in data["summary"]["timeline"]:
        parts.append(
            f"<li><time>{escape(_date(t['effective_time']))}</time>"
            f"<strong>{escape(str(t['document_type']))}</strong>: {escape(str(t['title']))}"
            f" · {escape(str(t['service_task']))}"
            + (
                ' <span class="invalidated">mitätöity</span>'
                if t["status"] == "invalidated"
                else ""
            )
            + "</li>"
        )
    parts.append("</ol></section>")
    clients = sorted({c for d in data["documents"] for c in client_lines(d["content"])})
    if clients:
        parts.append('<section class="task"><h2>Asiakkaan tiedot asiakirjoissa</h2><ul>')
        parts += [f"<li>{escape(c)}</li>" for c in clients]
        parts.append("</ul></section>")
    parts.append("</main></body></html>\n")
    return "".join(parts)
