"""The default report for people: one line per finding and a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from kanta_archive.findings import Finding, Severity, ValidationResult
from kanta_archive.reports.base import Reporter, Summary, one_line, where

_COLOURS = {
    Severity.ERROR: "\x1b[31m",  # red
    Severity.WARNING: "\x1b[33m",  # yellow
    Severity.INFO: "\x1b[36m",  # cyan
}
_RESET = "\x1b[0m"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class TextReporter(Reporter):
    """``path:line:col: severity CODE message [pointer]`` per finding, then a summary.

    Documents without findings get no line of their own; the summary counts them.
    ``line:col`` is left out when the parser did not know it (``path:line:`` when
    only the line is known); the bracket shows the JSON Pointer, else the XPath.
    """

    name = "text"

    def render(
        self,
        results: Sequence[ValidationResult],
        *,
        tool_version: str,
        color: bool = False,
    ) -> str:
        lines = [
            self.finding_line(result.source, finding, color=color)
            for result in results
            for finding in result.findings
        ]
        s = Summary.of(results)
        lines.append(
            f"{_plural(s.documents, 'document')}: {s.valid} valid, {s.invalid} invalid, "
            f"{_plural(s.warnings, 'warning')}"
        )
        return "\n".join(lines) + "\n"

    @staticmethod
    def finding_line(source: str, finding: Finding, *, color: bool = False) -> str:
        """One finding as ``path:line:col: severity CODE message [pointer]``."""
        loc = finding.location
        head = one_line(source)
        if loc.line is not None:
            head += f":{loc.line}"
            if loc.column is not None:
                head += f":{loc.column}"
        severity = finding.severity.value
        if color:
            severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
        line = f"{head}: {severity} {finding.code} {one_line(finding.message)}"
        place = where(loc)
        if place:
            line += f" [{one_line(place)}]"
        return line
