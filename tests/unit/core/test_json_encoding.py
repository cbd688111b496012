"""`compact_encoder`: byte for byte what json.dumps writes with the same options."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurastream_obs.core.json_encoding import compact_encoder

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=20,
)


@given(VALUES)
def test_same_text_as_json_dumps(value: Any) -> None:
    for ensure_ascii in (True, False):
        dumps = compact_encoder(str, ensure_ascii=ensure_ascii)
        assert dumps(value) == json.dumps(
            value, separators=(",", ":"), default=str, ensure_ascii=ensure_ascii
        )


def test_default_nan_and_failures_as_json_dumps() -> None:
    assert compact_encoder(str)({"when": {1, 2}.__class__}) == '{"when":"<class \'set\'>"}'
    assert compact_encoder()([math.nan, math.inf]) == "[NaN,Infinity]"
    with pytest.raises(ValueError):
        compact_encoder(allow_nan=False)({"x": math.nan})
    with pytest.raises(TypeError) as ours:
        compact_encoder()({"x": object()})
    with pytest.raises(TypeError) as stdlib:
        json.dumps({"x": object()})
    assert str(ours.value) == str(stdlib.value) == "Object of type object is not JSON serializable"
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(RecursionError):  # no circular check: the recursion limit stops it
        compact_encoder()(cycle)
