# The two commands of the quick start, and the checks CI runs. See README.md.
VENV ?= .venv
PY := $(VENV)/bin/python
# The machine's own services; override to point the tests elsewhere.
export PAWPAY_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export PAWPAY_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export PAWPAY_TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/%2F
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
