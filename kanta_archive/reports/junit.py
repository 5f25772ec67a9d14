"""JUnit XML for CI servers (valid against the Jenkins ``junit-10.xsd``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from kanta_archive.findings import Finding, Severity, ValidationResult
from kanta_archive.reports.base import TOOL_NAME, Reporter, Summary
from kanta_archive.reports.text import TextReporter

# Characters XML 1.0 cannot carry, even escaped: most C0 controls, lone surrogates,
# U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _lines(source: str, findings: Sequence[Finding]) -> str:
    return "\n".join(TextReporter.finding_line(source, f) for f in findings)


class JunitReporter(Reporter):
    """``<testsuites>`` with one ``<testsuite name="kanta-archive">``, one test case per document.

    A test case is named by the source path, its class is ``kanta-archive.<structure>``
    (``unknown`` when the structure is not known). An invalid document has one
    ``<failure>`` whose ``type`` is its first error code and whose text lists every
    error; warnings and notes go to ``<system-out>``. No times or timestamps are
    written, so the output is reproducible.
    """

    name = "junit"

    def render(
        self,
        results: Sequence[ValidationResult],
        *,
        tool_version: str,
        color: bool = False,
    ) -> str:
        s = Summary.of(results)
        counts = {"tests": str(s.documents), "failures": str(s.invalid), "errors": "0"}
        root = etree.Element("testsuites", {"name": TOOL_NAME, **counts})
        suite = etree.SubElement(root, "testsuite", {"name": TOOL_NAME, **counts, "skipped": "0"})
        properties = etree.SubElement(suite, "properties")
        etree.SubElement(
            properties, "property", {"name": f"{TOOL_NAME}.version", "value": tool_version}
        )
        for result in results:
            self._testcase(suite, result)
        body = etree.tostring(root, encoding="unicode", pretty_print=True)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body

    @staticmethod
    def _testcase(suite: etree._Element, result: ValidationResult) -> None:
        case = etree.SubElement(
            suite,
            "testcase",
            {
                "classname": f"{TOOL_NAME}.{_xml_text(result.structure or 'unknown')}",
                "name": _xml_text(result.source),
            },
        )
        errors = [f for f in result.findings if f.severity is Severity.ERROR]
        others = [f for f in result.findings if f.severity is not Severity.ERROR]
        if errors:
            first = errors[0]
            message = f"{first.code}: {first.message}"
            if len(errors) > 1:
                message += f" (and {len(errors) - 1} more)"
            failure = etree.SubElement(
                case, "failure", {"message": _xml_text(message), "type": _xml_text(first.code)}
            )
            failure.text = _xml_text(_lines(result.source, errors))
        if others:
            out = etree.SubElement(case, "system-out")
            out.text = _xml_text(_lines(result.source, others))
