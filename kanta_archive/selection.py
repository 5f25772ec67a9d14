"""Which finding codes a run reports: ``--select`` / ``--ignore``, as linters do.

A pattern is a finding code (``KA-HETU-TEST``) or a code prefix ending in ``*``
(``KA-SIGNATURE-*``); every pattern must name at least one code of the catalogue, so a typo
is a usage error rather than a silent no-op. A finding is reported when it matches a
``select`` pattern (every finding when ``select`` is empty) and no ``ignore`` pattern. A
finding that is not reported does not count for the exit code either: ignoring an error
code makes a document pass ``validate``. Archiving is not affected: ``archive`` stores only
documents without any error finding, whatever is selected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kanta_archive.errors import UsageError
from kanta_archive.findings import Finding, ValidationResult


def _matches(pattern: str, code: str) -> bool:
    return code.startswith(pattern[:-1]) if pattern.endswith("*") else code == pattern


def check_patterns(patterns: Iterable[str], known: Iterable[str], option: str) -> tuple[str, ...]:
    """``patterns`` normalised (upper case, stripped), each naming a known code."""
    codes = tuple(known)
    out: list[str] = []
    for raw in patterns:
        pattern = raw.strip().upper()
        if not pattern:
            continue
        if not any(_matches(pattern, code) for code in codes):
            raise UsageError(
                f"{option} {raw!r}: no finding code matches it (see `kanta-archive findings`)"
            )
        out.append(pattern)
    return tuple(out)


@dataclass(frozen=True)
class FindingSelection:
    """The finding codes a run reports (see the module docstring)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @classmethod
    def of(cls, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> FindingSelection:
        """A selection checked against the catalogue of finding codes."""
        from kanta_archive.catalogue import CATALOGUE

        known = [info.code for info in CATALOGUE]
        return cls(
            check_patterns(select, known, "--select"), check_patterns(ignore, known, "--ignore")
        )

    def reports(self, finding: Finding) -> bool:
        """True when ``finding`` is reported."""
        code = finding.code
        if self.select and not any(_matches(p, code) for p in self.select):
            return False
        return not any(_matches(p, code) for p in self.ignore)

    def apply(self, result: ValidationResult) -> ValidationResult:
        """``result`` with only the reported findings."""
        if not self.select and not self.ignore:
            return result
        kept = tuple(f for f in result.findings if self.reports(f))
        return dataclasses.replace(result, findings=kept)
