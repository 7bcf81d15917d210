"""Argo CD's diff-ignore settings as argocd-cm writes them, read once for `check`'s rules and the drift audit.

`resource.customizations.ignoreDifferences.<group_kind>` (and `.all`), the older
`resource.customizations` block and `resource.compareoptions`' `ignoreResourceStatusField`
become entries in an Application's `spec.ignoreDifferences` form. A bad value becomes a
problem (a one-line warning the drift audit shows; the rules ignore nothing for it). No jq
here: `check` installs run without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

CONFIGMAP = "argocd-cm"
PREFIX = "resource.customizations."
RULE_FIELDS = ("jsonPointers", "jqPathExpressions", "managedFieldsManagers")
_STATUS_VALUES = ("all", "crd", "none", "off")


def group_kind(text: str) -> tuple[str, str]:
    """`apps_Deployment` → ("apps", "Deployment"); a bare kind is the core group's; `all` is every kind."""
    if text == "all":
        return "*", "*"
    group, sep, kind = text.rpartition("_")
    return (group, kind) if sep else ("", text)


def pointer_steps(pointer: str) -> list[str]:
    """RFC 6901: `/a~1b/0` → ["a/b", "0"]."""
    if not pointer or pointer == "/":
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/")]


def read_yaml(value: Any, key: str, problems: list[str]) -> Any:
    """An argocd-cm value that holds YAML, parsed (None and a problem when it is not YAML)."""
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problems.append(f"{CONFIGMAP} {key}: not YAML{where}; ignored")
        return None


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def ignore_rule(group: str, kind: str, raw: Any, key: str, problems: list[str]) -> dict[str, Any] | None:
    """One system-wide ignore setting in `spec.ignoreDifferences` form (None when unset or not a map)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"{CONFIGMAP} {key}: not a map of {', '.join(RULE_FIELDS)}; ignored")
        return None
    wrong = [name for name in RULE_FIELDS if raw.get(name) is not None and not isinstance(raw.get(name), list)]
    if wrong:
        problems.append(f"{CONFIGMAP} {key}: {' and '.join(wrong)} not a list; ignored")
    return {"group": group, "kind": kind, **{name: [] if name in wrong else _strings(raw.get(name)) for name in RULE_FIELDS}}


def ignore_entries(data: Mapping[str, Any], problems: list[str]) -> list[dict[str, Any]]:
    """argocd-cm's system-wide ignoreDifferences: the `resource.customizations.ignoreDifferences.*`
    keys, then the older `resource.customizations` block's `<group>/<Kind>: {ignoreDifferences}`."""
    entries: list[dict[str, Any]] = []
    for key, value in data.items():
        if isinstance(key, str) and key.startswith(PREFIX + "ignoreDifferences."):
            group, kind = group_kind(key[len(PREFIX + "ignoreDifferences.") :])
            rule = ignore_rule(group, kind, read_yaml(value, key, problems), key, problems)
            entries.extend([rule] if rule else [])
    legacy = read_yaml(data.get("resource.customizations"), "resource.customizations", problems)
    for target, override in legacy.items() if isinstance(legacy, Mapping) else ():
        if not isinstance(override, Mapping):
            continue
        group, _, kind = str(target).rpartition("/")
        where = f"resource.customizations {target} ignoreDifferences"
        rule = ignore_rule(group, kind, read_yaml(override.get("ignoreDifferences"), where, problems), where, problems)
        entries.extend([rule] if rule else [])
    return entries


def compare_options(data: Mapping[str, Any], problems: list[str]) -> Mapping[str, Any]:
    """argocd-cm's `resource.compareoptions` ({} when unset or not a map)."""
    options = read_yaml(data.get("resource.compareoptions"), "resource.compareoptions", problems)
    if options is not None and not isinstance(options, Mapping):
        problems.append(f"{CONFIGMAP} resource.compareoptions: not a map; ignored")
    return options if isinstance(options, Mapping) else {}


def ignore_status(options: Mapping[str, Any], problems: list[str]) -> str:
    """ignoreResourceStatusField: all | crd | none; Argo CD's own constant for none is `off`."""
    value = options.get("ignoreResourceStatusField")
    key = f"{CONFIGMAP} resource.compareoptions ignoreResourceStatusField"
    if value is None:
        return "all"
    if value is False:
        # YAML reads an unquoted `off` (and `false`, `no`) as a boolean.
        problems.append(f"{key}: a YAML boolean (an unquoted false, off or no), not a string; read as none "
                        "(write 'none' or quote 'off')")
        return "none"
    status = str(value).lower() if isinstance(value, str) else ""
    if status not in _STATUS_VALUES:
        problems.append(f"{key}: {value!r} is not all, crd or none; all is used")
        return "all"
    return "none" if status == "off" else status
