"""Schema locations as kubeconform reads them: local directories and URL templates.

A location is either a template (it ends in `json`) or a directory. Templates take
kubeconform's variables (`{{ .Group }}`, `{{ .ResourceKind }}`, `{{ .ResourceAPIVersion }}`,
`{{ .NormalizedKubernetesVersion }}`, `{{ .StrictSuffix }}`, `{{ .KindSuffix }}`) and the short
CRDs-catalog ones (`{group}`, `{kind}`, `{version}`). A directory is searched in the
CRDs-catalog layout (`{group}/{kind}_{version}.json`) and then in kubeconform's default one
(`{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`).
URLs are fetched only when the network is allowed; what they return (found or not found) is
kept in the cache directory, so later runs, offline ones too, reuse it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_lint.atomic_file import write_text_atomically
from gitops_lint.errors import UsageError
from gitops_lint.file_bytes import read_text

if TYPE_CHECKING:  # urllib loads only for runs that fetch
    import urllib.request

DEFAULT = "default"  # kubeconform's name for the Kubernetes schemas: built in here
CATALOG_LAYOUT = "{group}/{kind}_{version}.json"
KUBECONFORM_LAYOUT = (
    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
FETCH_TIMEOUT = 15.0
MISSING_TTL = 24 * 3600  # seconds a "not found" answer is believed before asking again
_GO_VAR = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")
_SHORT_VAR = re.compile(r"\{(group|kind|version)\}")
_GO_VARS = frozenset(
    {"NormalizedKubernetesVersion", "StrictSuffix", "ResourceKind", "ResourceAPIVersion", "Group", "KindSuffix"}
)


@dataclass(frozen=True)
class SchemaLookup:
    """What one location says about one kind: its schema, or why there is none."""

    schema: dict[str, Any] | None
    problem: str | None = None  # e.g. "not fetched: the network is not allowed"


def _variables(api_version: str, kind: str, kubernetes_version: str, strict: bool) -> dict[str, str]:
    # As kubeconform computes them, quirks included (the core group's Group is "v1").
    parts = api_version.split("/")
    kind_suffix = "-" + parts[0].split(".")[0].lower() + (f"-{parts[1].lower()}" if len(parts) > 1 else "")
    version = kubernetes_version if kubernetes_version.count(".") >= 2 else f"{kubernetes_version}.0"
    return {
        "NormalizedKubernetesVersion": f"v{version}",
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": kind.lower(),
        "ResourceAPIVersion": parts[-1],
        "Group": parts[0],
        "KindSuffix": kind_suffix,
        "group": parts[0] if len(parts) > 1 else "",
        "kind": kind.lower(),
        "version": parts[-1],
    }


def expand(template: str, variables: dict[str, str]) -> str:
    expanded = _GO_VAR.sub(lambda m: variables[m.group(1)], template)
    return _SHORT_VAR.sub(lambda m: variables[m.group(1)], expanded)


def _check_template(template: str, origin: str) -> None:
    unknown = sorted({m.group(1) for m in _GO_VAR.finditer(template)} - _GO_VARS)
    if unknown:
        shown = _redact(template) if _is_url(template) else template
        raise UsageError(
            f"{origin} {shown!r}: unknown template variable .{unknown[0]} "
            f"(known: {', '.join('.' + v for v in sorted(_GO_VARS))}, {{group}}, {{kind}}, {{version}})"
        )


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


@dataclass(frozen=True)
class SchemaLocation:
    """One `--schema-location` / `schema_locations` entry, with relative paths made absolute."""

    templates: tuple[str, ...]  # tried in order; the first that has the schema wins
    remote: bool

    @classmethod
    def parse(cls, text: str, base: Path, origin: str = "schema location") -> SchemaLocation | None:
        """None for kubeconform's `default` (the Kubernetes schemas, built in here)."""
        text = text.strip()
        if not text:
            raise UsageError(f"{origin}: empty value")
        if text == DEFAULT:
            return None
        remote = _is_url(text)
        if not remote:
            text = str(base / text) if not Path(text).is_absolute() else text
        if text.endswith("json"):
            templates: tuple[str, ...] = (text,)
        else:
            if not remote and not Path(text).is_dir():
                raise UsageError(f"{origin} {text!r}: no such directory")
            root = text.rstrip("/")
            templates = (f"{root}/{CATALOG_LAYOUT}", f"{root}/{KUBECONFORM_LAYOUT}")
        for template in templates:
            _check_template(template, origin)
        return cls(templates, remote)


class LocationSearch:
    """Looks kinds up in the configured locations, fetching and caching remote ones."""

    def __init__(
        self,
        locations: Iterable[SchemaLocation],
        *,
        allow_network: bool,
        cache_dir: Path | None,
    ) -> None:
        self.locations = tuple(locations)
        self.allow_network = allow_network
        self.cache_dir = cache_dir
        self._fetched: dict[str, dict[str, Any] | None] = {}

    def find(self, api_version: str, kind: str, kubernetes_version: str, strict: bool) -> SchemaLookup:
        variables = _variables(api_version, kind, kubernetes_version, strict)
        problems: list[str] = []
        for location in self.locations:
            if location.remote and not variables["group"]:
                continue  # core kinds are built in; one missing here is a typo no URL will know
            for template in location.templates:
                where = expand(template, variables)
                found = self._remote(where, problems) if location.remote else _local(where, problems)
                if found is not None:
                    return SchemaLookup(found)
        return SchemaLookup(None, problems[0] if problems else None)

    def _remote(self, url: str, problems: list[str]) -> dict[str, Any] | None:
        if url in self._fetched:
            return self._fetched[url]
        cached, known = self._read_cache(url)
        if known:
            self._fetched[url] = cached
            return cached
        if not self.allow_network:
            problems.append("schema location URLs are not fetched without --allow-network")
            return None
        # urllib (http.client, email, ...) costs ~20 ms to import: only runs that fetch pay it.
        import http.client
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(_request(url), timeout=FETCH_TIMEOUT) as response:  # only http(s): parse() admits no other scheme
                schema = _as_schema(json.loads(response.read().decode("utf-8")))
        except urllib.error.HTTPError as error:
            if error.code != 404:
                problems.append(f"{_redact(url)}: HTTP {error.code}")
                return None
            schema = None
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            problems.append(f"{_redact(url)}: {reason}")
            return None
        self._fetched[url] = schema
        self._write_cache(url, schema)
        return schema

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / "remote" / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def _read_cache(self, url: str) -> tuple[dict[str, Any] | None, bool]:
        """(schema, True) for a cached answer, found or not found; (None, False) when unknown."""
        path = self._cache_path(url)
        if path is None:
            return None, False
        with contextlib.suppress(OSError, ValueError):
            entry = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(entry, dict) and entry.get("url") == url:
                schema = entry.get("schema")
                if isinstance(schema, dict):
                    return schema, True
                if time.time() - float(entry.get("time", 0)) < MISSING_TTL:
                    return None, True
        return None, False

    def _write_cache(self, url: str, schema: dict[str, Any] | None) -> None:
        path = self._cache_path(url)
        if path is None:
            return
        with contextlib.suppress(OSError):
            write_text_atomically(path, json.dumps({"url": url, "time": time.time(), "schema": schema}))


def _local(path: str, problems: list[str]) -> dict[str, Any] | None:
    file = Path(path)
    try:
        text = read_text(file)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path}: {error}")
        return None
    try:
        return _as_schema(json.loads(text))
    except ValueError as error:
        problems.append(f"{path}: not a JSON schema ({error})")
        return None


def _as_schema(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _request(url: str) -> urllib.request.Request:
    """A GET of `url`. urllib takes no credentials from a URL (http.client reads `user:token@host`
    as a host with a bad port, and says so quoting the token): they go in a Basic header."""
    import urllib.parse
    import urllib.request

    headers = {"User-Agent": "gitops-lint"}
    parts = urllib.parse.urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if at:
        user, _, password = userinfo.partition(":")
        pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        url = urllib.parse.urlunsplit(parts._replace(netloc=host))
    return urllib.request.Request(url, headers=headers)


def _redact(url: str) -> str:
    """The URL without credentials or query (a token in a URL never reaches output)."""
    match = re.match(r"^(https?://)(?:[^@/]*@)?([^?#]*)", url)
    return f"{match.group(1)}{match.group(2)}" if match else "the schema URL"


def location_search(
    from_cli: Iterable[str],
    from_config: Iterable[str],
    *,
    root: Path,
    allow_network: bool,
    cache_dir: Path | None,
) -> LocationSearch | None:
    """The run's locations, command line first (relative to the working directory), then the
    config's (relative to the repo root); None when there are none."""
    parsed = [SchemaLocation.parse(text, Path.cwd(), "--schema-location") for text in from_cli]
    parsed += [SchemaLocation.parse(text, root, "schema_locations") for text in from_config]
    locations = [location for location in parsed if location is not None]
    if not locations:
        return None
    return LocationSearch(locations, allow_network=allow_network, cache_dir=cache_dir)
