"""Fuzzing: mutated samples, every form, signed and unsigned, never make the tool fail.

Hypothesis draws a bundled valid sample (JSON, XHTML, and the CDA form of
``samples/cda/valid``) and mutates it: bytes flipped, inserted, cut or
repeated; a JSON value replaced, removed, repeated or retyped; an XHTML element or
attribute removed, copied, renamed or crowded with attributes and namespaces; parts of
the signature (ds:Signature, the JWS header and its certificate) broken. For every input:

- validation returns a result and raises nothing; an invalid result has an error finding,
  and every message is one line;
- it takes bounded CPU time (``PER_INPUT_SECONDS``), and the process's peak memory grows
  by a bounded amount over the whole run;
- for a share of the inputs the real CLI runs too: exit 0 or 1 with findings, or exit 2
  with a single ``Error:`` line, never a traceback.

Modes: by default each (form, signed) test runs ``DEFAULT_EXAMPLES`` inputs (about a
minute of CPU in all, for CI). ``KANTA_FUZZ=long`` runs ``LONG_EXAMPLES`` each: 10,000
over the two forms of the brief (JSON and XHTML, signed and unsigned), 15,000 with CDA;
``KANTA_FUZZ_EXAMPLES=N`` sets the count directly:

    KANTA_FUZZ=long .venv/bin/pytest tests/unit/test_fuzz.py -q
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from kanta_archive.findings import Severity
from kanta_archive.validate import Validator

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
CDA_VALID = VALID.parent / "cda" / "valid"
DEFAULT_EXAMPLES = 400
LONG_EXAMPLES = 2_500
PER_INPUT_SECONDS = 10.0  # CPU; the slowest sample validates in well under a second
MEMORY_GROWTH_KB = 400 * 1024
CLI_SHARE = 10  # one input in this many also goes through the CLI


def _examples() -> int:
    if "KANTA_FUZZ_EXAMPLES" in os.environ:
        return int(os.environ["KANTA_FUZZ_EXAMPLES"])
    return LONG_EXAMPLES if os.environ.get("KANTA_FUZZ") == "long" else DEFAULT_EXAMPLES


def _signed(data: bytes) -> bool:
    return b"<ds:Signature" in data or b'"jws"' in data or b"X509Certificate" in data


SAMPLES: dict[tuple[str, bool], list[tuple[str, bytes]]] = {}
for _path in sorted(VALID.iterdir()) + sorted(CDA_VALID.glob("*.xml")):
    if _path.suffix in (".json", ".xhtml", ".xml"):
        _data = _path.read_bytes()
        _form = "cda" if _path.suffix == ".xml" else _path.suffix[1:]
        SAMPLES.setdefault((_form, _signed(_data)), []).append((_path.name, _data))


# -- mutations --------------------------------------------------------------------------------

_JUNK = [
    b"",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"<",
    b"&amp;",
    b"&x;",
    b"<!DOCTYPE x>",
    b"]]>",
    b'"',
    b"\\u0000",
    b"\\ud800",
    b"{",
    b"[",
    b",",
    b":",
    b"1e999",
    b"-0.0",
    b"NaN",
    b"9" * 400,
    b"\n" * 3,
    b"\xe2\x80\xae",
]


@st.composite
def byte_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "truncate"]))
        if kind == "flip" and at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            out[at:at] = draw(st.sampled_from(_JUNK) | st.binary(max_size=8))
        elif kind == "delete":
            del out[at : at + draw(st.integers(1, 64))]
        elif kind == "repeat":
            out[at:at] = out[at : at + draw(st.integers(1, 200))] * draw(st.integers(2, 4))
        elif kind == "truncate":
            del out[at:]
    return bytes(out)


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _nodes(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _nodes(item, (*path, i))
    return found


@st.composite
def json_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    document = json.loads(data)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _nodes(document) if p]
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        kind = draw(st.sampled_from(["replace", "delete", "retype", "float", "add"]))
        if kind == "replace":
            parent[last] = draw(_JSON_VALUES)
        elif kind == "delete":
            del parent[last]
        elif kind == "retype":
            value = parent[last]
            parent[last] = str(value) if not isinstance(value, str) else [value]
        elif kind == "float" and isinstance(parent[last], int):
            parent[last] = float(parent[last])
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(_JSON_VALUES)
    text = json.dumps(
        document, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 0, 2]))
    )
    if draw(st.booleans()):  # a member written twice, as a forger would
        match = draw(st.sampled_from(list(re.finditer(r'"[a-z_]+": ', text)) or [None]))
        if match is not None:
            text = text[: match.start()] + match.group() + "1, " + text[match.start() :]
    return text.encode("utf-8")


_XML_JUNK_ATTRIBUTES = ["data-x", "Id", "URI", "Algorithm", "data-ka", "data-ka-key", "xml:lang"]


@st.composite
def xml_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    root = etree.fromstring(data)
    for _ in range(draw(st.integers(1, 3))):
        elements = [el for el in root.iter() if isinstance(el.tag, str)]
        signature = [el for el in elements if "xmldsig" in el.tag]
        pool = signature if signature and draw(st.booleans()) else elements
        el = draw(st.sampled_from(pool))
        parent = el.getparent()
        kind = draw(
            st.sampled_from(
                ["remove", "copy", "text", "attribute", "crowd", "namespaces", "rename", "tail"]
            )
        )
        if kind == "remove" and parent is not None:
            parent.remove(el)
        elif kind == "copy" and parent is not None:
            twin = copy.deepcopy(el)
            twin.tail = None
            parent.insert(parent.index(el), twin)
        elif kind == "text":
            el.text = draw(
                st.text(
                    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
                    max_size=20,
                )
            )
        elif kind == "attribute":
            name = draw(st.sampled_from(_XML_JUNK_ATTRIBUTES))
            name = "{http://www.w3.org/XML/1998/namespace}lang" if name == "xml:lang" else name
            el.set(name, draw(st.text(alphabet="abc#/:.0123456789 ", max_size=30)))
        elif kind == "crowd":
            for i in range(draw(st.integers(1, 100))):
                el.set(f"data-c{i}", str(i))
        elif kind == "namespaces":
            nsmap = {
                f"p{i}": draw(st.sampled_from(["urn:x", "rel/uri", f"urn:n{i}"]))
                for i in range(draw(st.integers(1, 40)))
            }
            child = etree.SubElement(el, "{urn:x}extra", nsmap=nsmap)
            child.text = "x"
        elif kind == "rename":
            el.tag = draw(
                st.sampled_from(
                    [
                        "{http://www.w3.org/1999/xhtml}div",
                        "{urn:kanta-archive:metadata:1}version",
                        "{http://www.w3.org/2000/09/xmldsig#}Reference",
                        "plain",
                    ]
                )
            )
        elif kind == "tail":
            el.tail = draw(st.sampled_from(["", " ", "text", "\n"]))
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)


_CERT = re.compile(rb"(<ds:X509Certificate>)([^<]*)(</ds:X509Certificate>)")


@st.composite
def signature_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    """Break the signer certificate (bytes of its DER) or the JWS header."""
    if data.lstrip().startswith(b"{"):
        document = json.loads(data)
        jws = document["signature"]["jws"]
        protected, _, signature = jws.split(".")
        header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
        der = bytearray(base64.b64decode(header["x5c"][0]))
        kind = draw(st.sampled_from(["der", "alg", "x5c", "header"]))
        if kind == "der":
            for _ in range(draw(st.integers(1, 4))):
                der[draw(st.integers(0, len(der) - 1))] = draw(st.integers(0, 255))
            header["x5c"][0] = base64.b64encode(bytes(der)).decode()
        elif kind == "alg":
            header["alg"] = draw(
                st.sampled_from(["none", "HS256", "ES256", "PS256", "EdDSA", "", 1])
            )
        elif kind == "x5c":
            header["x5c"] = draw(st.sampled_from([[], ["x"], [1], "x", None]))
        else:
            header[draw(st.sampled_from(["crit", "b64", "sigT", "kid"]))] = draw(_JSON_VALUES)
        encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
        document["signature"]["jws"] = f"{encoded}..{signature}"
        return json.dumps(document).encode()
    match = _CERT.search(data)
    assert match is not None
    der = bytearray(base64.b64decode(b"".join(match.group(2).split())))
    for _ in range(draw(st.integers(1, 4))):
        der[draw(st.integers(0, len(der) - 1))] = draw(st.integers(0, 255))
    text = base64.b64encode(bytes(der))
    return data[: match.start(2)] + text + data[match.end(2) :]


def mutations(fmt: str, signed: bool) -> st.SearchStrategy[tuple[str, bytes]]:
    structural: Callable[[bytes], st.SearchStrategy[bytes]] = (
        json_mutation if fmt == "json" else xml_mutation
    )
    # The certificate breaker needs a certificate where it knows to look.

    @st.composite
    def one(draw: st.DrawFn) -> tuple[str, bytes]:
        name, data = draw(st.sampled_from(SAMPLES[(fmt, signed)]))
        choices = [byte_mutation(data), structural(data)]
        if signed and (fmt == "json" or _CERT.search(data)):
            choices.append(signature_mutation(data))
        return name, draw(st.one_of(choices))

    return one()


# -- the test ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def _check_cli(tmp: Path, name: str, data: bytes) -> None:
    from kanta_archive.cli.main import cli

    path = tmp / name
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if result.exit_code in (0, 1):
        report = json.loads(result.stdout)
        assert len(report["results"]) == 1
    else:
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


@pytest.mark.parametrize(("fmt", "signed"), sorted(SAMPLES), ids=lambda v: str(v))
def test_mutated_samples_get_findings_and_never_break_the_tool(
    validator: Validator, tmp_path: Path, fmt: str, signed: bool
) -> None:
    count = [0]
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    @settings(
        max_examples=_examples(),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutations(fmt, signed))
    def run(case: tuple[str, bytes]) -> None:
        name, data = case
        start = time.process_time()
        result = validator.validate_bytes(data, name)
        took = time.process_time() - start
        assert took < PER_INPUT_SECONDS, (name, took)
        if not result.valid:
            assert any(f.severity is Severity.ERROR for f in result.findings)
        for finding in result.findings:
            assert finding.message and "\n" not in finding.message, finding
        count[0] += 1
        if count[0] % CLI_SHARE == 0:
            _check_cli(tmp_path, name, data)

    run()
    assert count[0] >= _examples()  # every drawn input was validated (hypothesis may add more)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown < MEMORY_GROWTH_KB, f"peak memory grew by {grown} KB"
