"""credential_fields: which field values of an object are credentials, and masking them in place of quoting."""

from __future__ import annotations

from typing import Any

from gitops_lint.credential_fields import credential_values, mask_at, mask_credentials, mask_field


def _planted(*parts: str) -> str:
    return "".join(parts)  # split, so that this file does not itself look like it holds secrets


PASSWORD = _planted("Kq7w", "Zr3x", "Mv8n", "Tp2y")
OTHER = _planted("Jd4s", "Hb9c", "Lf6g", "Wn1e")


def _mask(value: str) -> str:
    return f"<{len(value)}>"  # says where a value was masked, never which


def _deployment(env: list[dict[str, Any]], args: list[str]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
            "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "nginx:1.27",
                                                           "args": args, "env": env}]}}}}


def test_env_entries_are_judged_by_their_name_and_strings_by_the_patterns() -> None:
    doc = _deployment(
        [{"name": "DB_PASSWORD", "value": PASSWORD}, {"name": "LOG_LEVEL", "value": "debug"},
         {"name": "API_TOKEN", "value": {"nested": OTHER}}],
        [f"--token={OTHER}", "--verbose", f"--db=postgres://app:{PASSWORD}@db.internal/app"],
    )
    container = mask_credentials(doc, _mask)["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "DB_PASSWORD", "value": "<16>"}, {"name": "LOG_LEVEL", "value": "debug"},
                                {"name": "API_TOKEN", "value": {"nested": "<16>"}}]
    assert container["args"] == ["--token=<16>", "--verbose", "--db=postgres://app:<16>@db.internal/app"]
    assert sorted(credential_values(doc)) == sorted([PASSWORD, OTHER, OTHER, PASSWORD])


def test_secret_data_is_masked_whole_and_descriptive_keys_stay() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "stringData": {"settings": OTHER, "port": 5432}}
    config = {"kind": "ConfigMap", "data": {"DB_PASSWORD": PASSWORD, "DB_HOST": "db.internal", "password": ""},
              "credentials": {"username": "app", "secretKey": OTHER}}
    assert mask_credentials(secret, _mask)["stringData"] == {"settings": "<16>", "port": "<4>"}
    masked = mask_credentials(config, _mask)
    assert masked["data"] == {"DB_PASSWORD": "<16>", "DB_HOST": "db.internal", "password": ""}
    assert masked["credentials"] == {"username": "app", "secretKey": "<16>"}


def test_nothing_to_mask_returns_the_same_objects_and_never_modifies_the_input() -> None:
    doc = _deployment([{"name": "LOG_LEVEL", "value": "debug"}], ["--verbose"])
    assert mask_credentials(doc, _mask) is doc
    leaky = {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"DB_PASSWORD": PASSWORD}}
    masked = mask_credentials(leaky, _mask)
    assert leaky["data"]["DB_PASSWORD"] == PASSWORD  # the input is untouched
    assert masked["metadata"] is leaky["metadata"]  # unchanged parts are shared


def test_one_field_is_masked_by_the_key_and_kind_above_it() -> None:
    doc = _deployment([{"name": "DB_PASSWORD", "value": PASSWORD}], [])
    env = ("spec", "template", "spec", "containers", 0, "env", 0)
    assert mask_field(doc, (*env, "value"), _mask) == "<16>"
    assert mask_field(doc, env, _mask) == {"name": "DB_PASSWORD", "value": "<16>"}
    assert mask_field(doc, ("metadata", "name"), _mask) == "api"
    assert mask_field(doc, ("spec", "nowhere"), _mask) is None
    secret = {"kind": "Secret", "data": {"any": OTHER}}
    assert mask_field(secret, ("data", "any"), _mask) == "<16>"
    values = {"credentials": {"username": "app", "secretKey": OTHER}}
    assert mask_field(values, ("credentials", "secretKey"), _mask) == "<16>"
    assert mask_field(values, ("credentials", "username"), _mask) == "app"


def test_a_value_is_masked_as_if_it_sat_at_a_path_of_another_document() -> None:
    """Drift shows the live value of a field by the git side's keys: `/…/env/0/value` pairs env
    entries by name, and a field only one side has still carries its own key name."""
    doc = _deployment([{"name": "DB_PASSWORD", "value": PASSWORD}], [])
    path = ["spec", "template", "spec", "containers", "0", "env", "0", "value"]
    assert mask_at(doc, path, OTHER, _mask) == "<16>"
    assert mask_at(doc, ["data", "API_TOKEN"], OTHER, _mask) == "<16>"
    assert mask_at(doc, ["data", "LOG_LEVEL"], "debug", _mask) == "debug"


def test_command_line_flags_are_judged_by_their_names_whatever_the_values_entropy() -> None:
    """`--token=tok-legacy-1` holds too little entropy for the text patterns; its flag's name
    says what it is. A secret-named flag written alone makes the next argument its value."""
    low = _planted("hunter", "2-arg")
    doc = _deployment([], [f"--token={low}", "--db-password", low, f"--api-key={low}", f"DB_PASSWORD={low}",
                           "--log-level=debug", "--config", "/etc/app.yaml", "--token=${TOKEN}", "--secret-name=db"])
    args = mask_credentials(doc, _mask)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["--token=<11>", "--db-password", "<11>", "--api-key=<11>", "DB_PASSWORD=<11>",
                    "--log-level=debug", "--config", "/etc/app.yaml", "--token=${TOKEN}", "--secret-name=db"]
    # One argument of a changed list, quoted alone (a drift change's git or live value).
    steps = ["spec", "template", "spec", "containers", 0, "args"]
    assert mask_at(doc, [*steps, 2], low, _mask) == "<11>"
    assert mask_at(doc, [*steps, "3"], f"--api-key={low}", _mask) == "--api-key=<11>"
    assert mask_at(doc, [*steps, 6], "--config", _mask) == "--config"
    assert credential_values(doc).__next__() == low


def test_flags_inside_a_shell_command_and_in_a_charts_extra_args_are_masked() -> None:
    low = _planted("hunter", "2-arg")
    shell = {"spec": {"containers": [{"name": "a", "command": [
        "sh", "-c", f"exec app --token={low} --db-password {low} --log-level=info"]}]}}
    assert mask_credentials(shell, _mask)["spec"]["containers"][0]["command"][2] == (
        "exec app --token=<11> --db-password <11> --log-level=info")
    release = {"kind": "HelmRelease", "spec": {"values": {"extraArgs": ["--token", low, {"password": low}]}}}
    assert mask_credentials(release, _mask)["spec"]["values"]["extraArgs"] == ["--token", "<11>", {"password": "<11>"}]
    steps = ["spec", "containers", 0, "command", 2]
    assert mask_at(shell, steps, f"exec app --token={low}", _mask) == "exec app --token=<11>"


def test_an_argo_cd_secrets_descriptive_keys_are_readable_and_its_credentials_masked() -> None:
    # A cluster's `name` names every Application its cluster generator makes; its token is masked.
    data = {"name": "prod-eu", "server": "https://prod-eu.example.com", "password": PASSWORD,
            "url": f"https://bob:{OTHER}@git.example.com/config.git"}
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "prod-eu", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
              "stringData": data}
    shown = {"name": "prod-eu", "server": "https://prod-eu.example.com", "password": "<16>",
             "url": "https://bob:<16>@git.example.com/config.git"}
    assert mask_credentials(secret, _mask)["stringData"] == shown
    assert mask_at(secret, ["stringData"], data, _mask) == shown
    assert [mask_at(secret, ["stringData", key], value, _mask) for key, value in data.items()] == list(shown.values())
    assert sorted(credential_values(secret)) == sorted([PASSWORD, OTHER])
    # Without the label, a Secret's values are all masked whole, its name too.
    plain = {**secret, "metadata": {"name": "prod-eu"}}
    assert mask_credentials(plain, _mask)["stringData"]["name"] == "<7>"
    assert mask_at(plain, ["stringData", "name"], "prod-eu", _mask) == "<7>"
