# One command per habit; CI runs the same ones.
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: install run test lint fmt

$(UV):
	python3 -m pip install --quiet uv || python3 -m pip install --quiet --user uv

install: $(UV)
	$(UV) sync --frozen

run: install
	$(UV) run --no-sync python deploy/preflight.py
	exec $(UV) run --no-sync honcho -f deploy/Procfile -d . start

test: install
	$(UV) run --no-sync pytest

lint: install
	$(UV) run --no-sync ruff check .

fmt: install
	$(UV) run --no-sync ruff format .
	$(UV) run --no-sync ruff check --fix .
