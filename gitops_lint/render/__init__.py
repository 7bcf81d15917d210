"""The render stage: kustomize as Argo CD runs it (graph, build, cache, origins)."""
