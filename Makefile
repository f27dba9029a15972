# One command per habit; CI runs the same ones.
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: install run test lint fmt docs bench simulate reconcile

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

docs: install  ## regenerate docs/asyncapi.json from the contracts
	$(UV) run --no-sync python -c "from opd_shared.asyncapi import asyncapi_json; \
	from opd_shared.settings import ServiceSettings as S; \
	open('docs/asyncapi.json', 'w').write(asyncapi_json(S().topology) + '\\n')"

bench: install  ## the morning-rush benchmark (see BENCHMARKS.md)
	$(UV) run --no-sync python -m opd_ops.bench $(ARGS)

reconcile: install  ## compare the allocator with both read models
	$(UV) run --no-sync python -m opd_ops.reconcile --wait 30

simulate: install  ## a whole OPD day through the public API, checked against analytics
	$(UV) run --no-sync python -m opd_ops.simulate $(ARGS)
