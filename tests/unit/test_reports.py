"""Reporters: exact output for text, json and github; schema validity for junit and sarif."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from kanta_archive.errors import UsageError
from kanta_archive.findings import Finding, Location, Severity, ValidationResult
from kanta_archive.reports import (
    DEFAULT_FORMAT,
    REPORTERS,
    Reporter,
    get_reporter,
    reporter_names,
)
from kanta_archive.reports.github import escape_data, escape_property
from kanta_archive.reports.sarif import artifact_uri

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
VERSION = "0.1.0"
CASE = "1.2.246.537.6.12.2002.100@1.0"

UNREADABLE = ValidationResult(
    source="samples/broken/truncated.json",
    findings=(
        Finding(
            "KA-READ-JSON",
            Severity.ERROR,
            "not JSON: Expecting ',' delimiter",
            Location(line=3, column=17),
        ),
    ),
)
INVALID = ValidationResult(
    source="samples/invalid/suljettu-asia.xhtml",
    format="xhtml",
    structure=CASE,
    document_oid="1.2.246.10.1234567.14.2024.1",
    findings=(
        Finding(
            "KA-SCHEMA-REQUIRED",
            Severity.ERROR,
            "'paattymispaiva' is required when the case is closed",
            Location(
                pointer="/content/asia_asiakirja/asian_tiedot",
                xpath="/html/body/section[2]",
                line=12,
                column=5,
            ),
        ),
        Finding(
            "KA-CASE-OID",
            Severity.ERROR,
            "asianumero ≠ metadata case_oid",
            Location(pointer="/content/asia_asiakirja/asian_tiedot/asianumero"),
        ),
    ),
)
VALID = ValidationResult(
    source="samples/valid/asia.json",
    format="json",
    structure=CASE,
    document_oid="1.2.246.10.1234567.14.2024.2",
    findings=(),
)
WARNED = ValidationResult(
    source="samples/warn/vanha-versio.json",
    format="json",
    structure=CASE,
    document_oid="1.2.246.10.1234567.14.2024.3",
    findings=(
        Finding(
            "KA-META-VERSION-OLD",
            Severity.WARNING,
            "metadata version 1.0 is deprecated",
            Location(pointer="/metadata/version"),
        ),
    ),
)
RESULTS = (UNREADABLE, INVALID, VALID, WARNED)


def render(name: str, results: tuple[ValidationResult, ...] = RESULTS, **kw: Any) -> str:
    return get_reporter(name).render(results, tool_version=VERSION, **kw)


# --- registry -------------------------------------------------------------------------------


def test_registry_lists_every_format_with_text_first() -> None:
    assert reporter_names() == ("text", "github", "json", "junit", "sarif")
    assert DEFAULT_FORMAT == "text"
    assert set(REPORTERS) == set(reporter_names())


def test_every_reporter_is_registered_under_its_own_name() -> None:
    for name, reporter in REPORTERS.items():
        assert isinstance(reporter, Reporter)
        assert reporter.name == name
        assert get_reporter(name) is reporter


def test_get_reporter_rejects_unknown_format_naming_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown report format 'xml' \(known: text, github"):
        get_reporter("xml")


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_reporter_renders_an_empty_result_list(name: str) -> None:
    assert isinstance(render(name, ()), str)


@pytest.mark.parametrize("name", sorted(REPORTERS))
@pytest.mark.parametrize("color", [False, True])
def test_every_reporter_gives_identical_output_for_the_same_input(name: str, color: bool) -> None:
    assert render(name, color=color) == render(name, color=color)


@pytest.mark.parametrize("name", sorted(n for n in REPORTERS if n != "text"))
def test_only_the_text_reporter_uses_colour(name: str) -> None:
    assert render(name, color=True) == render(name)


# --- text -----------------------------------------------------------------------------------

TEXT = """\
samples/broken/truncated.json:3:17: error KA-READ-JSON not JSON: Expecting ',' delimiter
samples/invalid/suljettu-asia.xhtml:12:5: error KA-SCHEMA-REQUIRED 'paattymispaiva' is required \
when the case is closed [/content/asia_asiakirja/asian_tiedot]
samples/invalid/suljettu-asia.xhtml: error KA-CASE-OID asianumero ≠ metadata case_oid \
[/content/asia_asiakirja/asian_tiedot/asianumero]
samples/warn/vanha-versio.json: warning KA-META-VERSION-OLD metadata version 1.0 is deprecated \
[/metadata/version]
4 documents: 2 valid, 2 invalid, 1 warning
"""


def test_text_reporter_prints_one_line_per_finding_then_a_summary() -> None:
    assert render("text") == TEXT


def test_text_reporter_prints_only_the_summary_when_nothing_was_found() -> None:
    assert render("text", (VALID,)) == "1 document: 1 valid, 0 invalid, 0 warnings\n"


def test_text_reporter_prints_a_summary_for_no_documents() -> None:
    assert render("text", ()) == "0 documents: 0 valid, 0 invalid, 0 warnings\n"


def test_text_reporter_colours_only_the_severity_word_when_asked() -> None:
    out = render("text", (WARNED, INVALID), color=True).splitlines()
    assert out[0] == (
        "samples/warn/vanha-versio.json: \x1b[33mwarning\x1b[0m KA-META-VERSION-OLD "
        "metadata version 1.0 is deprecated [/metadata/version]"
    )
    assert out[1].startswith("samples/invalid/suljettu-asia.xhtml:12:5: \x1b[31merror\x1b[0m ")
    assert out[-1] == "2 documents: 1 valid, 1 invalid, 1 warning"


def test_text_reporter_shows_line_without_column_and_xpath_when_there_is_no_pointer() -> None:
    result = ValidationResult(
        "a.xhtml",
        (Finding("X", Severity.INFO, "note", Location(xpath="/html/head", line=4)),),
    )
    assert render("text", (result,)).splitlines()[0] == "a.xhtml:4: info X note [/html/head]"


def test_text_reporter_escapes_control_characters_from_messages() -> None:
    result = ValidationResult("a.json", (Finding("X", Severity.ERROR, "bad\nvalue \x1b[2J"),))
    assert render("text", (result,)).splitlines()[0] == "a.json: error X bad\\nvalue \\x1b[2J"


# --- json -----------------------------------------------------------------------------------

JSON = """\
{
  "tool": {
    "name": "kanta-archive",
    "version": "0.1.0"
  },
  "summary": {
    "documents": 4,
    "valid": 2,
    "invalid": 2,
    "errors": 3,
    "warnings": 1
  },
  "results": [
    {
      "source": "samples/broken/truncated.json",
      "format": null,
      "structure": null,
      "document_oid": null,
      "valid": false,
      "findings": [
        {
          "code": "KA-READ-JSON",
          "severity": "error",
          "message": "not JSON: Expecting ',' delimiter",
          "location": {
            "pointer": "",
            "xpath": null,
            "line": 3,
            "column": 17
          }
        }
      ]
    },
    {
      "source": "samples/invalid/suljettu-asia.xhtml",
      "format": "xhtml",
      "structure": "1.2.246.537.6.12.2002.100@1.0",
      "document_oid": "1.2.246.10.1234567.14.2024.1",
      "valid": false,
      "findings": [
        {
          "code": "KA-SCHEMA-REQUIRED",
          "severity": "error",
          "message": "'paattymispaiva' is required when the case is closed",
          "location": {
            "pointer": "/content/asia_asiakirja/asian_tiedot",
            "xpath": "/html/body/section[2]",
            "line": 12,
            "column": 5
          }
        },
        {
          "code": "KA-CASE-OID",
          "severity": "error",
          "message": "asianumero ≠ metadata case_oid",
          "location": {
            "pointer": "/content/asia_asiakirja/asian_tiedot/asianumero",
            "xpath": null,
            "line": null,
            "column": null
          }
        }
      ]
    },
    {
      "source": "samples/valid/asia.json",
      "format": "json",
      "structure": "1.2.246.537.6.12.2002.100@1.0",
      "document_oid": "1.2.246.10.1234567.14.2024.2",
      "valid": true,
      "findings": []
    },
    {
      "source": "samples/warn/vanha-versio.json",
      "format": "json",
      "structure": "1.2.246.537.6.12.2002.100@1.0",
      "document_oid": "1.2.246.10.1234567.14.2024.3",
      "valid": true,
      "findings": [
        {
          "code": "KA-META-VERSION-OLD",
          "severity": "warning",
          "message": "metadata version 1.0 is deprecated",
          "location": {
            "pointer": "/metadata/version",
            "xpath": null,
            "line": null,
            "column": null
          }
        }
      ]
    }
  ]
}
"""


def test_json_reporter_writes_tool_summary_and_results_indented_in_key_order() -> None:
    assert render("json") == JSON


def test_json_reporter_keeps_non_ascii_text_unescaped() -> None:
    assert "≠" in render("json") and "\\u2260" not in render("json")


def test_json_reporter_counts_nothing_for_no_documents() -> None:
    report = json.loads(render("json", ()))
    assert report["summary"] == {
        "documents": 0,
        "valid": 0,
        "invalid": 0,
        "errors": 0,
        "warnings": 0,
    }
    assert report["results"] == []


# --- github ---------------------------------------------------------------------------------

GITHUB = """\
::error file=samples/broken/truncated.json,line=3,col=17,title=KA-READ-JSON::not JSON: \
Expecting ',' delimiter
::error file=samples/invalid/suljettu-asia.xhtml,line=12,col=5,title=KA-SCHEMA-REQUIRED::\
'paattymispaiva' is required when the case is closed (/content/asia_asiakirja/asian_tiedot)
::error file=samples/invalid/suljettu-asia.xhtml,title=KA-CASE-OID::asianumero ≠ metadata \
case_oid (/content/asia_asiakirja/asian_tiedot/asianumero)
::warning file=samples/warn/vanha-versio.json,title=KA-META-VERSION-OLD::metadata version 1.0 \
is deprecated (/metadata/version)
"""


def test_github_reporter_writes_one_workflow_command_per_finding() -> None:
    assert render("github") == GITHUB


def test_github_reporter_writes_nothing_for_valid_documents_without_findings() -> None:
    assert render("github", (VALID,)) == ""


def test_github_reporter_uses_notice_for_info_and_omits_a_missing_column() -> None:
    result = ValidationResult("a.json", (Finding("X", Severity.INFO, "fyi", Location(line=2)),))
    assert render("github", (result,)) == "::notice file=a.json,line=2,title=X::fyi\n"


def test_github_reporter_escapes_commas_and_colons_in_file_property() -> None:
    result = ValidationResult("C:/a,b%.json", (Finding("X", Severity.ERROR, "m"),))
    assert render("github", (result,)) == "::error file=C%3A/a%2Cb%25.json,title=X::m\n"


def test_github_reporter_escapes_percent_and_newlines_but_not_colons_in_message() -> None:
    result = ValidationResult("a.json", (Finding("X", Severity.ERROR, "100%: a\r\nb, c"),))
    assert render("github", (result,)) == "::error file=a.json,title=X::100%25: a%0D%0Ab, c\n"


def test_github_reporter_shows_control_characters_from_a_document_as_escapes() -> None:
    message = "('a\x01b\x1b[31m\x00' was unexpected)\tx"
    result = ValidationResult("a\x1b.json", (Finding("X", Severity.ERROR, message),))
    assert render("github", (result,)) == (
        "::error file=a\\x1b.json,title=X::('a\\x01b\\x1b[31m\\x00' was unexpected)\\tx\n"
    )


def test_github_escape_functions_follow_the_workflow_command_rules() -> None:
    assert escape_data("%\r\n:,") == "%25%0D%0A:,"
    assert escape_property("%\r\n:,") == "%25%0D%0A%3A%2C"


# --- junit ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "junit-10.xsd")))


def _parse_junit(text: str) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"))


@pytest.mark.parametrize(
    "results",
    [RESULTS, (), (VALID,), (UNREADABLE,)],
    ids=["mixed", "empty", "valid-only", "unreadable-only"],
)
def test_junit_reporter_output_is_valid_against_jenkins_junit_xsd(
    junit_schema: etree.XMLSchema, results: tuple[ValidationResult, ...]
) -> None:
    doc = _parse_junit(render("junit", results))
    junit_schema.assertValid(doc)


def test_junit_reporter_writes_one_testcase_per_document_in_input_order() -> None:
    root = _parse_junit(render("junit"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "kanta-archive"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("kanta-archive.unknown", "samples/broken/truncated.json"),
        (f"kanta-archive.{CASE}", "samples/invalid/suljettu-asia.xhtml"),
        (f"kanta-archive.{CASE}", "samples/valid/asia.json"),
        (f"kanta-archive.{CASE}", "samples/warn/vanha-versio.json"),
    ]
    assert root.xpath("//property[@name='kanta-archive.version']/@value") == ["0.1.0"]


def test_junit_reporter_gives_an_invalid_document_one_failure_listing_all_its_errors() -> None:
    root = _parse_junit(render("junit"))
    case = root.find("testsuite/testcase[@name='samples/invalid/suljettu-asia.xhtml']")
    assert case is not None
    (failure,) = case.findall("failure")
    assert failure.get("type") == "KA-SCHEMA-REQUIRED"
    assert failure.get("message") == (
        "KA-SCHEMA-REQUIRED: 'paattymispaiva' is required when the case is closed (and 1 more)"
    )
    assert failure.text == (
        "samples/invalid/suljettu-asia.xhtml:12:5: error KA-SCHEMA-REQUIRED 'paattymispaiva' is "
        "required when the case is closed [/content/asia_asiakirja/asian_tiedot]\n"
        "samples/invalid/suljettu-asia.xhtml: error KA-CASE-OID asianumero ≠ metadata case_oid "
        "[/content/asia_asiakirja/asian_tiedot/asianumero]"
    )
    assert case.find("system-out") is None


def test_junit_reporter_puts_warnings_in_system_out_and_passes_the_document() -> None:
    root = _parse_junit(render("junit"))
    case = root.find("testsuite/testcase[@name='samples/warn/vanha-versio.json']")
    assert case is not None
    assert case.find("failure") is None
    assert case.findtext("system-out") == (
        "samples/warn/vanha-versio.json: warning KA-META-VERSION-OLD metadata version 1.0 is "
        "deprecated [/metadata/version]"
    )


def test_junit_reporter_gives_a_valid_document_an_empty_testcase() -> None:
    root = _parse_junit(render("junit"))
    case = root.find("testsuite/testcase[@name='samples/valid/asia.json']")
    assert case is not None
    assert len(case) == 0


def test_junit_reporter_writes_no_time_or_timestamp() -> None:
    out = render("junit")
    assert "time" not in out
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')


def test_junit_reporter_replaces_characters_xml_cannot_carry(
    junit_schema: etree.XMLSchema,
) -> None:
    result = ValidationResult("a\x01.json", (Finding("X", Severity.ERROR, "nul \x00 here"),))
    root = _parse_junit(render("junit", (result,)))
    junit_schema.assertValid(root)
    assert root.xpath("//testcase/@name") == ["a\\x01.json"]
    assert root.findtext(".//failure") == "a\\x01.json: error X nul \\x00 here"


def test_junit_schema_rejects_a_testsuite_without_counts(junit_schema: etree.XMLSchema) -> None:
    doc = _parse_junit('<testsuites><testsuite name="x"/></testsuites>')
    assert not junit_schema.validate(doc)


# --- sarif ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft4Validator
    validator_class.check_schema(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


@pytest.mark.parametrize(
    "results",
    [RESULTS, (), (VALID,), (UNREADABLE,)],
    ids=["mixed", "empty", "valid-only", "unreadable-only"],
)
def test_sarif_reporter_output_is_valid_against_sarif_2_1_0_schema(
    sarif_validator: jsonschema.protocols.Validator, results: tuple[ValidationResult, ...]
) -> None:
    sarif_validator.validate(json.loads(render("sarif", results)))


def test_sarif_schema_rejects_a_log_without_runs(
    sarif_validator: jsonschema.protocols.Validator,
) -> None:
    assert not sarif_validator.is_valid({"version": "2.1.0"})


def test_sarif_reporter_describes_the_tool_with_one_rule_per_code_used() -> None:
    (run,) = json.loads(render("sarif"))["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kanta-archive"
    assert driver["version"] == "0.1.0"
    assert "informationUri" not in driver
    assert [r["id"] for r in driver["rules"]] == [
        "KA-CASE-OID",
        "KA-META-VERSION-OLD",
        "KA-READ-JSON",
        "KA-SCHEMA-REQUIRED",
    ]
    assert driver["rules"][0]["shortDescription"] == {"text": "asianumero ≠ metadata case_oid"}


def test_sarif_reporter_writes_one_result_per_finding_with_level_and_locations() -> None:
    (run,) = json.loads(render("sarif"))["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("KA-READ-JSON", "error"),
        ("KA-SCHEMA-REQUIRED", "error"),
        ("KA-CASE-OID", "error"),
        ("KA-META-VERSION-OLD", "warning"),
    ]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    schema_required = run["results"][1]
    assert schema_required["message"] == {
        "text": "'paattymispaiva' is required when the case is closed"
    }
    assert schema_required["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "samples/invalid/suljettu-asia.xhtml"},
                "region": {"startLine": 12, "startColumn": 5},
            },
            "logicalLocations": [
                {"fullyQualifiedName": "/content/asia_asiakirja/asian_tiedot", "kind": "object"},
                {"fullyQualifiedName": "/html/body/section[2]", "kind": "element"},
            ],
        }
    ]


def test_sarif_reporter_omits_region_when_line_is_unknown_and_logical_location_when_no_place() -> (
    None
):
    (run,) = json.loads(render("sarif"))["runs"]
    case_oid = run["results"][2]["locations"][0]
    assert "region" not in case_oid["physicalLocation"]
    assert case_oid["logicalLocations"] == [
        {"fullyQualifiedName": "/content/asia_asiakirja/asian_tiedot/asianumero", "kind": "object"}
    ]
    unreadable = run["results"][0]["locations"][0]
    assert "logicalLocations" not in unreadable
    assert unreadable["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 17}


def test_sarif_reporter_maps_info_to_note() -> None:
    result = ValidationResult("a.json", (Finding("X", Severity.INFO, "fyi"),))
    (run,) = json.loads(render("sarif", (result,)))["runs"]
    assert run["results"][0]["level"] == "note"


@pytest.mark.parametrize(
    ("source", "uri"),
    [
        ("samples/valid/asia.json", "samples/valid/asia.json"),
        ("./samples/a.json", "samples/a.json"),
        ("samples\\win\\a.json", "samples/win/a.json"),
        ("dir with space/ä#1.json", "dir%20with%20space/%C3%A4%231.json"),
        ("/srv/in/a.json", "file:///srv/in/a.json"),
    ],
)
def test_sarif_artifact_uri_uses_forward_slashes_and_percent_encoding(
    source: str, uri: str
) -> None:
    assert artifact_uri(source) == uri


def test_sarif_rule_description_comes_from_the_finding_catalogue() -> None:
    from kanta_archive.catalogue import BY_CODE
    from kanta_archive.findings import Finding, Location, Severity, ValidationResult
    from kanta_archive.reports import get_reporter

    finding = Finding("KA-HETU-INVALID", Severity.ERROR, "'x': bad", Location("/metadata"))
    result = ValidationResult("a.json", (finding,), "json")
    sarif = json.loads(get_reporter("sarif").render([result], tool_version="0"))
    [rule] = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"] == BY_CODE["KA-HETU-INVALID"].summary
