# The two commands of the README: `make run` and `make test`. Each bootstraps its own
# environment: uv (from PyPI, into .tools/ when it is not on the PATH), then the locked packages.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test env lint demo benchmarks

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

env: $(UV)
	$(UV) sync --frozen --quiet

run: env
	$(UV) run wuye migrate --no-input
	$(UV) run wuye load_demo
	$(UV) run wuye serve $(HOST):$(PORT)

lint: env
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	$(UV) run wuye makemigrations --check --dry-run

test: lint
	$(UV) run pytest

# Every `wuye bench` at a small scale, its JSON line checked (scripts/check_benches.py).
benchmarks: env
	$(UV) run python scripts/check_benches.py --scale 0.01
