"""Redacted labels: a keyed hash that no word list can be checked against, a prefix only for public token formats."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys

from gitops_lint.credentials import credential_spans, scan_text
from gitops_lint.redaction import Redactor, encoded_forms, label


def _fake(*parts: str) -> str:
    return "".join(parts)


PASSWORD = _fake("Label-", "Pw-", "9Tq4Zr")
AWS_KEY = _fake("AK", "IA", "LABELTEST234567Z")
GITHUB = _fake("gh", "p_", "LabelTest0123456789abcdefghijLabelTe")


def test_password_label_shows_no_character_of_the_value() -> None:
    shown = label(PASSWORD)
    assert PASSWORD[:4] not in shown and PASSWORD[-4:] not in shown
    assert shown.startswith("[redacted hmac:")


def test_label_is_not_an_unkeyed_hash() -> None:
    shown = label(PASSWORD).split("hmac:")[1].rstrip("]")
    for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5):
        assert shown not in digest(PASSWORD.encode()).hexdigest()


def test_equal_values_share_a_label_within_a_run_but_not_across_runs() -> None:
    assert label(PASSWORD) == label(PASSWORD)
    assert label(PASSWORD) != label(PASSWORD + "x")
    code = f"from gitops_lint.redaction import label; print(label({PASSWORD!r}))"
    other_run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other_run.startswith("[redacted hmac:") and other_run != label(PASSWORD)


def test_token_formats_with_a_public_prefix_keep_only_that_prefix() -> None:
    hits = {hit.pattern.id: hit for hit in scan_text(f"aws_key: {AWS_KEY}\nGITHUB: {GITHUB}\n")}
    assert hits["aws-access-key-id"].label.endswith(f"[{AWS_KEY[:4]}… hmac:{label(AWS_KEY).split('hmac:')[1]}")
    assert f"[{GITHUB[:4]}…" in hits["github-token"].label
    assert GITHUB[4:12] not in hits["github-token"].label


def test_assignment_hits_show_no_prefix() -> None:
    (hit,) = scan_text(f"db_password: {PASSWORD}\n")
    assert "[redacted hmac:" in hit.label and PASSWORD[:4] not in hit.label


def test_redactor_scrubs_known_values_and_their_base64() -> None:
    redactor = Redactor()
    redactor.add(PASSWORD)
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    assert encoded in encoded_forms(PASSWORD)
    text = f"error: literal TOKEN={PASSWORD} and data {encoded}"
    scrubbed = redactor.scrub(text)
    assert PASSWORD not in scrubbed and encoded not in scrubbed
    assert scrubbed.startswith("error: literal TOKEN=[redacted hmac:")


def test_short_known_values_are_scrubbed_only_as_words() -> None:
    redactor = Redactor()
    redactor.add("admin")
    assert redactor.scrub("ClusterRole administrator; password admin.") == (
        f"ClusterRole administrator; password {label('admin')}."
    )


def test_narrowed_redactor_keeps_only_values_present_and_still_scrubs_them() -> None:
    redactor = Redactor()
    absent = _fake("Absent-", "Value-", "3Kp8")
    redactor.add(PASSWORD)
    redactor.add(absent)
    messages = ["nothing here", f"kustomize: bad literal {PASSWORD}"]
    narrowed = redactor.narrowed_to(messages)
    assert 0 < len(narrowed) < len(redactor)
    assert narrowed.scrub(messages[1]) == f"kustomize: bad literal {label(PASSWORD)}"
    assert narrowed.scrub(f"x {absent}") == f"x {absent}"  # not in any message: not searched for


def test_a_password_quoted_as_a_yaml_anchor_name_is_a_credential_span() -> None:
    """kustomize reports `password: *Hq...` as `unknown anchor 'Hq...' referenced`; an anchor
    name that reads as a word stays."""
    password = "".join(("Ak3d", "Wz8q", "Pv5n", "Xr2m"))
    message = f"MalformedYAMLError: yaml: unknown anchor '{password}' referenced in File: s.yaml"
    [(start, end)] = credential_spans(message)
    assert message[start:end] == password
    assert credential_spans("yaml: unknown anchor 'defaults' referenced") == []


def test_an_env_entry_written_out_as_text_is_a_credential_span() -> None:
    """`{name: DB_PASSWORD, value: ...}` as YAML lines, JSON, a flow map or kustomize's quote of a
    patch (`\\n` escapes): the value is a span; a harmless entry's and a reference's are not."""
    value = "".join(("Nv6t", "Qe3r", "Wb8y", "Lk1u"))
    texts = (
        f"- name: DB_PASSWORD\n  value: {value}\n",
        f'{{"name":"DB_PASSWORD","value":"{value}"}}',
        f"{{name: API_TOKEN, value: {value}}}",
        f"env:\\n            - name: DB_PASSWORD\\n              value: {value}\\n           bad: indent",
    )
    for text in texts:
        assert [text[start:end] for start, end in credential_spans(text)] == [value], text
    assert credential_spans(f"- name: LOG_LEVEL\n  value: {value}\n") == []
    assert credential_spans("- name: DB_PASSWORD\n  valueFrom: {secretKeyRef: {name: db, key: password}}\n") == []
