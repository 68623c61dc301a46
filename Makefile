# Two entry points for newcomers: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(BIN)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(BIN)/.installed $@

demo: $(BIN)/.installed
	$(BIN)/python -m bot demo

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check bot handlers tests benchmarks
	$(BIN)/ruff format --check bot handlers tests benchmarks

typecheck: $(BIN)/.installed-dev
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(BIN)/.installed-dev
	$(BIN)/pytest

test: lint typecheck unit

bench: $(BIN)/.installed-dev
	$(BIN)/python benchmarks/classify.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python -m benchmarks.insights
	$(BIN)/python -m benchmarks.learning
	$(BIN)/python benchmarks/digest.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
