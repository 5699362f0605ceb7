# Two commands for a new user: `make demo` (the instrument on the shipped default) and
# `make test`.  Both bootstrap uv (into .tools/ when it is not on PATH), the venv and packages:
# `demo` the runtime alone (no torch), `test` everything (the train extra and the dev tools).

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_PREFERENCE ?= system

.PHONY: demo test bench sync clean

.tools/bin/uv:
	@echo "uv not found: installing it into .tools/ (python3 -m venv + pip)"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# --inexact: a `make demo` after `make test` keeps what the tests installed
.venv/.synced-runtime: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --no-dev --inexact --compile-bytecode
	@touch $@

.venv/.synced-all: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode
	@touch $@ .venv/.synced-runtime

sync: .venv/.synced-all

demo: .venv/.synced-runtime
	$(UV) run --frozen --no-sync latent-resonance demo

test: .venv/.synced-all
	$(UV) run --frozen --no-sync pytest

bench: .venv/.synced-all
	for b in benchmarks/*_bench.py; do $(UV) run --frozen --no-sync python $$b || exit 1; done

clean:
	rm -rf .venv .tools .pytest_cache
