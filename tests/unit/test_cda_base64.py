"""The CDA form's base64 parts decode as the standard library's strict decoding of the
text without white space does, whichever decoder does the work (cda_reader._decode)."""

from __future__ import annotations

import base64
import binascii

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kanta_archive.formats.cda_reader import _decode, _Refused

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_PIECES = st.one_of(
    st.text(alphabet=_ALPHABET, min_size=0, max_size=12),
    st.sampled_from(["=", "==", "\n", "\r\n", " ", "\t", "-", "_", "é", "A=A", "\u00a0"]),
)


def _reference(text: str) -> bytes | str:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        return f"is not valid base64: {exc}"


def _ours(text: str) -> bytes | str:
    el = etree.Element("text")
    el.text = text
    try:
        return _decode(el, "x")
    except _Refused as exc:
        return str(exc).removeprefix("x ")


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_any_text_decodes_or_is_refused_as_the_standard_library_says(text: str) -> None:
    assert _ours(text) == _reference(text)


@given(st.binary(max_size=600), st.sampled_from([76, 64, 1000]), st.sampled_from(["\n", "\r\n"]))
def test_wrapped_base64_of_any_bytes_decodes_to_them(data: bytes, width: int, eol: str) -> None:
    encoded = base64.b64encode(data).decode("ascii")
    wrapped = eol.join(encoded[i : i + width] for i in range(0, len(encoded), width))
    assert _ours(wrapped) == data
