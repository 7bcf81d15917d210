"""Rendering: the Renderer protocol and its registry (renderer.py, registry.py), kustomize and plain directories as implementations, the kustomization graph, build cache and origins."""
