"""LazyRegex answers as the compiled pattern would, compiles only when first used, and every one
the package defines compiles (a typo must not wait for the rare run that first uses it)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import gitops_lint
from gitops_lint.lazy_regex import LazyRegex

PATTERN = r"(?P<key>[a-z]+)=(?P<value>\d+)"
TEXT = "a=1, bb=22, CC=3, d=x"


def test_every_method_answers_as_the_compiled_pattern() -> None:
    lazy, compiled = LazyRegex(PATTERN), re.compile(PATTERN)
    for pos, endpos in ((0, len(TEXT)), (2, 12), (5, 9)):
        for method in ("match", "fullmatch", "search"):
            got, want = (
                getattr(lazy, method)(TEXT, pos, endpos),
                getattr(compiled, method)(TEXT, pos, endpos),
            )
            assert (got and got.groupdict()) == (want and want.groupdict()), (method, pos, endpos)
        assert lazy.findall(TEXT, pos, endpos) == compiled.findall(TEXT, pos, endpos)
        assert [m.span() for m in lazy.finditer(TEXT, pos, endpos)] == [
            m.span() for m in compiled.finditer(TEXT, pos, endpos)
        ]
    assert lazy.sub(r"\g<value>=\g<key>", TEXT) == compiled.sub(r"\g<value>=\g<key>", TEXT)
    assert lazy.sub(lambda m: m["key"].upper(), TEXT, 1) == compiled.sub(
        lambda m: m["key"].upper(), TEXT, 1
    )
    assert lazy.split(TEXT, 2) == compiled.split(TEXT, 2)
    assert lazy.fullmatch("b=2") is not None and lazy.match("=2") is None


def test_flags_are_kept() -> None:
    assert LazyRegex(r"^todo\b", re.I).search("TODO: set me") is not None
    assert LazyRegex(r"^todo\b").search("TODO: set me") is None


def test_nothing_is_compiled_before_the_first_use() -> None:
    broken = LazyRegex(r"(unclosed")  # re.compile would raise here
    with pytest.raises(re.error):
        broken.search("text")


def test_after_the_first_use_calls_go_to_the_compiled_pattern() -> None:
    lazy = LazyRegex(r"\d+")
    assert lazy.search("x 12") is not None
    # Bound into the instance: no forwarding method runs any more (hot loops pay nothing extra).
    assert vars(lazy)["search"].__self__ == re.compile(r"\d+")
    assert lazy.findall("1 22 333") == ["1", "22", "333"]


def test_every_lazy_regex_of_the_package_compiles() -> None:
    found = []
    for module_info in pkgutil.walk_packages(gitops_lint.__path__, "gitops_lint."):
        if module_info.name.endswith("__main__") or module_info.name == "gitops_lint.drift.job":
            continue  # entry points that run on import
        try:
            module = importlib.import_module(module_info.name)
        except ImportError:  # an optional extra (drift's kubernetes client) is not installed
            continue
        for name, value in vars(module).items():
            if isinstance(value, LazyRegex):
                value.compiled()
                found.append(f"{module_info.name}.{name}")
    assert len(found) >= 30, found  # the guard looks where the patterns are
