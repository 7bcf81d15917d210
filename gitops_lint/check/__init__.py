"""The `check` pipeline's stage drivers: the top of the engine, above the libraries they drive.

    options   what a run was asked (CheckOptions) and answers (CheckResult)
    run       the pipeline, in order; joins what each stage said (Emitted) in stage order
    load      config, files, focus, YAML, layout, resources -> Loaded   (sources: the loaders)
    render    every deployed source through its Renderer -> RenderStageResult (with the focus;
              render_output: the stage's builder, helm: the Helm step)
    results   StageFindings, what each later stage returns
    scope     the focus of an incremental run, and what it keeps of any stage's findings
    evaluate  every rule over what is in scope: the engine decides it, no rule reads the focus
    history   secrets in git history (--history)
    suppress  directives, exemptions, aggregation, hidden directories; config levels
    baseline  known secrets
    redact    no secret value in any message

Nothing below this package imports from it (tests/test_layers.py).
"""

from gitops_lint.check.evaluate import evaluate_rules
from gitops_lint.check.load import prepare_context
from gitops_lint.check.options import (
    CheckOptions,
    CheckResult,
    IndexCopy,
    check_rule_ids,
    effective_config,
    resolve_root,
)
from gitops_lint.check.run import run_check

__all__ = [
    "CheckOptions",
    "CheckResult",
    "IndexCopy",
    "check_rule_ids",
    "effective_config",
    "evaluate_rules",
    "prepare_context",
    "resolve_root",
    "run_check",
]
