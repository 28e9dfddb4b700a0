# The two commands of the quick start, and the checks CI runs. See README.md.
VENV ?= .venv
PY := $(VENV)/bin/python
# Tests find PostgreSQL through PAWPAY_TEST_DATABASE_URL, else testcontainers, else an embedded
# pgserver; the broker tests need PAWPAY_TEST_REDIS_URL / PAWPAY_TEST_AMQP_URL (else skipped).
# .ci/run points all three at the machine's own services.
PYTEST_ARGS ?=

.PHONY: dev test install lint typecheck importlint pytest clean

$(VENV)/.deps: pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' --config-settings editable_mode=strict
	touch $@

# Re-link the package tree (a strict editable install, which mypy can follow) so new files count.
install: $(VENV)/.deps
	$(PY) -m pip install --quiet --no-deps -e . --config-settings editable_mode=strict
	# The example third-party provider (tests/example_plugin), found through its entry point alone.
	$(PY) -m pip install --quiet --no-deps -e tests/example_plugin

dev: install
	$(VENV)/bin/pawpay dev

test: install lint importlint typecheck pytest

lint:
	$(VENV)/bin/ruff check .

importlint:
	$(VENV)/bin/lint-imports

typecheck:
	$(VENV)/bin/mypy

pytest:
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
