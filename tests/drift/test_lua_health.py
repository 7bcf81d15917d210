"""Custom Lua health checks from argocd-cm, run in an embedded Lua 5.1 sandbox."""

from __future__ import annotations

import time
from pathlib import Path

from gitops_lint.drift.lua_health import run_health_script
from tests.conftest import run_cli
from tests.drift.drift_fixtures import application, dump, live_of, write

# The shape of Argo CD's documented example (docs/operator-manual/health.md): read status
# conditions, return a table.
CERTIFICATE_CHECK = """
hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for i, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" and condition.status == "False" then
      hs.status = "Degraded"
      hs.message = condition.message
      return hs
    end
    if condition.type == "Ready" and condition.status == "True" then
      hs.status = "Healthy"
      hs.message = condition.message
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for certificate"
return hs
"""


def _cert(status: str, message: str = "") -> dict[str, object]:
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "tls", "namespace": "prod"},
            "spec": {"secretName": "tls"},
            "status": {"conditions": [{"type": "Issuing", "status": "True"},
                                      {"type": "Ready", "status": status, "message": message}]}}


def test_script_reads_the_object_and_lists_are_one_based() -> None:
    health = run_health_script(CERTIFICATE_CHECK, _cert("True", "issued"))
    assert (health.status, health.message) == ("Healthy", "issued")


def test_verdicts_and_failures() -> None:
    assert run_health_script(CERTIFICATE_CHECK, _cert("False", "expired")).status == "Degraded"
    assert run_health_script(CERTIFICATE_CHECK, {"kind": "Certificate"}).status == "Progressing"
    assert run_health_script("return {status = 'Fine'}", {}).status == "Unknown"
    broken = run_health_script("return obj.status.nothing.here", {})
    assert broken.status == "Unknown" and "custom health check failed" in broken.message
    assert run_health_script("this is not lua", {}).status == "Unknown"


def test_sandbox_has_no_way_out() -> None:
    for script in ("return {status = io.open('/etc/passwd') and 'Healthy'}",
                   "os.execute('true') return {status='Healthy'}",
                   "return {status = python.eval('1') and 'Healthy'}",
                   "require('os') return {status='Healthy'}"):
        assert run_health_script(script, {}).status == "Unknown", script


def test_a_looping_or_greedy_script_is_stopped() -> None:
    started = time.perf_counter()
    looping = run_health_script("while true do end", {})
    assert looping.status == "Unknown" and "too long" in looping.message
    assert time.perf_counter() - started < 5
    assert run_health_script("local s = 'x' while true do s = s .. s end", {}).status == "Unknown"


def test_argocd_cm_health_check_sets_resource_and_app_health(tmp_path: Path) -> None:
    cert = _cert("False", "certificate expired")
    argocd_cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm", "namespace": "argocd"},
                 "data": {"resource.customizations.health.cert-manager.io_Certificate": CERTIFICATE_CHECK}}
    repo = write(tmp_path / "repo", {"apps/api/c.yaml": dump({k: v for k, v in cert.items() if k != "status"}),
                                     "argocd/app.yaml": application("api-prod", "apps/api"),
                                     "argocd/argocd-cm.yaml": dump(argocd_cm)})
    live = tmp_path / "live" / "prod.example.com"
    live.mkdir(parents=True)
    (live / "o.yaml").write_text(dump(live_of({k: v for k, v in cert.items() if k != "status"},
                                              status=cert["status"])))  # type: ignore[arg-type]
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json")
    import json

    [app] = json.loads(result.stdout)["applications"]
    [resource] = app["resources"]
    assert (app["sync"], app["health"], resource["health"]) == ("Synced", "Degraded", "Degraded")
