"""Time `gitops-lint drift` on 50 Applications x 100 resources (5,000 objects).

    python bench/run_drift_bench.py [--apps 50] [--resources 100] [--mode api|snapshot|both]

API mode runs the real kubernetes client against the in-process API emulator of the test
suite (tests/drift/drift_emulator.py); snapshot mode reads the same objects from files.
Sources are plain directories, so the figures measure the audit, not kustomize. Prints total
time, API requests (which must follow kinds, not namespaces or objects) and the per-resource
compare cost. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitops_lint.drift.command import run_drift  # noqa: E402
from gitops_lint.drift.compare import compare  # noqa: E402
from gitops_lint.drift.options import DriftOptions  # noqa: E402
from tests.drift.drift_emulator import Emulator, serve, write_kubeconfig  # noqa: E402
from tests.drift.drift_fixtures import application, deployment, dump, edit, live_of, write  # noqa: E402


def _service(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}


def _configmap(name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"LOG_LEVEL": "info", "FEATURES": "a,b,c"}}


def build_estate(apps: int, per_app: int, server: str) -> tuple[dict[str, str], list[dict[str, Any]], list[tuple[dict[str, Any], dict[str, Any]]]]:
    """(repo files, live objects, desired/live pairs): 40% Deployments, 30% Services, 30% ConfigMaps."""
    files: dict[str, str] = {}
    live: list[dict[str, Any]] = []
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for a in range(apps):
        name, namespace = f"app-{a:02d}", f"team-{a:02d}"
        desired: list[dict[str, Any]] = []
        for r in range(per_app):
            kind = r % 10
            if kind < 4:
                doc = deployment(name=f"svc-{r}", namespace=namespace, image=f"repo/svc-{r}:v1",
                                 resources={"limits": {"cpu": "500m", "memory": "256Mi"}})
            elif kind < 7:
                doc = _service(f"svc-{r}", namespace)
            else:
                doc = _configmap(f"cfg-{r}", namespace)
            desired.append(doc)
            current = live_of(doc, app=name)
            if r % 20 == 0 and doc["kind"] == "Deployment":  # 5% hand edits
                edit(current, "/spec/template/spec/containers/0/image", f"repo/svc-{r}:hotfix")
            live.append(current)
            pairs.append((doc, current))
        live.append(live_of(_configmap("leftover", namespace), app=name))  # one Extra per app
        files[f"apps/{name}/all.yaml"] = dump(*desired)
        files[f"argocd/{name}.yaml"] = application(name, f"apps/{name}", namespace=namespace, server=server)
    return files, live, pairs


def _report(label: str, seconds: float, result: Any) -> None:
    summary = result.report.summary
    print(f"{label}: {seconds:.2f}s total, {summary.requests} API requests, {summary.applications} apps, "
          f"{summary.resources} resources ({summary.modified} modified, {summary.extra} extra), exit {result.exit_code}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--mode", choices=["api", "snapshot", "both"], default="both")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        if args.mode in ("api", "both"):
            with serve(Emulator()) as emulator:
                files, live, pairs = build_estate(args.apps, args.resources, emulator.url)
                emulator.add(*live)
                repo = write(base / "api-repo", files)
                kubeconfig = write_kubeconfig(base / "kubeconfig", {"bench": emulator.url})
                started = time.perf_counter()
                result = run_drift(DriftOptions(repo=repo, kubeconfig=kubeconfig, worktree=True))
                _report("api", time.perf_counter() - started, result)
                kinds = {o["kind"] for o in live}
                print(f"     rendered kinds = {len(kinds)}; requests = 2 discovery + one LIST each across every "
                      f"namespace (+ continue pages of 500)")
                emulator.requests.clear()
                started = time.perf_counter()
                result = run_drift(DriftOptions(repo=repo, kubeconfig=kubeconfig, worktree=True, extra_kinds="all"))
                _report("api --extra-kinds all", time.perf_counter() - started, result)
                served = emulator.resources
                namespaces = {o["metadata"]["namespace"] for o in live}
                namespaced = sum(1 for r in served if r.namespaced)
                other = namespaced - len(kinds)
                print(f"     every kind: {len(kinds)} rendered kinds + {other} other namespaced kinds x "
                      f"{len(namespaces)} namespaces + {len(served) - namespaced} cluster-scoped kinds + 2 discovery = "
                      f"{len(kinds) + other * len(namespaces) + len(served) - namespaced + 2} LISTs at most")
        if args.mode in ("snapshot", "both"):
            files, live, pairs = build_estate(args.apps, args.resources, "https://bench.example.com")
            repo = write(base / "snap-repo", files)
            listing = {"apiVersion": "v1", "kind": "List", "items": live}
            for fmt, text in (("json", json.dumps(listing)), ("yaml", dump(listing))):
                snapshot = base / f"snapshot-{fmt}" / "bench.example.com"
                snapshot.mkdir(parents=True)
                (snapshot / f"all.{fmt}").write_text(text)
                started = time.perf_counter()
                result = run_drift(DriftOptions(repo=repo, live_snapshot=snapshot.parent, worktree=True))
                _report(f"snapshot ({fmt})", time.perf_counter() - started, result)

        timings = []
        for desired, current in pairs:
            started = time.perf_counter()
            compare(desired, current, [])
            timings.append(time.perf_counter() - started)
        timings.sort()
        print(f"compare: {len(timings)} resources, mean {statistics.mean(timings) * 1e6:.0f} us, "
              f"p50 {timings[len(timings) // 2] * 1e6:.0f} us, p95 {timings[int(len(timings) * 0.95)] * 1e6:.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
