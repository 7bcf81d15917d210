"""Generate a synthetic config repo in the seed's layout, for benchmarks.

apps/<app>/base (a Deployment, Service, HPA and `--resources` more documents),
apps/<app>/overlays/<env> (kustomization + replicas patch), argocd-apps/<app>-<env>.yaml
(Argo CD Applications), projects/, infrastructure/, CODEOWNERS.

    python bench/generate_repo.py OUT [--apps 320] [--envs staging,production,dev] [--resources 22]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  labels:
    app: {app}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {app}
  template:
    metadata:
      labels:
        app: {app}
    spec:
      containers:
        - name: {app}
          image: registry.example.com/{app}:v1.{n}.0
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              cpu: 500m
              memory: 256Mi
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8080
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {app}
spec:
  selector:
    app: {app}
  ports:
    - port: 80
      targetPort: 8080
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {app}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {app}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config-{i}
data:
  LOG_LEVEL: info
  FEATURE_{i}: "true"
  TIMEOUT_SECONDS: "30"
"""

SERVICE_ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}-sa-{i}
"""

NETWORK_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}-netpol-{i}
spec:
  podSelector:
    matchLabels:
      app: {app}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              role: frontend
      ports:
        - protocol: TCP
          port: 8080
"""

EXTRA_KINDS = (CONFIGMAP, SERVICE_ACCOUNT, NETWORK_POLICY)

OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {env}
resources:
  - ../../base
patches:
  - path: replicas.yaml
"""

REPLICAS_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
spec:
  replicas: {replicas}
"""

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {app}-{env}
  namespace: argocd
spec:
  project: {env}
  source:
    repoURL: https://github.com/example/gitops-config.git
    targetRevision: {revision}
    path: apps/{app}/overlays/{env}
  destination:
    server: https://{env}.example.com
    namespace: {env}
  syncPolicy:
    automated:
      prune: {prune}
      selfHeal: true
    retry:
      limit: 5
      backoff:
        duration: 5s
        factor: 2
        maxDuration: 3m
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers:
        - /spec/replicas
"""

PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: {env}
  namespace: argocd
spec:
  sourceRepos:
    - https://github.com/example/gitops-config.git
  destinations:
    - server: https://{env}.example.com
      namespace: {env}
"""


def generate(out: Path, apps: int, envs: list[str], resources: int) -> int:
    """Write the repo; returns the number of YAML documents written."""
    if out.exists():
        shutil.rmtree(out)
    documents = 0
    (out / "argocd-apps").mkdir(parents=True)
    (out / "projects").mkdir()
    (out / "CODEOWNERS").write_text("* @example/platform\n", encoding="utf-8")
    for env in envs:
        (out / "projects" / f"{env}.yaml").write_text(PROJECT.format(env=env), encoding="utf-8")
        documents += 1
    for n in range(apps):
        app = f"app-{n:04d}"
        base = out / "apps" / app / "base"
        base.mkdir(parents=True)
        files = {"deployment.yaml": DEPLOYMENT, "service.yaml": SERVICE, "hpa.yaml": HPA}
        for i in range(max(0, resources - len(files))):
            files[f"extra-{i:02d}.yaml"] = EXTRA_KINDS[i % len(EXTRA_KINDS)]
        for name, template in files.items():
            (base / name).write_text(template.format(app=app, n=n, i=name[6:8]), encoding="utf-8")
        documents += len(files)
        listing = "".join(f"  - {name}\n" for name in files)
        (base / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"labels:\n  - pairs:\n      app.kubernetes.io/part-of: {app}\nresources:\n{listing}",
            encoding="utf-8",
        )
        documents += 1
        for env in envs:
            overlay = out / "apps" / app / "overlays" / env
            overlay.mkdir(parents=True)
            (overlay / "kustomization.yaml").write_text(OVERLAY.format(env=env), encoding="utf-8")
            replicas = 5 if env == "production" else 2
            (overlay / "replicas.yaml").write_text(
                REPLICAS_PATCH.format(app=app, replicas=replicas), encoding="utf-8"
            )
            production = env == "production"
            (out / "argocd-apps" / f"{app}-{env}.yaml").write_text(
                APPLICATION.format(
                    app=app,
                    env=env,
                    revision="release/v1.2" if production else "main",
                    prune="false" if production else "true",
                ),
                encoding="utf-8",
            )
            documents += 3
    return documents


GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env={**os.environ, **GIT_ENV},
                   capture_output=True)


def generate_committed(out: Path, apps: int, envs: list[str], resources: int) -> int:
    """`generate`, then the repo as one commit: the benches that edit a file and diff or stage it."""
    documents = generate(out, apps, envs, resources)
    git(out, "init", "-q", "-b", "main")
    git(out, "add", "-A")
    git(out, "commit", "-qm", "synthetic config repo")
    return documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--apps", type=int, default=320)
    parser.add_argument("--envs", default="staging,production,dev")
    parser.add_argument("--resources", type=int, default=22, help="documents per app base")
    args = parser.parse_args()
    count = generate(args.out, args.apps, args.envs.split(","), args.resources)
    print(f"wrote {count} documents to {args.out}")


if __name__ == "__main__":
    main()
