"""The fast XHTML head XSD (lxml XSD 1.0 + elementpath assertions) gives the same findings
as xmlschema's XSD 1.1, on every XHTML sample and on generated documents with random
defects (the mutations of test_parity_mutations.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_parity_mutations import PARITY, both_forms, draw_mutated

from kanta_archive.formats.fast_xsd import FastXsd
from kanta_archive.paths import bundled_schemas_dir
from kanta_archive.validate import Validator

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
XHTML_SAMPLES = sorted(SAMPLES.glob("*/*.xhtml"))
FAST = Validator()
SLOW = Validator(slow_xsd=True)
Key = tuple[str, str, str]


def _keys(validator: Validator, data: bytes, name: str) -> set[Key]:
    return {f.key() for f in validator.validate_bytes(data, name).findings}


@pytest.mark.parametrize("path", XHTML_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_fast_and_the_slow_head_xsd_agree_on_every_sample(path: Path) -> None:
    data = path.read_bytes()
    assert _keys(FAST, data, path.name) == _keys(SLOW, data, path.name)


@PARITY
@given(data=st.data())
def test_the_fast_and_the_slow_head_xsd_agree_on_a_mutated_document(data: st.DataObject) -> None:
    structure, document, signed_at = draw_mutated(data)
    _, as_xhtml = both_forms(document["metadata"], document["content"], structure, signed_at)
    assert _keys(FAST, as_xhtml, "doc.xhtml") == _keys(SLOW, as_xhtml, "doc.xhtml")


def test_the_fast_xsd_keeps_every_assertion_of_the_schema() -> None:
    fast = FastXsd(bundled_schemas_dir() / "xhtml" / "metadata.xsd")
    codes = sorted(a.code for a in fast.assertions)
    assert codes == sorted(
        [
            "KA-VERSION-CHAIN",
            "KA-TIME-ORDER",
            "KA-CLIENTS-COMMON-MATTER",
            "KA-INVALIDATION",
            "KA-CONTROLLER-PUBLIC",
            "KA-CONTROLLER-PRIVATE",
        ]
    )


def test_a_failed_assertion_is_a_finding_of_the_fast_path() -> None:
    data = (SAMPLES / "invalid" / "version-2-without-previous.xhtml").read_bytes()
    from kanta_archive.formats.read import read_bytes

    document = read_bytes(data, "x.xhtml").document
    assert document is not None and document.xml is not None
    fast = FastXsd(bundled_schemas_dir() / "xhtml" / "metadata.xsd")
    found = {f.key() for f in fast.findings(document.xml.metadata, document.xml.elements)}
    assert found == {("KA-VERSION-CHAIN", "error", "/metadata/previous_version_oid")}
