"""Hostile and broken input: every case gives its finding, never an exception.

XML is attacked with external entities, entity expansion and DTDs; JSON with deep nesting,
member names written twice and integers written as decimals; the readers with oversized,
binary and wrongly encoded files.
"""

from __future__ import annotations

import json
import random
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kanta_archive.findings import ValidationResult
from kanta_archive.formats.json_reader import MAX_JSON_DEPTH
from kanta_archive.formats.read import read_path
from kanta_archive.validate import Validator

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
XHTML = (VALID / "client-record-entry.xhtml").read_bytes()
JSON = (VALID / "client-record-entry.json").read_bytes()
DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"
PASSWD = Path("/etc/passwd")


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def with_doctype(doctype: bytes, title: bytes = b"") -> bytes:
    """The valid XHTML sample with ``doctype`` after the XML declaration and ``title`` text."""
    assert XHTML.startswith(DECLARATION)
    body = XHTML[len(DECLARATION) :]
    if title:
        body = body.replace(b"<title>", b"<title>" + title, 1)
    return DECLARATION + doctype + b"\n" + body


def codes(result: ValidationResult) -> list[str]:
    return [f.code for f in result.findings]


# -- XML --------------------------------------------------------------------------------------

XXE = with_doctype(b'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', title=b"&xxe;")
XXE_PARAMETER = with_doctype(
    b'<!DOCTYPE html [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>', title=b"x"
)
BILLION_LAUGHS = with_doctype(
    b"<!DOCTYPE html [\n"
    + b"".join(
        b'<!ENTITY l%d "%s">\n' % (i, b"&l%d;" % (i - 1) * 10 if i else b"lol") for i in range(10)
    )
    + b"]>",
    title=b"&l9;",
)
EXTERNAL_DTD = with_doctype(
    b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
)
INTERNAL_SUBSET = with_doctype(b"<!DOCTYPE html [<!ELEMENT html ANY>]>")
LOWERCASE_DOCTYPE = with_doctype(b'<!doctype html system "file:///etc/passwd">')


@pytest.mark.parametrize(
    "data",
    [XXE, XXE_PARAMETER, BILLION_LAUGHS, EXTERNAL_DTD, INTERNAL_SUBSET, LOWERCASE_DOCTYPE],
    ids=[
        "external-entity",
        "parameter-entity",
        "billion-laughs",
        "external-dtd",
        "internal-subset",
        "lowercase-doctype",
    ],
)
def test_forbidden_xml_is_refused_before_parsing(validator: Validator, data: bytes) -> None:
    start = time.perf_counter()
    result = validator.validate_bytes(data, "hostile.xhtml")
    assert codes(result) == ["KA-XML-FORBIDDEN"]
    assert result.findings[0].location.line is not None
    assert time.perf_counter() - start < 2


def test_plain_html5_doctype_is_allowed(validator: Validator) -> None:
    result = validator.validate_bytes(with_doctype(b"<!DOCTYPE html>"), "ok.xhtml")
    assert result.valid


def test_undeclared_entity_reference_is_a_syntax_error(validator: Validator) -> None:
    data = XHTML.replace(b"<title>", b"<title>&xxe;", 1)
    assert codes(validator.validate_bytes(data, "x.xhtml")) == ["KA-XML-SYNTAX"]


@pytest.mark.skipif(not PASSWD.is_file(), reason="needs /etc/passwd")
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_external_entity_content_never_appears_in_any_output(
    run_cli: Callable[..., Result], tmp_path: Path, fmt: str
) -> None:
    secret = next(line for line in PASSWD.read_text().splitlines() if line.strip())
    path = tmp_path / "xxe.xhtml"
    path.write_bytes(XXE)
    result = run_cli("validate", path, "--format", fmt)
    assert result.exit_code == 1
    assert "KA-XML-FORBIDDEN" in result.output
    assert secret not in result.output
    assert secret not in result.stderr
    assert "root:" not in result.output


def test_processing_instruction_heavy_document_is_read(validator: Validator) -> None:
    data = XHTML.replace(b"<html", b"<?ka-pi some data?>\n" * 20_000 + b"<html", 1)
    data = data.replace(b"<head>", b"<head>" + b"<?another pi?>" * 5_000, 1)
    result = validator.validate_bytes(data, "pi.xhtml")
    assert result.valid
    assert all(f.location.line and f.location.line > 20_000 for f in result.findings)


def test_deeply_nested_xml_is_a_syntax_error(validator: Validator) -> None:
    deep = b"<div>" * 100_000 + b"</div>" * 100_000
    data = XHTML.replace(b"</h1>", b"</h1>" + deep, 1)
    assert codes(validator.validate_bytes(data, "deep.xhtml")) == ["KA-XML-SYNTAX"]


# -- JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000],
    ids=["unclosed-arrays", "closed-arrays", "objects"],
)
def test_deeply_nested_json_is_a_syntax_error(validator: Validator, data: bytes) -> None:
    assert codes(validator.validate_bytes(data, "deep.json")) == ["KA-JSON-SYNTAX"]


def _signed_sample_nested(levels: int) -> bytes:
    """A signed valid sample with a value added to its content so that the document is
    ``levels`` containers deep (the root object and the content object are two of them)."""
    document = json.loads((VALID / "case-document-closed.json").read_bytes())
    value: object = 1
    for _ in range(levels - 2):
        value = [value]
    document["content"]["nested"] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 300, 600, 900])
def test_json_nested_deeper_than_the_limit_is_a_syntax_error(
    validator: Validator, levels: int
) -> None:
    # Parsable by Python, but deeper than the schema validator and canonicaliser go.
    found = validator.validate_bytes(_signed_sample_nested(levels), "deep.json")
    assert codes(found) == ["KA-JSON-SYNTAX"]
    assert f"{MAX_JSON_DEPTH} levels" in found.findings[0].message


def test_json_nested_up_to_the_limit_is_read(validator: Validator) -> None:
    data = _signed_sample_nested(MAX_JSON_DEPTH)
    found = codes(validator.validate_bytes(data, "deep.json"))
    assert "KA-JSON-SYNTAX" not in found
    assert "KA-CONTENT-SCHEMA" in found  # 'nested' is not in the structure schema


@pytest.mark.parametrize(
    "data",
    [b"[]", b'"text"', b"42", b'{"metadata": {}}', b'{"metadata": [], "content": {}}'],
)
def test_json_of_the_wrong_shape_is_a_shape_finding(validator: Validator, data: bytes) -> None:
    assert codes(validator.validate_bytes(data, "shape.json")) == ["KA-DOCUMENT-SHAPE"]


@pytest.mark.parametrize(
    "data",
    [b'{"metadata": NaN}', b'{"metadata": {}, "content": {}, "x": Infinity}'],
    ids=["nan", "infinity"],
)
def test_json_with_nan_or_infinity_is_a_syntax_error(validator: Validator, data: bytes) -> None:
    assert codes(validator.validate_bytes(data, "nan.json")) == ["KA-JSON-SYNTAX"]


def test_json_with_a_huge_integer_gives_a_finding(validator: Validator) -> None:
    data = b'{"metadata": {"version": 1' + b"0" * 5000 + b'}, "content": {}}'
    result = validator.validate_bytes(data, "bigint.json")
    assert result.findings and not result.valid


def test_json_with_a_lone_surrogate_gives_a_finding(validator: Validator) -> None:
    data = b'{"metadata": {"title": "\\ud800"}, "content": {}}'
    result = validator.validate_bytes(data, "surrogate.json")
    assert result.findings and not result.valid


# -- size limits ------------------------------------------------------------------------------


def test_file_over_max_bytes_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.write(b'{"metadata": ')
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing on disk
    tracemalloc.start()
    try:
        outcome = read_path(path, max_bytes=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [f.code for f in outcome.findings] == ["KA-INPUT-TOO-LARGE"]
    assert outcome.document is None
    assert peak < 1024 * 1024  # never held even the first megabyte


def test_validator_max_bytes_applies_to_files_and_bytes(tmp_path: Path) -> None:
    validator = Validator(max_bytes=1000)
    path = tmp_path / "doc.json"
    path.write_bytes(JSON)
    assert codes(validator.validate_path(path)) == ["KA-INPUT-TOO-LARGE"]
    assert codes(validator.validate_bytes(JSON, "doc.json")) == ["KA-INPUT-TOO-LARGE"]


def test_cli_max_size_refuses_large_files_and_stdin(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(JSON)
    for args, stdin in (((path,), None), (("-",), JSON)):
        result = run_cli("validate", *args, "--max-size", "1000", "--format", "json", input=stdin)
        assert result.exit_code == 1
        assert "KA-INPUT-TOO-LARGE" in result.output


def test_directory_of_3000_small_files_is_validated_quickly(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    docs = [b'{"metadata": {}, "content": {}}', b"", b"<html/>", b"{"]
    for i in range(3000):
        (folder / f"doc{i:04}.json").write_bytes(docs[i % len(docs)])
    start = time.perf_counter()
    result = run_cli("validate", folder, "--format", "json", "--quiet")
    elapsed = time.perf_counter() - start
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report  # parseable
    assert result.output.count("doc2999.json") >= 1
    assert elapsed < 30


# -- bytes that are not UTF-8 text ------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["json", "xhtml"])
def test_nul_bytes_are_a_binary_finding(validator: Validator, suffix: str) -> None:
    data = (JSON if suffix == "json" else XHTML)[:200] + b"\x00\x01\x02" + b"rest"
    assert codes(validator.validate_bytes(data, f"bin.{suffix}")) == ["KA-INPUT-BINARY"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("sample", [JSON, XHTML], ids=["json", "xhtml"])
def test_utf16_and_utf32_with_bom_are_an_encoding_finding(
    validator: Validator, sample: bytes, encoding: str
) -> None:
    text = sample.decode("utf-8")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert codes(validator.validate_bytes(data, "wide.json")) == ["KA-INPUT-ENCODING"]


def test_latin1_json_is_an_encoding_finding_with_a_line(validator: Validator) -> None:
    data = JSON.decode("utf-8").encode("latin-1")
    result = validator.validate_bytes(data, "latin1.json")
    assert codes(result) == ["KA-INPUT-ENCODING"]
    assert result.findings[0].location.line is not None


def test_utf8_bom_is_accepted(validator: Validator) -> None:
    assert validator.validate_bytes(b"\xef\xbb\xbf" + JSON, "bom.json").valid


@pytest.mark.parametrize("declared", ["UTF-8", "ISO-8859-1"])
def test_latin1_xhtml_is_an_encoding_finding(validator: Validator, declared: str) -> None:
    text = XHTML.decode("utf-8").replace("encoding='UTF-8'", f"encoding='{declared}'")
    result = validator.validate_bytes(text.encode("latin-1"), "latin1.xhtml")
    assert codes(result) == ["KA-INPUT-ENCODING"]


@pytest.mark.parametrize("data", [b"", b"   \n\t ", b"\n" * 1000])
def test_empty_input_is_an_empty_finding(validator: Validator, data: bytes) -> None:
    assert codes(validator.validate_bytes(data, "empty.json")) == ["KA-INPUT-EMPTY"]


def test_text_that_is_neither_json_nor_xhtml_is_a_format_finding(validator: Validator) -> None:
    assert codes(validator.validate_bytes(b"hello", "-")) == ["KA-INPUT-FORMAT"]


def test_random_bytes_never_raise(validator: Validator) -> None:
    rng = random.Random("kanta-archive")  # fixed seed: reproducible
    for _ in range(300):
        size = rng.randint(1, 400)
        head = rng.choice([b"{", b"<", b"[", b""])
        data = head + bytes(rng.getrandbits(8) for _ in range(size))
        result = validator.validate_bytes(data, "random.json")
        assert result.findings


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark_is_an_encoding_finding(
    validator: Validator, codec: str
) -> None:
    result = validator.validate_bytes(JSON.decode("utf-8").encode(codec), "utf16.json")
    assert codes(result) == ["KA-INPUT-ENCODING"]


# -- duplicate members ------------------------------------------------------------------------

SIGNED_JSON = (VALID / "case-document-closed.json").read_bytes()


def _member_twice(where: str) -> tuple[bytes, str]:
    """The valid sample with one member written twice, and the pointer of the second one."""
    text = JSON.decode("utf-8")
    if where == "top":
        return text.replace('{\n  "metadata":', '{\n  "content": {},\n  "metadata":', 1).encode(), (
            "/content"
        )
    if where == "metadata":
        return text.replace('"version": 1,', '"version": 1,\n    "version": 2,', 1).encode(), (
            "/metadata/version"
        )
    if where == "nested":
        old = '"code": "24",'
        return text.replace(old, old + ' "code": "99",', 1).encode(), "/metadata/service_task/code"
    if where == "content":
        old = '"etunimet": "Aino Maria",'
        new = old + ' "etunimet": "Eero",'
        return text.replace(old, new, 1).encode(), (
            "/content/merkinta_tapaamisesta_tai_yhteydenotosta/asiakas/0/etunimet"
        )
    assert where == "escaped"  # the same name, once written with an escape
    return text.replace('"title":', '"title": "x", "\\u0074itle":', 1).encode(), "/metadata/title"


@pytest.mark.parametrize("where", ["top", "metadata", "nested", "content", "escaped"])
def test_json_member_written_twice_is_refused_at_its_second_place(
    validator: Validator, where: str
) -> None:
    data, pointer = _member_twice(where)
    result = validator.validate_bytes(data, "twice.json")
    assert codes(result) == ["KA-JSON-DUPLICATE-MEMBER"]
    finding = result.findings[0]
    assert finding.location.pointer == pointer
    assert finding.location.line is not None and finding.location.column is not None
    text = data.decode("utf-8")
    line = text.split("\n")[finding.location.line - 1]
    second = line[finding.location.column - 1 :]
    assert second.startswith('"'), second  # the position is the second key itself
    name = json.loads(second[: second.index(":")])
    assert "/" + name == pointer[pointer.rindex("/") :]


def test_signed_json_with_forged_parts_in_front_is_refused(validator: Validator) -> None:
    """The forged metadata and content come first: a parser that keeps the first member sees
    them, Python's json keeps the last (the signed ones). Neither may be taken."""
    signed = json.loads(SIGNED_JSON)
    assert validator.validate_bytes(SIGNED_JSON, "signed.json").valid
    forged_metadata = dict(signed["metadata"], title="FORGED", signature={})
    forged = (
        '{"metadata": '
        + json.dumps(forged_metadata)
        + ', "content": '
        + json.dumps({"forged": True})
        + ", "
        + SIGNED_JSON.decode("utf-8").lstrip()[1:]
    ).encode()
    result = validator.validate_bytes(forged, "forged.json")
    assert not result.valid
    assert codes(result) == ["KA-JSON-DUPLICATE-MEMBER"]
    assert result.findings[0].location.pointer == "/metadata"


def test_duplicate_member_in_the_signature_object_is_refused(validator: Validator) -> None:
    text = SIGNED_JSON.decode("utf-8")
    jws = json.loads(text)["signature"]["jws"]
    data = text.replace(f'"jws": "{jws}"', f'"jws": "x.y.z", "jws": "{jws}"', 1).encode()
    result = validator.validate_bytes(data, "twice.json")
    assert codes(result) == ["KA-JSON-DUPLICATE-MEMBER"]
    assert result.findings[0].location.pointer == "/signature/jws"


def test_duplicate_members_deep_in_a_large_document_take_linear_time(
    validator: Validator,
) -> None:
    """Finding where the duplicate is walks the text once, also for a big document."""

    def timed(n: int) -> float:
        items = ",".join('{"a": 1, "b": [1, 2, {"c": "x"}]}' for _ in range(n))
        data = f'{{"metadata": {{}}, "content": {{"x": [{items}], "d": 1, "d": 2}}}}'.encode()
        start = time.process_time()  # this process's CPU: other load does not count
        result = validator.validate_bytes(data, "big.json")
        took = time.process_time() - start
        assert codes(result) == ["KA-JSON-DUPLICATE-MEMBER"]
        assert result.findings[0].location.pointer == "/content/d"
        return took

    small = min(timed(5_000) for _ in range(2))
    large = min(timed(20_000) for _ in range(2))
    assert large < 8 * small + 0.5


# -- integers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["1.0", "1E0", "1e0", "10E-1", "1.000", "0.1e1"])
def test_version_written_as_a_decimal_number_is_not_an_integer(
    validator: Validator, written: str
) -> None:
    data = JSON.replace(b'"version": 1,', f'"version": {written},'.encode(), 1)
    assert data != JSON
    result = validator.validate_bytes(data, "decimal.json")
    assert not result.valid
    errors = [f for f in result.findings if f.severity.value == "error"]
    assert [(f.code, f.location.pointer) for f in errors] == [
        ("KA-META-SCHEMA", "/metadata/version")
    ]
    assert "integer" in errors[0].message
    assert errors[0].location.line is not None


def test_version_written_as_an_integer_is_valid(validator: Validator) -> None:
    assert b'"version": 1,' in JSON
    assert validator.validate_bytes(JSON, "integer.json").valid


def test_version_written_as_a_decimal_gets_the_same_finding_in_both_forms(
    validator: Validator,
) -> None:
    json_form = JSON.replace(b'"version": 1,', b'"version": 1.0,', 1)
    xhtml_form = XHTML.replace(b"<ka:version>1</ka:version>", b"<ka:version>1.0</ka:version>", 1)
    assert xhtml_form != XHTML

    def keys(data: bytes, name: str) -> set[tuple[str, str, str]]:
        return {f.key() for f in validator.validate_bytes(data, name).findings}

    assert keys(json_form, "v.json") == keys(xhtml_form, "v.xhtml")
    assert ("KA-META-SCHEMA", "error", "/metadata/version") in keys(json_form, "v.json")


_INTEGER_STRUCTURE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["testi"],
    "sosmeta": {"oid": "1.2.246.537.6.1506.98", "documentDefinitionVersion": "2024-06-01"},
    "properties": {
        "testi": {
            "type": "object",
            "properties": {
                "maara": {"type": "integer"},
                "osuus": {"type": "number"},
                "kumpi": {"type": ["integer", "string"]},
            },
        }
    },
}


@pytest.fixture(scope="module")
def integer_validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    """A validator that knows the structure above (from a --schemas-dir)."""
    from kanta_archive.schemas import SchemaRegistry

    folder = tmp_path_factory.mktemp("schemas")
    (folder / "integers.json").write_text(json.dumps(_INTEGER_STRUCTURE), encoding="utf-8")
    return Validator(SchemaRegistry([folder]))


@pytest.mark.parametrize(
    ("member", "value", "refused"),
    [
        ("maara", "2.0", True),
        ("maara", "2E0", True),
        ("maara", "2", False),
        ("osuus", "2.0", False),
        ("osuus", "0.5", False),
        ("kumpi", "2.0", True),
        ("kumpi", '"2.0"', False),
    ],
)
def test_content_integer_written_as_a_decimal_is_refused_where_the_schema_says_integer(
    integer_validator: Validator, member: str, value: str, refused: bool
) -> None:
    from kanta_archive.formats.read import read_bytes
    from kanta_archive.render import render

    validator, registry = integer_validator, integer_validator.registry
    document = json.loads(JSON)
    document["metadata"]["structure"] = "1.2.246.537.6.1506.98.2024.6.1"
    document["content"] = {"testi": {}}
    text = json.dumps(document).replace('"testi": {}', f'"testi": {{"{member}": {value}}}')
    result = validator.validate_bytes(text.encode(), "content.json")
    found = {(f.code, f.location.pointer) for f in result.findings if f.code.endswith("SCHEMA")}
    expected = {("KA-CONTENT-SCHEMA", f"/content/testi/{member}")} if refused else set()
    assert found == expected
    # The XHTML form of the same document says the same.
    outcome = read_bytes(text.encode(), "content.json")
    assert outcome.document is not None
    xhtml = validator.validate_bytes(render(outcome.document, "xhtml", registry), "c.xhtml")
    assert {f.key() for f in xhtml.findings} == {f.key() for f in result.findings}


@pytest.mark.parametrize(
    "data",
    [b"<!--" + XHTML, XHTML.replace(b"<title>", b"<title>\x00", 1)],
    ids=["unterminated-comment", "nul-in-text"],
)
def test_an_xml_syntax_error_quoting_the_document_is_one_line(
    validator: Validator, data: bytes
) -> None:
    """libxml2 quotes the document in some messages; found by tests/unit/test_fuzz.py."""
    result = validator.validate_bytes(data, "broken.xhtml")
    assert result.findings and not result.valid
    for finding in result.findings:
        assert "\n" not in finding.message and len(finding.message) <= 300, finding
