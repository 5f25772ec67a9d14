"""Output formats for validation results, looked up by name for ``--format``; and the
renderers of every other command's results (:mod:`~kanta_archive.reports.records`,
:mod:`~kanta_archive.reports.archive_text`, :mod:`~kanta_archive.reports.access_text`).

Example::

    reporter = get_reporter("sarif")
    sys.stdout.write(reporter.render(results, tool_version=__version__))

:data:`FINDINGS_FORMATS` is the one list of findings formats: ``validate --format`` offers
it and :data:`REPORTERS` holds one reporter per name. The reporters load on first use, so
that a command's ``--help`` does not import them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from kanta_archive.errors import UsageError

if TYPE_CHECKING:
    from kanta_archive.reports.base import Reporter, Summary

    REPORTERS: Mapping[str, Reporter]

__all__ = [
    "DEFAULT_FORMAT",
    "FINDINGS_FORMATS",
    "REPORTERS",
    "Reporter",
    "Summary",
    "get_reporter",
    "reporter_names",
]

DEFAULT_FORMAT: Final = "text"

# name -> (module, class): the reporter of each findings format.
_REPORTER_CLASSES: Final = {
    "text": ("kanta_archive.reports.text", "TextReporter"),
    "github": ("kanta_archive.reports.github", "GithubReporter"),
    "json": ("kanta_archive.reports.json_report", "JsonReporter"),
    "junit": ("kanta_archive.reports.junit", "JunitReporter"),
    "sarif": ("kanta_archive.reports.sarif", "SarifReporter"),
}

#: The findings formats, default first (for ``click.Choice``).
FINDINGS_FORMATS: Final = tuple(_REPORTER_CLASSES)


def reporter_names() -> tuple[str, ...]:
    """The findings format names, default first (for ``click.Choice``)."""
    return FINDINGS_FORMATS


@cache
def _load(name: str) -> Reporter:
    module, cls = _REPORTER_CLASSES[name]
    reporter: Reporter = getattr(importlib.import_module(module), cls)()
    return reporter


def get_reporter(name: str) -> Reporter:
    """The reporter for ``name``; :class:`UsageError` names the known formats otherwise."""
    if name not in _REPORTER_CLASSES:
        known = ", ".join(reporter_names())
        raise UsageError(f"unknown report format {name!r} (known: {known})")
    return _load(name)


def __getattr__(name: str) -> Any:
    if name == "REPORTERS":
        return MappingProxyType({n: _load(n) for n in _REPORTER_CLASSES})
    if name in ("Reporter", "Summary"):
        from kanta_archive.reports import base

        return getattr(base, name)
    raise AttributeError(f"module 'kanta_archive.reports' has no attribute {name!r}")
