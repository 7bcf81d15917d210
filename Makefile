# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2

.PHONY: demo test install install-test lint typecheck policy-test bench bench-detail corpus lock readme rules-doc docs-site clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[helm]'
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Exit 1 means "findings" (the example has a few on purpose); only 2 is a failure of the demo.
demo: $(VENV)/.installed
	$(BIN)/gitops-lint check examples/gitops-config; status=$$?; \
	if [ $$status -eq 2 ]; then exit 2; fi; \
	echo "(exit code $$status: 1 means findings; docs/demo.md walks through them)"

test: install-test
	$(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/ruff check gitops_lint tests bench
	$(BIN)/mypy
	$(BIN)/gitops-lint policy test

lint: install-test
	$(BIN)/ruff check gitops_lint tests bench

typecheck: install-test
	$(BIN)/mypy

policy-test: install
	$(BIN)/gitops-lint policy test

# One table of the speed figures against their targets (docs/performance.md); bench-detail
# runs each area's own bench with its breakdown.
bench: install-test
	$(BIN)/python bench/summary.py

bench-detail: install-test
	$(BIN)/python bench/run_check_bench.py
	$(BIN)/python bench/run_render_bench.py
	$(BIN)/python bench/run_hook_bench.py
	$(BIN)/python bench/run_drift_bench.py
	$(BIN)/python bench/run_diff_bench.py
	$(BIN)/python bench/helm_corpus.py --charts tests/data/helm
	$(BIN)/python bench/appset_coverage.py

# Re-count findings per rule on the real-world corpus into docs/precision.md (keeps the
# hand-kept checked/true columns; needs ../shared/corpus or GITOPS_LINT_CORPUS).
corpus: install
	$(BIN)/python bench/corpus_precision.py --update docs/precision.md

# The GitHub Action's hash-pinned dependencies (requirements/action.lock), from pyproject.toml;
# tests/integration/test_action.py checks the lock still covers every runtime dependency.
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-header \
	  --no-emit-index-url --no-emit-find-links -o requirements/action.lock pyproject.toml requirements/action.in
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-header --extra drift \
	  --no-emit-index-url --no-emit-find-links -o requirements/image.lock pyproject.toml requirements/image.in

# Regenerate the rule table of docs/rules.md from the registry (tests/test_readme.py checks it).
# `readme` is the old name, kept because the habit is "change a rule's metadata, run make readme".
rules-doc readme: install
	$(BIN)/python -c "from pathlib import Path; from gitops_lint.catalog import update_rules_table; update_rules_table(Path('docs/rules.md'))"

# The docs/ pages as a static site in build/site (offline; the tests build it strictly too).
docs-site: install-test
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) .gitops-lint-cache build dist *.egg-info
