"""The CRD schemas shipped under schemas/crds/: every one compiles and names its own kind, and
the CRDs real estates use validate offline (a good object passes, a typo fails)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from gitops_lint.validate.schemas import SchemaRegistry
from tests.conftest import REPO_ROOT

CRDS = REPO_ROOT / "schemas" / "crds"
SHIPPED = sorted(p for p in CRDS.rglob("*.json"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.relative_to(CRDS).as_posix() for p in SHIPPED])
def test_every_shipped_schema_compiles_and_names_its_kind(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema_rs.validator_for(schema)
    properties = schema["properties"]
    api_versions = properties["apiVersion"].get("enum") or [properties["apiVersion"].get("const")]
    kinds = properties["kind"].get("enum") or [properties["kind"].get("const")]
    group = path.parent.name
    kind_lower, version = path.stem.split("_")
    assert [f"{group}/{version}"] == api_versions
    assert [k.lower() for k in kinds] == [kind_lower]


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for item in node for p in _patterns(item)]
    return []


def test_every_shipped_pattern_is_portable_regex() -> None:
    # Other validators (editors, Python's jsonschema) read these files too: a Go-only regex
    # such as `^(?i)(abort|warn)?$` would make the whole schema invalid for them.
    bad = []
    for path in SHIPPED:
        for pattern in _patterns(json.loads(path.read_text(encoding="utf-8"))):
            try:
                re.compile(pattern)
            except re.error as error:
                bad.append(f"{path.relative_to(CRDS)}: {pattern!r}: {error}")
    assert bad == []


def test_sources_lists_every_generated_file() -> None:
    listed = {line.split("\t")[0] for line in (CRDS / "SOURCES").read_text().splitlines() if not line.startswith("#")}
    hand_written = {p.relative_to(CRDS).as_posix() for p in SHIPPED} - listed
    header = (CRDS / "SOURCES").read_text()
    assert all(name in header for name in hand_written), hand_written  # the rest is named as hand-written
    assert listed <= {p.relative_to(CRDS).as_posix() for p in SHIPPED}


# (name, good object, the same object with one mistake a reviewer would catch)
CASES: list[tuple[str, str, str]] = [
    (
        "flux-kustomization",
        """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
        """,
        "spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}, dependsOn: x}",
    ),
    (
        "flux-helmrelease",
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: podinfo}
        spec:
          interval: 1h
          chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}}
          values: {replicaCount: 2, anything: {goes: [here]}}
        """,
        "  intervall: 1h",
    ),
    (
        "cert-manager-certificate",
        """
        apiVersion: cert-manager.io/v1
        kind: Certificate
        metadata: {name: web}
        spec: {secretName: web-tls, dnsNames: [example.com], issuerRef: {name: letsencrypt, kind: ClusterIssuer}}
        """,
        "spec: {secretName: web-tls, dnsNames: example.com, issuerRef: {name: letsencrypt, kind: ClusterIssuer}}",
    ),
    (
        "prometheus-servicemonitor",
        """
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: web}
        spec: {selector: {matchLabels: {app: web}}, endpoints: [{port: http, interval: 30s}]}
        """,
        "spec: {selector: {matchLabels: {app: web}}, endpoints: [{port: http, intervl: 30s}]}",
    ),
    (
        "prometheus-scrapeconfig",
        """
        apiVersion: monitoring.coreos.com/v1alpha1
        kind: ScrapeConfig
        metadata: {name: nodes}
        spec: {staticConfigs: [{targets: ['10.0.0.1:9100']}], metricsPath: /metrics}
        """,
        "spec: {staticConfigs: [{targets: ['10.0.0.1:9100']}], metricPath: /metrics}",
    ),
    (
        "openshift-route",  # the source describes spec's own fields, not what lies below them
        """
        apiVersion: route.openshift.io/v1
        kind: Route
        metadata: {name: web}
        spec: {to: {kind: Service, name: web}, port: {targetPort: http}, tls: {termination: edge}}
        """,
        "spec: {to: {kind: Service, name: web}, port: {targetPort: http}, tls: {termination: edge}, hostname: web}",
    ),
    (
        "olm-subscription",
        """
        apiVersion: operators.coreos.com/v1alpha1
        kind: Subscription
        metadata: {name: gitops, namespace: openshift-operators}
        spec: {channel: latest, name: openshift-gitops-operator, source: redhat-operators, sourceNamespace: openshift-marketplace}
        """,
        "spec: {channel: latest, name: openshift-gitops-operator, source: redhat-operators, sourceNamespce: x}",
    ),
    (
        "olm-operatorgroup",
        """
        apiVersion: operators.coreos.com/v1
        kind: OperatorGroup
        metadata: {name: og}
        spec: {targetNamespaces: [team-a]}
        """,
        "spec: {targetNamespaces: team-a}",
    ),
    (
        "kyverno-clusterpolicy",
        """
        apiVersion: kyverno.io/v1
        kind: ClusterPolicy
        metadata: {name: require-labels}
        spec:
          validationFailureAction: Audit
          rules:
            - name: check-team
              match: {any: [{resources: {kinds: [Pod]}}]}
              validate: {message: label team is required, pattern: {metadata: {labels: {team: "?*"}}}}
        """,
        "  background: maybe",
    ),
    (
        "velero-backup",
        """
        apiVersion: velero.io/v1
        kind: Backup
        metadata: {name: nightly, namespace: velero}
        spec: {includedNamespaces: [app], ttl: 720h0m0s}
        """,
        "spec: {includedNamespaces: [app], ttl: 720h0m0s, snapshotVolume: true}",
    ),
    (
        "gateway-httproute",
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web}
        spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}
        """,
        "spec: {parentRefs: [{name: gw}], rules: [{backendRef: [{name: web, port: 80}]}]}",
    ),
    (
        "istio-virtualservice",
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web}
        spec: {hosts: [web], http: [{route: [{destination: {host: web}}]}]}
        """,
        "spec: {hosts: web, http: [{route: [{destination: {host: web}}]}]}",
    ),
    (
        "traefik-ingressroute",
        """
        apiVersion: traefik.io/v1alpha1
        kind: IngressRoute
        metadata: {name: web}
        spec: {entryPoints: [websecure], routes: [{match: Host(`example.com`), kind: Rule, services: [{name: web, port: 80}]}]}
        """,
        "spec: {entryPoints: [websecure], routes: [{match: Host(`example.com`), kind: Rule, service: [{name: web}]}]}",
    ),
    (
        "keda-scaledobject",
        """
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: worker}
        spec: {scaleTargetRef: {name: worker}, triggers: [{type: cpu, metricType: Utilization, metadata: {value: "60"}}]}
        """,
        "spec: {scaleTargetRef: {name: worker}, triggers: [{type: cpu, metadata: {value: 60}}]}",
    ),
    (
        "argo-rollout",
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: web}
        spec:
          selector: {matchLabels: {app: web}}
          template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: 'nginx:1.27'}]}}
          strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}]}}
        """,
        "  strategy: {canary: {stepz: []}}",
    ),
    (
        "argo-rollout-workload-ref",  # scaleDown (Rollouts 1.6) is newer than the source: ADDED_FIELDS
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: web}
        spec:
          selector: {matchLabels: {app: web}}
          workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web, scaleDown: onsuccess}
          strategy: {canary: {steps: [{setWeight: 20}]}}
        """,
        "  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web, scaleDown: sometimes}",
    ),
    (
        "openshift-deploymentconfig",  # the source lacks DeploymentConfigSpec: only the top level is checked
        """
        apiVersion: apps.openshift.io/v1
        kind: DeploymentConfig
        metadata: {name: web}
        spec: {replicas: 1}
        """,
        "specs: {replicas: 1}",
    ),
]


def _docs(good: str, change: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The good document, and the same with `change` replacing the line of its key at its
    indentation (or added, for a misspelt key)."""
    good_text = textwrap.dedent(good).strip() + "\n"
    key = change.strip().split(":", 1)[0]
    lines = good_text.splitlines()
    indent = len(change) - len(change.lstrip())
    replaced = [line for line in lines if not (line.startswith(" " * indent + key + ":") and len(line) - len(line.lstrip()) == indent)]
    if len(replaced) == len(lines):  # a new key at that level (a typo'd field name)
        replaced = lines
    bad_text = "\n".join(replaced) + "\n" + change + "\n"
    return yaml.safe_load(good_text), yaml.safe_load(bad_text)


@pytest.mark.parametrize(("name", "good", "change"), CASES, ids=[c[0] for c in CASES])
def test_shipped_schema_passes_good_and_fails_a_mistake(name: str, good: str, change: str) -> None:
    registry = SchemaRegistry(None)
    good_doc, bad_doc = _docs(good, change)
    errors = registry.validate(good_doc)
    assert errors is not None, f"{name}: no schema shipped for {good_doc['apiVersion']} {good_doc['kind']}"
    assert [e.message for e in errors] == []
    bad_errors = registry.validate(bad_doc)
    assert bad_errors is not None and list(bad_errors), f"{name}: the mistake passed: {change.strip()}"
