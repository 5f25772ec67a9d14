"""Output formats for validation results, looked up by name for ``--format``.

Example::

    reporter = get_reporter("sarif")
    sys.stdout.write(reporter.render(results, tool_version=__version__))
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from kanta_archive.errors import UsageError
from kanta_archive.reports.base import Reporter, Summary
from kanta_archive.reports.github import GithubReporter
from kanta_archive.reports.json_report import JsonReporter
from kanta_archive.reports.junit import JunitReporter
from kanta_archive.reports.sarif import SarifReporter
from kanta_archive.reports.text import TextReporter

__all__ = [
    "DEFAULT_FORMAT",
    "REPORTERS",
    "Reporter",
    "Summary",
    "get_reporter",
    "reporter_names",
]

DEFAULT_FORMAT = "text"

REPORTERS: Mapping[str, Reporter] = MappingProxyType(
    {
        reporter.name: reporter
        for reporter in (
            TextReporter(),
            JsonReporter(),
            JunitReporter(),
            SarifReporter(),
            GithubReporter(),
        )
    }
)


def reporter_names() -> tuple[str, ...]:
    """The format names, default first (for ``click.Choice``)."""
    return (DEFAULT_FORMAT, *sorted(n for n in REPORTERS if n != DEFAULT_FORMAT))


def get_reporter(name: str) -> Reporter:
    """The reporter for ``name``; :class:`UsageError` names the known formats otherwise."""
    try:
        return REPORTERS[name]
    except KeyError:
        known = ", ".join(reporter_names())
        raise UsageError(f"unknown report format {name!r} (known: {known})") from None
