# Two entry points for newcomers: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reproducible installs: the lock files pin every package (-c: constraints, so the project itself is
# still installed from this checkout). Regenerate both after changing dependencies in pyproject.toml.
LOCK := $(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	--no-emit-trusted-host

.PHONY: demo test lint typecheck unit bench lock clean

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e .
	touch $@

$(BIN)/.installed-dev: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements-dev.lock -e ".[dev]"
	touch $(BIN)/.installed $@

# requirements.lock: runtime + the postgres extra (the Docker image); requirements-dev.lock: + dev tools.
lock:
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q pip-tools
	$(LOCK) --extra postgres --output-file requirements.lock pyproject.toml
	$(LOCK) --extra dev --output-file requirements-dev.lock pyproject.toml

demo: $(BIN)/.installed
	$(BIN)/python -m bot demo

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check bot handlers tests benchmarks
	$(BIN)/ruff format --check bot handlers tests benchmarks

typecheck: $(BIN)/.installed-dev
	$(BIN)/mypy
	$(BIN)/lint-imports

# two workers (the machines have 2 cores); coverage of bot/ and handlers/ with a floor (measured 90%)
unit: $(BIN)/.installed-dev
	$(BIN)/pytest -n 2 --cov --cov-report=term --cov-fail-under=88

test: lint typecheck unit

bench: $(BIN)/.installed-dev
	$(BIN)/python benchmarks/classify.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python -m benchmarks.insights
	$(BIN)/python -m benchmarks.learning
	$(BIN)/python benchmarks/digest.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
