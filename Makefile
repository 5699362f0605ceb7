# Two commands for a new user: `make demo` (the instrument on the shipped default) and
# `make test`.  Both bootstrap uv (into .tools/ when it is not on PATH), the venv and packages.

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_PREFERENCE ?= system

.PHONY: demo test bench sync clean

.tools/bin/uv:
	@echo "uv not found: installing it into .tools/ (python3 -m venv + pip)"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

sync: .venv/.synced

demo: .venv/.synced
	$(UV) run --frozen latent-resonance demo

test: .venv/.synced
	$(UV) run --frozen pytest

bench: .venv/.synced
	for b in benchmarks/*_bench.py; do $(UV) run --frozen python $$b || exit 1; done

clean:
	rm -rf .venv .tools .pytest_cache
