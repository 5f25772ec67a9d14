"""The commissioning-test report as one self-contained HTML file.

Inline CSS only: no scripts, no fonts, images or style sheets from elsewhere, so the file
can be mailed, archived and opened offline. Every text that comes from the report
(document content, paths, the system name) goes through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from kanta_archive.commissioning.report import (
    CaseResult,
    CommissioningReport,
    CoverageRow,
    DocumentRecord,
)
from kanta_archive.findings import Finding

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: #1d2330; background: #f4f6f9; margin: 0; padding: 24px; }
main { max-width: 1180px; margin: 0 auto; background: #fff; padding: 28px 36px;
  border: 1px solid #d8dde6; border-radius: 6px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e3e7ee; }
h3 { font-size: 16px; margin: 0; }
.subtitle { color: #56607a; margin: 0 0 18px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
  border-bottom: 1px solid #e3e7ee; }
th { background: #eef1f6; font-weight: 600; }
table.facts th { width: 230px; background: none; color: #56607a; font-weight: 500; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
td code, td .mono, li .mono { overflow-wrap: anywhere; }
.case details { overflow-x: auto; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 11px; font-weight: 700;
  font-size: 13px; letter-spacing: .03em; }
.pass { background: #dcf3e2; color: #17612c; }
.fail { background: #fbe0e0; color: #9b1c1c; }
.na { background: #eceff4; color: #56607a; }
.verdict { font-size: 20px; padding: 12px 16px; border-radius: 6px; margin: 12px 0 6px; }
.verdict.pass { border: 1px solid #9fd8ae; }
.verdict.fail { border: 1px solid #eeaaaa; }
.case { border: 1px solid #d8dde6; border-left-width: 6px; border-radius: 4px;
  padding: 10px 14px; margin: 10px 0; }
.case.pass { border-left-color: #2e9a4d; background: #fff; color: inherit; }
.case.fail { border-left-color: #c53030; background: #fff; color: inherit; }
.case header { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.case .id { color: #56607a; }
.case p { margin: 6px 0; }
.checks { color: #56607a; font-size: 14px; }
ul.steps { margin: 4px 0 6px; padding-left: 20px; }
details { margin-top: 6px; }
summary { cursor: pointer; color: #2c4f8f; }
.finding-error { color: #9b1c1c; }
.finding-warning { color: #8a5a00; }
.finding-info { color: #56607a; }
td.num { text-align: right; }
footer { margin-top: 28px; color: #56607a; font-size: 13px; }
@media print { body { background: #fff; padding: 0; } main { border: 0; }
  details { display: block; } }
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _badge(passed: bool | None, yes: str = "PASSED", no: str = "FAILED") -> str:
    if passed is None:
        return '<span class="badge na">—</span>'
    return f'<span class="badge {"pass" if passed else "fail"}">{_e(yes if passed else no)}</span>'


def _facts(report: CommissioningReport) -> str:
    passed = sum(1 for c in report.cases if c.passed)
    schemas = "<br>".join(
        f"<code>{_e(s.oid)}</code> {_e(s.version)} {_e(s.title)}"
        + ("" if s.known else " <em>(unknown to the tool)</em>")
        + f" — {s.documents} document(s)"
        for s in report.schemas
    )
    rows = [
        ("Organisation (OID)", f"<code>{_e(report.organisation_oid)}</code>"),
        ("System under test", _e(report.system)),
        ("Tool", f"{_e(report.tool)} {_e(report.tool_version)}"),
        ("Generated (UTC)", f"<code>{_e(report.generated_at)}</code>"),
        (
            "Test plan",
            f"{_e(report.plan_name)} <span class='mono'>({_e(report.plan_source)})</span>",
        ),
        ("Plan description", _e(report.plan_description)),
        ("Documents folder", f"<code>{_e(report.folder)}</code>"),
        ("Structure schemas used", schemas or "none"),
        (
            "Result",
            f"{passed} of {len(report.cases)} case(s) passed; "
            f"{sum(1 for d in report.documents if d.valid)} of {len(report.documents)} "
            "document(s) valid",
        ),
    ]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="facts">{body}</table>'


def _coverage(rows: Sequence[CoverageRow]) -> str:
    head = (
        "<tr><th>Structure</th><th>OID</th><th>Required by the plan</th>"
        "<th>Found versions</th><th>Documents</th><th>Valid</th><th>Coverage</th></tr>"
    )
    body = []
    for row in rows:
        required = "yes" + (
            f" (version {_e(row.required_version)})" if row.required_version else ""
        )
        status = _badge(row.covered, "COVERED", "MISSING") if row.required else _badge(None)
        body.append(
            f"<tr><td>{_e(row.name)}</td><td><code>{_e(row.oid)}</code></td>"
            f"<td>{required if row.required else 'no'}</td>"
            f"<td>{_e(', '.join(row.found_versions)) or '—'}</td>"
            f'<td class="num">{row.documents}</td><td class="num">{row.valid}</td>'
            f"<td>{status}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _finding(finding: Finding) -> str:
    where = finding.location.describe()
    return (
        f'<li class="finding-{_e(finding.severity.value)}"><code>{_e(finding.code)}</code> '
        f"{_e(finding.severity.value)}: {_e(finding.message)}"
        + (f" <span class='mono'>[{_e(where)}]</span>" if where else "")
        + "</li>"
    )


def _findings(findings: Iterable[Finding]) -> str:
    items = "".join(_finding(f) for f in findings)
    return f"<ul>{items}</ul>" if items else "no findings"


def _documents_table(documents: Sequence[DocumentRecord]) -> str:
    head = (
        "<tr><th>File</th><th>Document OID</th><th>Version</th><th>Valid</th>"
        "<th>Archived</th><th>Findings</th></tr>"
    )
    body = []
    for doc in documents:
        archived = _e(doc.archived or "not submitted")
        if doc.archive_reason:
            archived += f" ({_e(doc.archive_reason)})"
        body.append(
            f"<tr><td><code>{_e(doc.source)}</code></td>"
            f"<td><code>{_e(doc.document_oid or '—')}</code></td>"
            f"<td>{_e(doc.version if doc.version is not None else '—')}</td>"
            f"<td>{_badge(doc.valid, 'valid', 'invalid')}</td><td>{archived}</td>"
            f"<td>{_findings(doc.findings)}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _case(case: CaseResult) -> str:
    state = "pass" if case.passed else "fail"
    steps = "".join(f"<li>{_e(step)}</li>" for step in case.steps)
    documents = ""
    if case.documents:
        open_attr = "" if case.passed else " open"
        documents = (
            f"<details{open_attr}><summary>{len(case.documents)} document(s) used and their "
            f"findings</summary>{_documents_table(case.documents)}</details>"
        )
    return (
        f'<section class="case {state}" id="case-{_e(case.id)}"><header>{_badge(case.passed)}'
        f"<h3>{_e(case.title)}</h3><code class='id'>{_e(case.id)}</code></header>"
        f"<p><strong>{_e(case.message)}</strong></p>"
        f'<p class="checks">Checks: {_e(case.checks)}</p>'
        + (f'<ul class="steps">{steps}</ul>' if steps else "")
        + documents
        + "</section>"
    )


def render_html(report: CommissioningReport) -> str:
    """The whole report as an HTML5 document."""
    verdict = "pass" if report.passed else "fail"
    failed = report.failed_cases
    headline = (
        "All cases passed."
        if report.passed
        else f"{len(failed)} case(s) failed: " + ", ".join(c.id for c in failed)
    )
    title = f"Commissioning test report — {report.system}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n"
        "<body><main>"
        "<h1>Commissioning test report</h1>"
        '<p class="subtitle">Käyttöönottokoe — Kanta Social Welfare Client Data Archive, '
        "phase 2</p>"
        f'<div class="verdict {verdict}">{_badge(report.passed)} {_e(headline)}</div>'
        f"<h2>Test</h2>{_facts(report)}"
        f"<h2>Structure coverage</h2>{_coverage(report.coverage)}"
        f"<h2>Cases</h2>{''.join(_case(c) for c in report.cases)}"
        f"<h2>All documents</h2>{_documents_table(report.documents)}"
        f"<footer>Generated by {_e(report.tool)} {_e(report.tool_version)} at "
        f"{_e(report.generated_at)}. The scratch archive used by the test was removed "
        "afterwards.</footer>"
        "</main></body></html>\n"
    )


__all__ = ["render_html"]
