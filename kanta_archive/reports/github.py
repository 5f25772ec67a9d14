"""GitHub Actions workflow commands: one annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence

from kanta_archive.findings import Finding, Severity, ValidationResult
from kanta_archive.reports.base import Reporter, escape_controls, where

_COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
}


def escape_data(value: str) -> str:
    """Escape the message part of a workflow command (after ``::``).

    Messages quote document content: control characters other than line breaks are
    shown as escapes so a document cannot send terminal sequences into the CI log.
    """
    return (
        escape_controls(value, keep_line_breaks=True)
        .replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )


def escape_property(value: str) -> str:
    """Escape a property value (``file=``, ``title=``) of a workflow command."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    """``::error file=<path>,line=<l>,col=<c>,title=<CODE>::<message> (<pointer>)``.

    ``::warning`` and ``::notice`` for the lesser severities; ``line``/``col`` are
    left out when unknown, and `` (<pointer>)`` when the finding has no place.
    Valid documents without findings print nothing.
    """

    name = "github"

    def render(
        self,
        results: Sequence[ValidationResult],
        *,
        tool_version: str,
        color: bool = False,
    ) -> str:
        return "".join(
            self._command(result.source, finding) + "\n"
            for result in results
            for finding in result.findings
        )

    @staticmethod
    def _command(source: str, finding: Finding) -> str:
        loc = finding.location
        props = [f"file={escape_property(source)}"]
        if loc.line is not None:
            props.append(f"line={loc.line}")
            if loc.column is not None:
                props.append(f"col={loc.column}")
        props.append(f"title={escape_property(finding.code)}")
        message = finding.message
        place = where(loc)
        if place:
            message += f" ({place})"
        return f"::{_COMMANDS[finding.severity]} {','.join(props)}::{escape_data(message)}"
