"""Manifests tests build their repos from: one well-formed workload, with the knobs tests turn."""

from __future__ import annotations


def deployment(image: str = "nginx:1.27", *, name: str = "web", probe: bool = True) -> str:
    """A Deployment with one container named like it, requests and limits and (unless `probe`
    is False) a readiness probe: the workload rules find nothing in it but what `image` brings."""
    probe_line = "          readinessProbe: {httpGet: {path: /, port: 80}}\n" if probe else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
        f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n"
        f"      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n"
        f"          image: {image}\n{probe_line}          resources:\n"
        "            requests: {cpu: 10m, memory: 16Mi}\n            limits: {cpu: 100m, memory: 64Mi}\n"
    )
