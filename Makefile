# Two commands matter on a fresh machine: `make demo` and `make test`. Both bootstrap first.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen

.PHONY: bootstrap demo test lint typecheck pytest test-faults bench-full bench

bootstrap:
	@bash scripts/bootstrap.sh

# the seed story on the embedded twin: a saturated baseline, the hypothesis, the comparison (scripts/demo.sh)
demo: bootstrap
	RUN="$(RUN)" bash scripts/demo.sh

test: bootstrap lint typecheck pytest

lint:
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

typecheck:
	$(RUN) mypy benchkit infra

pytest:
	$(RUN) pytest

test-faults: bootstrap
	$(RUN) pytest tests/reliability -m faults

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
