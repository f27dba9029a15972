# One command per habit; CI runs the same ones.
# uv from PATH, or else the copy pip installs for python3: pip puts its `uv` command where
# PATH may not look (a pyenv shim appears only after a rehash), but `python3 -m uv` runs it.
UV := $(or $(shell command -v uv 2>/dev/null),python3 -m uv)

# The interpreter: the distribution's Python 3.11 where the machine has one. Debian links the
# interpreter into its executable and builds it with profile-guided optimisation, as the
# python:3.11-slim image the services ship in is built; pyenv's Pythons, first on PATH on
# this machine kind, load it from a shared library built without (their CONFIG_ARGS say
# --enable-shared, no --enable-optimizations): pure Python took ~12% more CPU on pyenv's
# 3.11.7, the services 2-8% (BENCHMARKS.md, "The interpreter"). UV_PYTHON chooses another.
DISTRIBUTION_PYTHON := $(wildcard /usr/bin/python3.11)
ifneq ($(DISTRIBUTION_PYTHON),)
export UV_PYTHON ?= $(DISTRIBUTION_PYTHON)
endif

.PHONY: install run test test-newer-python lint fmt docs bench simulate reconcile purge cluster \
	cluster-down test-cluster

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --user uv
	$(UV) sync --frozen

run: install
	$(UV) run --no-sync python deploy/preflight.py
	exec $(UV) run --no-sync honcho -f deploy/Procfile -d . start

# Most tests wait on sockets, not the CPU, so two cores carry three workers; each module stays
# on one worker (--dist loadfile) because its fixtures start whole systems. Two kinds run
# alone, afterwards: the fault tests stop and start this machine's RabbitMQ and PostgreSQL,
# and the broker floor measures the broker's own CPU (beside other tests' traffic it was
# seen waiting minutes for its last messages, and after the faults restarted the broker too).
TEST_WORKERS ?= 3
ALONE := ops/tests/test_broker_floor.py tests/faults

test: install
	$(UV) run --no-sync pytest -n $(TEST_WORKERS) --dist loadfile \
		$(addprefix --ignore=,$(ALONE)) $(ARGS)
	$(UV) run --no-sync pytest $(ALONE) $(ARGS)

# The product runs on Python 3.11 and newer. The suite runs on the 3.11 above; this runs the
# services', contracts', shared and client tests (under 2 minutes, the ones whose code runs in
# a service) again on the newest Python the machine has besides, in a venv of its own:
# asyncio changed under them in 3.12 once already (allocator/adapters/replies.py, drain).
# The newest by the interpreters' own versions: their paths do not sort by version.
NEWER_PYTHON ?= $(shell for python in $(wildcard /usr/bin/python3.1[2-9] \
	/usr/local/bin/python3.1[2-9] $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3); do \
	"$$python" -c 'import sys; print("%03d %s" % (sys.version_info[1], sys.executable))'; \
	done | sort | tail -n 1 | cut -d " " -f 2)
NEWER_VENV := .venv-newer-python

# NEWER_PYTHON is looked for once, in the first line: the rest read the shell's copy.
test-newer-python: install
	@python="$(NEWER_PYTHON)"; \
	test -n "$$python" || { echo "no Python 3.12 or newer found here: set" \
		"NEWER_PYTHON=/path/to/python3.x"; exit 1; }; \
	echo "the services' tests on $$python"; \
	UV_PROJECT_ENVIRONMENT=$(NEWER_VENV) $(UV) sync --frozen --python "$$python" && \
	UV_PROJECT_ENVIRONMENT=$(NEWER_VENV) $(UV) run --no-sync pytest -n $(TEST_WORKERS) \
		--dist loadfile contracts shared services clients $(ARGS)

# Style, the import rules (pyproject.toml [tool.importlinter]) and types ([tool.mypy]).
# The strictly typed code may not silence the checker: a type-ignore comment there fails too.
STRICT_TYPED := contracts/opd_contracts services/allocator/allocator/domain

lint: install
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync lint-imports
	$(UV) run --no-sync mypy
	@! grep -rn "type: *ignore" --include='*.py' $(STRICT_TYPED) \
		|| { echo "type-ignore comments are refused in $(STRICT_TYPED)"; exit 1; }

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

purge: install  ## forget patients' names, phones and notes OPD_RETENTION_DAYS after the visit
	$(UV) run --no-sync python -m opd_ops.purge $(ARGS)

simulate: install  ## a whole OPD day through the public API, checked against analytics
	$(UV) run --no-sync python -m opd_ops.simulate $(ARGS)

settings-docs: install  ## regenerate docs/SETTINGS.md from the settings classes
	$(UV) run --no-sync python -m opd_ops.settings_reference

cluster: install  ## three RabbitMQ nodes on :5681-5683 (see docs/OPERATIONS.md, "A cluster")
	$(UV) run --no-sync python -m opd_ops.cluster up

cluster-down: install  ## stop them and remove their data
	$(UV) run --no-sync python -m opd_ops.cluster down

test-cluster: install  ## the cluster fault tests (about 6 minutes; not in `make test`)
	$(UV) run --no-sync pytest -m cluster tests/faults -s
