"""Render cache entries read back exactly what was put, through orjson where it reads JSON as the stdlib does."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gitops_lint import cache_json
from gitops_lint.render.cache import ENTRY_FORMAT, RenderCache


def test_an_ordinary_entry_is_read_without_the_stdlib_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if cache_json._FAST_LOADS is None:
        pytest.skip("orjson is not installed")
    cache = RenderCache(tmp_path)
    payload = {
        "manifests": [["templates/a.yaml", None, {"kind": "Service", "port": 8080, "weight": 0.5}]]
    }
    cache.put("k", payload)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the stdlib decoder read an entry orjson reads alike")

    monkeypatch.setattr(cache_json.json, "loads", refuse)
    assert RenderCache(tmp_path).get("k") == {
        **payload,
        "format": ENTRY_FORMAT,
        "key": "k",
        "wide_integers": False,
    }


@pytest.mark.parametrize(
    "value",
    [2**64, -(2**63) - 1, 10**30, math.inf, "lone \udcff surrogate"],
    ids=["2**64", "below -2**63", "10**30", "infinity", "surrogate"],
)
def test_values_orjson_would_misread_come_back_exactly(tmp_path: Path, value: object) -> None:
    # A YAML document may hold any of these (a huge integer, .inf, a file read with
    # surrogateescape): orjson reads the integers as floats silently and refuses the rest,
    # so such an entry is read by the stdlib's decoder, as it was before orjson.
    cache = RenderCache(tmp_path)
    cache.put("k", {"value": value})
    (entry,) = tmp_path.glob("k.json")
    back = RenderCache(tmp_path).get("k")
    assert back is not None and back["value"] == value and type(back["value"]) is type(value)
    assert json.loads(entry.read_text(encoding="utf-8"))["value"] == value


@pytest.mark.parametrize(
    ("data", "wide"),
    [({}, False), ({"a": [1, "x"]}, False), ({"big": 2**64}, True), ({"small": -(2**63) - 1}, True)],
)
def test_dumped_text_says_first_whether_orjson_may_read_it(data: dict[str, object], wide: bool) -> None:
    text = cache_json.dumped(data)
    assert text.startswith('{"wide_integers":')
    assert json.loads(text) == {"wide_integers": wide, **data}
    assert cache_json.decoded(text.encode()) == {"wide_integers": wide, **data}
