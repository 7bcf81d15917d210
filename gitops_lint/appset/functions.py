"""The functions an ApplicationSet Go template can call: text/template's builtins, the Sprig
functions config repos use, and Argo CD's own (`normalize`, `slugify`, `toYaml`, `fromYaml`).

Argo CD offers all of Sprig except `env`, `expandenv` and `getHostByName`. The ones not
implemented here are listed in SPRIG_NAMES so that a template calling one is reported as
"unsupported: function X" rather than as a template Argo CD would reject. Functions whose result
changes from run to run (`now`, `randAlpha`, `uuidv4`, ...) are deliberately left unsupported:
a generated Application that differs on every run cannot be checked.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from gitops_lint.appset.gotemplate import TemplateError, Unsupported
from gitops_lint.appset.values import (
    MISSING,
    ComparisonError,
    PartialParams,
    UnknownValue,
    format_float,
    go_equal,
    go_json,
    go_less,
    go_type,
    printed,
    truth,
)

Function = Callable[..., Any]


def _compare(name: str, test: Callable[[Any, Any], bool]) -> Function:
    def run(left: Any, right: Any) -> bool:
        try:
            return test(left, right)
        except ComparisonError as error:
            raise TemplateError(f"error calling {name}: {error}") from error

    return run


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise TemplateError("wrong number of args for eq: want at least 2 got 1")
    try:
        return any(go_equal(first, other) for other in others)
    except ComparisonError as error:
        raise TemplateError(f"error calling eq: {error}") from error


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, Mapping):
            if not isinstance(key, str):
                raise TemplateError(
                    f"error calling index: value has type {go_type(key)}; should be string"
                )
            if isinstance(item, PartialParams) and key not in item:
                raise UnknownValue(key)
            item = item.get(key, MISSING)
        elif isinstance(item, (list, str)):
            if isinstance(key, bool) or not isinstance(key, int):
                raise TemplateError(
                    f"error calling index: cannot index slice/array with type {go_type(key)}"
                )
            if not 0 <= key < len(item):
                raise TemplateError(f"error calling index: index out of range: {key}")
            item = ord(item[key]) if isinstance(item, str) else item[key]
        elif item is None or item is MISSING:
            raise TemplateError("error calling index: index of untyped nil")
        else:
            raise TemplateError(f"error calling index: can't index item of type {go_type(item)}")
    return item


def _len(item: Any) -> int:
    if isinstance(item, (str, list, Mapping)):
        return len(item.encode("utf-8")) if isinstance(item, str) else len(item)
    raise TemplateError(f"error calling len: len of type {go_type(item)}")


def _slice(item: Any, *indexes: Any) -> Any:
    if not isinstance(item, (str, list)):
        raise TemplateError(f"error calling slice: can't slice item of type {go_type(item)}")
    bounds = [int(i) for i in indexes]
    if len(bounds) > 2 or any(b < 0 or b > len(item) for b in bounds):
        raise TemplateError("error calling slice: index out of range")
    start = bounds[0] if bounds else 0
    end = bounds[1] if len(bounds) > 1 else len(item)
    if start > end:
        raise TemplateError(f"error calling slice: invalid slice index: {start} > {end}")
    return item[start:end]


def _sprint(*args: Any) -> str:
    # fmt.Sprint puts a space between operands when neither is a string.
    out: list[str] = []
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(printed(arg, True))
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])")


def _quote(text: str) -> str:
    """strconv.Quote for printable text."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'


def sprintf(fmt: str, *args: Any) -> str:
    """fmt.Sprintf for the verbs templates use (%s %v %d %q %t %f %e %g %x %X %o %b %c %%)."""
    values = list(args)
    used = 0
    out: list[str] = []
    pos = 0
    for match in _VERB.finditer(fmt):
        out.append(fmt[pos : match.start()])
        pos = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if used >= len(values):
            out.append(f"%!{verb}(MISSING)")
            continue
        value = values[used]
        used += 1
        out.append(_pad(_verb(verb, value, precision), flags, width, value))
    out.append(fmt[pos:])
    if used < len(values):
        extra = ", ".join(f"{go_type(v)}={printed(v, True)}" for v in values[used:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _pad(text: str, flags: str, width: str | None, value: Any) -> str:
    if not width:
        return text
    size = int(width)
    if "-" in flags:
        return text.ljust(size)
    if "0" in flags and isinstance(value, (int, float)) and not isinstance(value, bool):
        sign = text[0] if text[:1] in "+-" else ""
        return sign + text[len(sign) :].rjust(size - len(sign), "0")
    return text.rjust(size)


def _verb(verb: str, value: Any, precision: str | None) -> str:
    bad = f"%!{verb}({go_type(value)}={printed(value, True)})"
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if verb == "v":
        return printed(value, True)
    if verb == "s":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return bad
        text = printed(value, True)
        return text[: int(precision)] if precision else text
    if verb == "q":
        return _quote(value) if isinstance(value, str) else bad
    if verb == "t":
        return printed(value) if isinstance(value, bool) else bad
    if verb in "dxXob":
        if isinstance(value, int) and not isinstance(value, bool):
            return {
                "d": str(value),
                "x": f"{value:x}",
                "X": f"{value:X}",
                "o": f"{value:o}",
                "b": f"{value:b}",
            }[verb]
        if verb in "xX" and isinstance(value, str):
            hexed = value.encode("utf-8").hex()
            return hexed.upper() if verb == "X" else hexed
        return bad
    if verb in "feEgG":
        if not number:
            return bad
        if verb in "gG" and precision is None:
            return format_float(float(value))
        digits = int(precision) if precision else (6 if verb in "feE" else 0)
        return f"{float(value):.{digits}{verb}}"
    if verb == "c":
        return chr(value) if isinstance(value, int) and not isinstance(value, bool) else bad
    return f"%!{verb}({go_type(value)}={printed(value, True)})"


def _sprint_ln(*args: Any) -> str:
    return " ".join(printed(a, True) for a in args) + "\n"


def _not_allowed(name: str) -> Function:
    def run(*_: Any) -> Any:
        raise Unsupported(f"function {name}")

    return run


# --- Sprig ---------------------------------------------------------------------------------------


def _str(value: Any) -> str:
    """Sprig's strval: strings as they are, nil as empty, everything else as fmt prints it."""
    if value is None or value is MISSING:
        return ""
    return printed(value, True)


def _empty(value: Any) -> bool:
    return not truth(value)


def _default(default: Any, *given: Any) -> Any:
    if not given or _empty(given[0]):
        return default
    return given[0]


def _ternary(if_true: Any, if_false: Any, condition: Any) -> Any:
    return if_true if truth(condition) else if_false


def _list_of(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        raise TemplateError(f"cannot use {go_type(value)} as a list")
    raise TemplateError(f"cannot use {go_type(value)} as a list")


def _join(sep: Any, items: Any) -> str:
    if isinstance(items, str):
        return items
    return str(sep).join(_str(item) for item in _list_of(items))


def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise TemplateError("dig needs at least three arguments")
    *keys, default, data = args
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value


def _dict(*args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        out[_str(args[i])] = args[i + 1] if i + 1 < len(args) else ""
    return out


def _get(data: Any, key: Any) -> Any:
    if not isinstance(data, Mapping):
        raise TemplateError(f"get: not a map ({go_type(data)})")
    return data.get(str(key), "")


def _has_key(data: Any, key: Any) -> bool:
    return isinstance(data, Mapping) and str(key) in data


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value)) if value.strip() else 0
        except ValueError:
            return 0
    return 0


def _to_float(value: Any) -> float:
    try:
        return (
            float(value)
            if not isinstance(value, (list, dict)) and value not in (None, MISSING)
            else 0.0
        )
    except (TypeError, ValueError):
        return 0.0


def _add(*values: Any) -> int:
    return sum(_to_int(v) for v in values)


def _sub(a: Any, b: Any) -> int:
    return _to_int(a) - _to_int(b)


def _mul(*values: Any) -> int:
    out = 1
    for v in values:
        out *= _to_int(v)
    return out


def _div(a: Any, b: Any) -> int:
    divisor = _to_int(b)
    if divisor == 0:
        raise TemplateError("error calling div: integer divide by zero")
    quotient = abs(_to_int(a)) // abs(divisor)
    return quotient if (_to_int(a) >= 0) == (divisor > 0) else -quotient


def _mod(a: Any, b: Any) -> int:
    divisor = _to_int(b)
    if divisor == 0:
        raise TemplateError("error calling mod: integer divide by zero")
    remainder = abs(_to_int(a)) % abs(divisor)
    return remainder if _to_int(a) >= 0 else -remainder


def _go_regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise TemplateError(f"error parsing regexp: {error}") from error


def _regex_replace(pattern: Any, text: Any, replacement: Any) -> str:
    # Go expands $1 / ${1} / ${name}; Python wants \g<1>.
    python_repl = re.sub(
        r"\$\{(\w+)\}|\$(\w+)", lambda m: f"\\g<{m.group(1) or m.group(2)}>", str(replacement)
    )
    python_repl = python_repl.replace("\\\\g", "\\g")
    try:
        return _go_regex(str(pattern)).sub(python_repl, _str(text))
    except (re.error, IndexError):
        # A group Go would expand to "" (a missing one): Go never fails here.
        return _go_regex(str(pattern)).sub(lambda m: "", _str(text))


def _trunc(length: Any, text: Any) -> str:
    size = _to_int(length)
    value = _str(text)
    if size < 0:
        return value[max(0, len(value) + size) :]
    return value[:size]


def _substr(start: Any, end: Any, text: Any) -> str:
    value = _str(text)
    begin, stop = _to_int(start), _to_int(end)
    if begin < 0:
        return value[:stop]
    if stop < 0 or stop > len(value):
        return value[begin:]
    return value[begin:stop]


def _indent(spaces: Any, text: Any) -> str:
    pad = " " * _to_int(spaces)
    return pad + _str(text).replace("\n", "\n" + pad)


def _to_yaml(value: Any) -> str:
    # sigs.k8s.io/yaml marshals through JSON: sorted keys, and Argo CD trims the final newline.
    if value is None or value is MISSING:
        return "null"
    data = yaml.safe_load(
        go_json(value).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    )
    return yaml.safe_dump(
        data, sort_keys=True, default_flow_style=False, allow_unicode=True
    ).rstrip("\n")


def _from_yaml(text: Any) -> Any:
    try:
        data = yaml.safe_load(_str(text))
    except yaml.YAMLError as error:
        return {"Error": str(error).splitlines()[0]}
    return data if isinstance(data, dict) else {}


def _from_yaml_array(text: Any) -> Any:
    try:
        data = yaml.safe_load(_str(text))
    except yaml.YAMLError as error:
        return [str(error).splitlines()[0]]
    return data if isinstance(data, list) else []


def normalize(value: Any) -> str:
    """Argo CD's `normalize`: lower case, characters outside [-a-z0-9.] as '-', at most 253, no
    leading or trailing '-' or '.'."""
    name = re.sub(r"[^-a-z0-9.]", "-", _str(value).lower())[:253]
    return name.strip("-.")


def slugify(*args: Any) -> str:
    """Argo CD's `slugify [maxSize [smartTruncate]] text`: a URL slug, cut at a word when smart."""
    if not args:
        raise TemplateError("wrong number of args for slugify")
    max_size, smart = 50, True
    *options, text = args
    if options:
        max_size = _to_int(options[0])
    if len(options) > 1:
        smart = truth(options[1])
    ascii_text = unicodedata.normalize("NFKD", _str(text)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_text.lower())
    slug = re.sub(r"-+", "-", slug).strip("-_")
    if len(slug) <= max_size:
        return slug
    if not smart:
        return slug[:max_size].strip("-")
    kept = ""
    for word in slug.split("-"):
        candidate = f"{kept}-{word}" if kept else word
        if len(candidate) > max_size:
            break
        kept = candidate
    return kept or slug[:max_size]


def _split_list(sep: Any, text: Any) -> list[str]:
    return _str(text).split(str(sep)) if str(sep) else list(_str(text))


def _split(sep: Any, text: Any) -> dict[str, str]:
    return {f"_{i}": part for i, part in enumerate(_split_list(sep, text))}


def _first(items: Any) -> Any:
    values = _list_of(items) if items not in (None, MISSING) else []
    return values[0] if values else None


def _last(items: Any) -> Any:
    values = _list_of(items) if items not in (None, MISSING) else []
    return values[-1] if values else None


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if truth(v)), None)


def _keys(*maps: Any) -> list[str]:
    return [key for data in maps if isinstance(data, Mapping) for key in data]


def _merge(destination: Any, *sources: Any) -> Any:
    if not isinstance(destination, dict):
        raise TemplateError("merge: destination is not a map")
    for source in sources:
        if isinstance(source, Mapping):
            for key, value in source.items():
                if key not in destination or not truth(destination[key]):
                    destination[key] = value
                elif isinstance(destination[key], dict) and isinstance(value, Mapping):
                    _merge(destination[key], value)
    return destination


def _has(needle: Any, haystack: Any) -> bool:
    return isinstance(haystack, list) and any(_loose_equal(needle, item) for item in haystack)


def _loose_equal(a: Any, b: Any) -> bool:
    return bool(a == b) and type(a) is type(b)


def _uniq(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in _list_of(items):
        if not any(_loose_equal(item, seen) for seen in out):
            out.append(item)
    return out


def _kindof(value: Any) -> str:
    kind = go_type(value)
    return {"map[string]interface {}": "map", "[]interface {}": "slice", "<nil>": "invalid"}.get(
        kind, kind
    )


def _b64dec(text: Any) -> str:
    try:
        return base64.b64decode(_str(text), validate=True).decode("utf-8", "replace")
    except ValueError as error:
        return str(error)


def _quote_all(*values: Any) -> str:
    return " ".join(_quote(_str(v)) for v in values if v is not None and v is not MISSING)


def _squote_all(*values: Any) -> str:
    return " ".join(f"'{_str(v)}'" for v in values if v is not None and v is not MISSING)


def _title(text: Any) -> str:
    return re.sub(r"(^|[^\w'])(\w)", lambda m: m.group(1) + m.group(2).upper(), _str(text))


def _snake(text: Any) -> str:
    value = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", _str(text))
    value = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", value)
    return re.sub(r"[-\s]+", "_", value).lower()


def _kebab(text: Any) -> str:
    return _snake(text).replace("_", "-")


def _camel(text: Any) -> str:
    return "".join(
        part[:1].upper() + part[1:] for part in re.split(r"[_\-\s]+", _str(text)) if part
    )


def _semver_compare(*_: Any) -> bool:
    raise Unsupported("function semverCompare")


FUNCTIONS: dict[str, Function] = {
    # text/template builtins
    "eq": _eq,
    "ne": lambda a, b: not _compare("ne", go_equal)(a, b),
    "lt": _compare("lt", go_less),
    "le": _compare("le", lambda a, b: go_less(a, b) or go_equal(a, b)),
    "gt": _compare("gt", lambda a, b: go_less(b, a)),
    "ge": _compare("ge", lambda a, b: go_less(b, a) or go_equal(a, b)),
    "index": _index,
    "len": _len,
    "slice": _slice,
    "print": _sprint,
    "printf": lambda fmt, *args: sprintf(_str(fmt), *args),
    "println": _sprint_ln,
    "urlquery": lambda *args: urllib.parse.quote_plus(_sprint(*args)),
    "call": _not_allowed("call"),
    "html": _not_allowed("html"),
    "js": _not_allowed("js"),
    # Sprig: strings
    "lower": lambda s: _str(s).lower(),
    "upper": lambda s: _str(s).upper(),
    "title": _title,
    "trim": lambda s: _str(s).strip(),
    "trimAll": lambda chars, s: _str(s).strip(_str(chars)),
    "trimPrefix": lambda prefix, s: _str(s).removeprefix(_str(prefix)),
    "trimSuffix": lambda suffix, s: _str(s).removesuffix(_str(suffix)),
    "replace": lambda old, new, s: _str(s).replace(_str(old), _str(new)),
    "hasPrefix": lambda prefix, s: _str(s).startswith(_str(prefix)),
    "hasSuffix": lambda suffix, s: _str(s).endswith(_str(suffix)),
    "contains": lambda needle, s: _str(needle) in _str(s),
    "repeat": lambda count, s: _str(s) * max(0, _to_int(count)),
    "trunc": _trunc,
    "substr": _substr,
    "nospace": lambda s: re.sub(r"\s", "", _str(s)),
    "quote": _quote_all,
    "squote": _squote_all,
    "cat": lambda *values: " ".join(_str(v) for v in values if v is not None and v is not MISSING),
    "indent": _indent,
    "nindent": lambda spaces, text: "\n" + _indent(spaces, text),
    "snakecase": _snake,
    "kebabcase": _kebab,
    "camelcase": _camel,
    "splitList": _split_list,
    "split": _split,
    "join": _join,
    "toString": _str,
    "toStrings": lambda items: [_str(i) for i in _list_of(items)],
    "regexMatch": lambda pattern, s: _go_regex(_str(pattern)).search(_str(s)) is not None,
    "regexFind": lambda pattern, s: (
        m.group() if (m := _go_regex(_str(pattern)).search(_str(s))) else ""
    ),
    "regexReplaceAll": _regex_replace,
    "regexReplaceAllLiteral": lambda pattern, s, repl: _go_regex(_str(pattern)).sub(
        lambda m: _str(repl), _str(s)
    ),
    "b64enc": lambda s: base64.b64encode(_str(s).encode("utf-8")).decode("ascii"),
    "b64dec": _b64dec,
    "sha256sum": lambda s: hashlib.sha256(_str(s).encode("utf-8")).hexdigest(),
    "sha1sum": lambda s: hashlib.sha1(_str(s).encode("utf-8")).hexdigest(),
    "base": lambda s: (
        _str(s).rstrip("/").rsplit("/", 1)[-1] or ("/" if _str(s).startswith("/") else ".")
    ),
    "dir": lambda s: _str(s).rstrip("/").rsplit("/", 1)[0] if "/" in _str(s).rstrip("/") else ".",
    # Sprig: defaults, logic, conversion
    "default": _default,
    "empty": _empty,
    "coalesce": _coalesce,
    "ternary": _ternary,
    "toJson": go_json,
    "toPrettyJson": lambda v: go_json(v, indent=2),
    "toRawJson": lambda v: (
        go_json(v).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    ),
    "int": _to_int,
    "int64": _to_int,
    "atoi": _to_int,
    "float64": _to_float,
    "add": _add,
    "add1": lambda v: _to_int(v) + 1,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "mod": _mod,
    "max": lambda *v: max(_to_int(x) for x in v),
    "min": lambda *v: min(_to_int(x) for x in v),
    "kindOf": _kindof,
    "kindIs": lambda kind, value: _kindof(value) == _str(kind),
    "typeOf": go_type,
    "fail": lambda message: (_ for _ in ()).throw(
        TemplateError(f"error calling fail: {_str(message)}")
    ),
    # Sprig: lists and dicts
    "list": lambda *items: list(items),
    "first": _first,
    "last": _last,
    "has": _has,
    "uniq": _uniq,
    "compact": lambda items: [i for i in _list_of(items) if truth(i)],
    "without": lambda items, *drop: [
        i for i in _list_of(items) if not any(_loose_equal(i, d) for d in drop)
    ],
    "append": lambda items, value: [*_list_of(items), value],
    "concat": lambda *lists: [i for items in lists for i in _list_of(items)],
    "sortAlpha": lambda items: sorted(_str(i) for i in _list_of(items)),
    "until": lambda n: list(range(_to_int(n))),
    "dict": _dict,
    "get": _get,
    "hasKey": _has_key,
    "keys": _keys,
    "values": lambda data: list(data.values()) if isinstance(data, Mapping) else [],
    "dig": _dig,
    "merge": _merge,
    "pick": lambda data, *keys: {
        k: data[k] for k in map(_str, keys) if isinstance(data, Mapping) and k in data
    },
    "omit": lambda data, *keys: (
        {k: v for k, v in data.items() if k not in set(map(_str, keys))}
        if isinstance(data, Mapping)
        else {}
    ),
    "semverCompare": _semver_compare,
    # Argo CD's own
    "normalize": normalize,
    "slugify": slugify,
    "toYaml": _to_yaml,
    "fromYaml": _from_yaml,
    "fromYamlArray": _from_yaml_array,
}

# Sprig functions Argo CD offers that this evaluator does not run: a template calling one is
# "unsupported", not broken. Non-deterministic ones are here on purpose (see the module doc).
SPRIG_NAMES = frozenset({
    "abbrev", "abbrevboth", "adler32sum", "ago", "all", "any", "bcrypt", "biggest", "buildCustomCert",
    "chunk", "clean", "date", "dateInZone", "dateModify", "date_in_zone", "date_modify", "decryptAES",
    "deepCopy", "deepEqual", "derivePassword", "duration", "durationRound", "encryptAES", "ext",
    "float64", "floor", "ceil", "round", "addf", "add1f", "subf", "mulf", "divf", "maxf", "minf",
    "genCA", "genCAWithKey", "genPrivateKey", "genSelfSignedCert", "genSelfSignedCertWithKey",
    "genSignedCert", "genSignedCertWithKey", "hello", "htmlDate", "htmlDateInZone", "htpasswd",
    "initial", "initials", "isAbs", "kindOf", "mergeOverwrite", "mustAppend", "mustChunk", "mustCompact",
    "mustDateModify", "mustDeepCopy", "mustFirst", "mustFromJson", "mustHas", "mustInitial", "mustLast",
    "mustMerge", "mustMergeOverwrite", "mustPrepend", "mustPush", "mustRegexFind", "mustRegexFindAll",
    "mustRegexMatch", "mustRegexReplaceAll", "mustRegexReplaceAllLiteral", "mustRegexSplit", "mustRest",
    "mustReverse", "mustSlice", "mustToDate", "mustToJson", "mustToPrettyJson", "mustToRawJson",
    "mustUniq", "mustWithout", "now", "osBase", "osClean", "osDir", "osExt", "osIsAbs", "plural",
    "pluck", "prepend", "push", "quote", "randAlpha", "randAlphaNum", "randAscii", "randBytes",
    "randInt", "randNumeric", "regexFindAll", "regexQuoteMeta", "regexSplit", "rest", "reverse",
    "seq", "semver", "set", "shuffle", "sortAlpha", "splitn", "swapcase", "toDate", "toDecimal",
    "tuple", "typeIs", "typeIsLike", "unixEpoch", "unset", "untilStep", "untitle", "urlJoin",
    "urlParse", "uuidv4", "wrap", "wrapWith", "fromJson", "sha512sum", "b32enc",
    "b32dec",
})  # fmt: skip
KNOWN_NAMES = SPRIG_NAMES | frozenset(FUNCTIONS)
