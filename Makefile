# Two commands matter on a fresh machine: `make demo` and `make test`. Both bootstrap first.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen
# Python caches compiled modules (.pyc) unless this is set, as some machines' images do: then every process the
# suite starts (xdist workers, the CLI, the twin, Locust) recompiles kubernetes, scipy and matplotlib from
# source, ~10 s of CPU each. Compile once, reuse everywhere.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: bootstrap demo test lint typecheck pytest test-faults bench-full bench

bootstrap:
	@bash scripts/bootstrap.sh

# the seed story on the embedded twin: a saturated baseline, the hypothesis, the comparison (scripts/demo.sh)
demo: bootstrap
	RUN="$(RUN)" bash scripts/demo.sh

# Parallel pytest: two xdist workers per logical core, as most end-to-end tests wait on real time (a run's
# schedule, a grace period, a scrape) rather than compute: with one per core the 2-core machine sat ~25 % idle.
# loadgroup keeps tests that share an expensive fixture on one worker (tests/conftest.py).
# Serial: make pytest PYTEST_WORKERS=0
PYTEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc) )))
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist loadgroup

# lint and typecheck run while the tests run (mostly waiting on subprocess servers); each target's output is
# printed whole when it ends, pytest's last, with its closing "N passed" line. Any failure fails `make test`.
test: bootstrap
	@$(MAKE) --no-print-directory -j3 --output-sync=target lint typecheck pytest

lint:
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

typecheck:
	$(RUN) mypy benchkit infra

pytest:
	$(RUN) pytest $(PYTEST_ARGS)

test-faults: bootstrap
	$(RUN) pytest $(PYTEST_ARGS) tests/reliability -m faults

# report_cost measures the run full_scale made (its folder passed on), not whichever run is newest
bench-full: bootstrap
	dir_file=$$(mktemp) && trap 'rm -f "$$dir_file"' EXIT && \
	$(RUN) python bench/full_scale.py --run-dir-file "$$dir_file" && \
	$(RUN) python bench/report_cost.py "$$(cat "$$dir_file")"

bench: bootstrap
	$(RUN) python bench/pacing.py
	$(RUN) python bench/tracking_cost.py
	$(RUN) python bench/twin_capacity.py
	$(RUN) python bench/twin_model.py
	$(RUN) python bench/saturation_finder.py
