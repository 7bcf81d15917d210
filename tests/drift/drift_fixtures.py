"""Builders for drift tests: Git manifests, and live objects shaped like a real API server's."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import yaml

_KEYED = {"containers": ("name",), "env": ("name",), "volumes": ("name",), "ports": ("containerPort", "port"),
          "volumeMounts": ("mountPath",)}


def fields_v1(doc: Any, name: str = "") -> Any:
    """The fieldsV1 trie that owning every field of `doc` would produce."""
    if isinstance(doc, dict):
        return {f"f:{key}": fields_v1(value, key) for key, value in doc.items()}
    if isinstance(doc, list) and name in _KEYED and all(isinstance(i, dict) for i in doc):
        out = {}
        for item in doc:
            key = next(k for k in _KEYED[name] if k in item)
            out["k:" + json.dumps({key: item[key]}, separators=(",", ":"))] = {".": {}, **fields_v1(item)}
        return out
    return {}


def entry(manager: str, owned: dict[str, Any], operation: str = "Update", time: str = "2026-11-20T10:00:00Z",
          subresource: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"manager": manager, "operation": operation, "apiVersion": "v1", "time": time,
                            "fieldsType": "FieldsV1", "fieldsV1": fields_v1(owned)}
    if subresource:
        data["subresource"] = subresource
    return data


def deployment(name: str = "api", namespace: str = "prod", image: str = "repo/api:v1", replicas: int = 2,
               **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image, **container}]},
            },
        },
    }


def live_of(desired: dict[str, Any], app: str | None = "api-prod", generation: int = 3,
            status: dict[str, Any] | None = None, manager: str = "argocd-controller") -> dict[str, Any]:
    """What the API server returns after Argo CD applied `desired`: defaults, status, bookkeeping."""
    live = copy.deepcopy(desired)
    meta = live["metadata"]
    meta.update({"uid": "0b5e6c1e-1111-4f4f-9c9c-123456789abc", "resourceVersion": "48211",
                 "generation": generation, "creationTimestamp": "2026-11-01T09:00:00Z"})
    if app:
        meta.setdefault("labels", {})["app.kubernetes.io/instance"] = app
    meta.setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(desired)
    kind = live["kind"]
    if kind == "Deployment":
        spec = live["spec"]
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        template = spec["template"]
        template["metadata"]["creationTimestamp"] = None
        pod = template["spec"]
        pod.update({"dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                    "securityContext": {}, "terminationGracePeriodSeconds": 30})
        for container in pod["containers"]:
            container.setdefault("imagePullPolicy", "IfNotPresent")
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            container.setdefault("resources", {})
        meta["annotations"]["deployment.kubernetes.io/revision"] = "3"
        replicas = spec.get("replicas", 1)
        live["status"] = status if status is not None else {
            "observedGeneration": generation, "replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas,
            "conditions": [{"type": "Available", "status": "True"},
                           {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}],
        }
    elif kind == "Service":
        spec = live["spec"]
        spec.update({"clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"], "ipFamilies": ["IPv4"],
                     "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster"})
        spec.setdefault("type", "ClusterIP")
        for port in spec.get("ports", []):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port["port"])
        live["status"] = status if status is not None else {"loadBalancer": {}}
    elif status is not None:
        live["status"] = status
    meta["managedFields"] = [
        entry(manager, {k: v for k, v in desired.items() if k not in ("apiVersion", "kind")}, "Apply",
              "2026-11-01T09:00:00Z"),
        entry("kube-controller-manager", {"status": live.get("status", {})}, "Update", "2026-11-01T09:01:00Z",
              subresource="status"),
    ]
    return live


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    node: Any = doc
    steps = [int(s) if s.isdigit() else s for s in path.strip("/").split("/")]
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value


def edit(live: dict[str, Any], path: str, value: Any, manager: str = "kubectl-edit",
         time: str = "2026-11-24T21:17:05Z", subresource: str | None = None) -> dict[str, Any]:
    """A hand edit: `path` takes `value`, and ownership of it moves to `manager`."""
    set_path(live, path, value)
    trie: dict[str, Any] = {}
    cursor, source = trie, live
    for step in [int(s) if s.isdigit() else s for s in path.strip("/").split("/")]:
        if isinstance(step, int):  # list items are named by their merge key
            source = source[step]
            cursor = cursor.setdefault("k:" + json.dumps({"name": source["name"]}, separators=(",", ":")), {})
        else:
            source = source[step] if isinstance(source, dict) else None
            cursor = cursor.setdefault(f"f:{step}", {})
    entry_data: dict[str, Any] = {"manager": manager, "operation": "Update", "apiVersion": "apps/v1",
                                  "time": time, "fieldsType": "FieldsV1", "fieldsV1": trie}
    if subresource:
        entry_data["subresource"] = subresource
    live["metadata"]["managedFields"].append(entry_data)
    return live


def dump(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(list(docs), sort_keys=False)


def application(name: str, path: str, namespace: str = "prod", server: str = "https://prod.example.com",
                revision: str = "HEAD", extra_spec: str = "") -> str:
    text = f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: {name}
          namespace: argocd
        spec:
          project: default
          source:
            repoURL: https://example.com/config.git
            targetRevision: {revision}
            path: {path}
          destination:
            server: {server}
            namespace: {namespace}
        """
    # extra_spec holds more `spec:` keys
    return textwrap.dedent(text).lstrip() + textwrap.indent(textwrap.dedent(extra_spec).lstrip("\n"), "  ")


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return root
