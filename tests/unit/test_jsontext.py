"""kanta_archive.jsontext.indented writes exactly what json.dumps writes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kanta_archive.jsontext import indented

SAMPLES = sorted(Path(__file__).parents[2].glob("samples/**/*.json"))

leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # any Unicode, control characters, quotes, lone surrogates
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=30,
)


def reference(value: Any, indent: int, sort_keys: bool) -> str:
    return json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(values, st.sampled_from([1, 2]), st.booleans())
def test_same_text_as_json_dumps(value: Any, indent: int, sort_keys: bool) -> None:
    assert indented(value, indent, sort_keys=sort_keys) == reference(value, indent, sort_keys)


def test_same_text_for_the_samples() -> None:
    checked = 0
    for path in SAMPLES:
        try:
            value = json.loads(path.read_bytes())
        except ValueError:
            continue  # an invalid sample that is not even JSON
        checked += 1
        for indent, sort_keys in ((2, False), (1, True)):
            expected = reference(value, indent, sort_keys)
            assert indented(value, indent, sort_keys=sort_keys) == expected, path
    assert checked > 5


@pytest.mark.parametrize(
    "value",
    [
        {1: "a", "b": 2},  # non-string keys: json.dumps converts them
        {"x": [math.nan, -math.inf, True, None, 10**30, 1.5e-300]},
        {"": {}, "a": [], "b": [[]], "c": [{}]},
        '\u2028\x00\x1f"\\/é😀',
        (1, ("x", [])),
    ],
)
def test_edge_values(value: Any) -> None:
    for indent, sort_keys in ((2, False), (1, True), (1, False)):
        try:
            expected = reference(value, indent, sort_keys)
        except TypeError:  # {1: "a", "b": 2} with sorted keys
            with pytest.raises(TypeError):
                indented(value, indent, sort_keys=sort_keys)
            continue
        assert indented(value, indent, sort_keys=sort_keys) == expected


def test_same_errors_as_json_dumps() -> None:
    for bad in ({"a": object()}, {"a": {1, 2}}, [b"bytes"]):
        with pytest.raises(TypeError):
            json.dumps(bad, indent=2)
        with pytest.raises(TypeError):
            indented(bad, 2)
    with pytest.raises(TypeError):  # mixed keys cannot be sorted
        indented({1: "a", "b": 2}, 1, sort_keys=True)
