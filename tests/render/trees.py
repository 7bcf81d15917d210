"""Small config repos the render tests build on."""

from __future__ import annotations

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: nginx:1.27
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports:
    - port: 80
"""


def two_apps() -> dict[str, str]:
    """web (base + production + staging, multi-document base file) and api (base + production)."""
    return {
        "apps/web/base/kustomization.yaml": (
            "resources:\n  - web.yaml\n"
            "configMapGenerator:\n  - name: web-config\n    literals:\n      - LOG_LEVEL=info\n"
        ),
        "apps/web/base/web.yaml": SERVICE.format(name="web") + "---\n" + DEPLOYMENT.format(name="web"),
        "apps/web/overlays/production/kustomization.yaml": (
            "namespace: production\nresources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n"
        ),
        "apps/web/overlays/production/replicas.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"
        ),
        "apps/web/overlays/staging/kustomization.yaml": "namespace: staging\nresources:\n  - ../../base\n",
        "apps/api/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "apps/api/base/deployment.yaml": DEPLOYMENT.format(name="api"),
        "apps/api/overlays/production/kustomization.yaml": "namespace: production\nresources:\n  - ../../base\n",
    }
