# Two commands: `make demo` and `make test`. Each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

.PHONY: install demo test test-fast
install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tailrace demo --out out

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --timeout=900 --durations=25

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow and not service"
