"""Which environment a file or a directory of the estate is in, each answered once per run.

`gitops_lint/environments.py` resolves one document or path (config selectors, what an
Application deploys, the environment directory). The estate asks it once for each Application
and Flux Kustomization as it is built (their `environment`); this index answers what rules and
stages ask many times about files and directories, from the same resolver and from what the
estate knows deploys each directory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gitops_lint.config import Config
from gitops_lint.environments import (
    deployed_environment,
    environment_from_path,
    is_production,
    resolve_environment,
)


@dataclass(frozen=True, eq=False, repr=False)
class EnvironmentIndex:
    config: Config
    # Repo directory → the environments of the Applications (committed and generated) deploying it.
    deployed: Mapping[str, frozenset[str | None]] = field(default_factory=dict)
    # AppProject name → (name, environment, metadata.namespace) of each Application (committed and
    # generated) in it.
    hosted: Mapping[str, tuple[tuple[str, str | None, str | None], ...]] = field(default_factory=dict)
    _files: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    _named: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def of_file(self, path: str) -> str | None:
        """A file's environment: the config selector matching its path, else its environment directory."""
        if path not in self._files:
            self._files[path] = resolve_environment(self.config, path)
        return self._files[path]

    def directory_named(self, path: str) -> str | None:
        """The environment directory nearest `path`, by its name alone (`overlays/prod`, a
        configured environment name): what a directory says, whatever deploys it."""
        if path not in self._named:
            self._named[path] = environment_from_path(path, self.config)
        return self._named[path]

    def deployed_as(self, directory: str) -> str | None:
        """The environment the Applications deploying `directory` agree on, when they agree."""
        found = set(self.deployed.get(directory, ())) - {None}
        return found.pop() if len(found) == 1 else None

    def of_directory(self, directory: str) -> str | None:
        """The environment a directory is: the one its name says, else the one the Applications
        deploying it agree on (`overlays/aks` deployed only by production Applications)."""
        return self.directory_named(directory + "/") or self.deployed_as(directory)

    def of_project(self, project: str, own: str | None) -> str | None:
        """An AppProject's environment: its own (its name, a config selector) when production,
        else production when any Application it hosts is (a project hosting staging and
        production Applications is as production as a file both deploy), else its own."""
        if is_production(own):
            return own
        hosted = [environment for _name, environment, _ in self.hosted.get(project, ()) if is_production(environment)]
        return deployed_environment(hosted) or own

    def production_applications_of(
        self, project: str, covers: Callable[[str, str | None], bool] = lambda _name, _namespace: True
    ) -> list[str]:
        """The production Applications an AppProject hosts, by name; with `covers`, only those it
        accepts by (name, metadata.namespace): an RBAC grant's object naming some of them."""
        return sorted({
            name
            for name, environment, namespace in self.hosted.get(project, ())
            if is_production(environment) and covers(name, namespace)
        })  # fmt: skip
