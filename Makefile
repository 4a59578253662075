# Frontdesk. `make run` and `make test` work on a fresh clone: they create .venv themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint check-format fix bench clean

install: $(STAMP)

# Reinstall when the dependencies change; the project itself is installed editable.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Frontdesk needs Python 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/frontdesk db upgrade
	$(BIN)/frontdesk seed --demo
	$(BIN)/frontdesk serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# One worker per core; a test file stays on one worker (the Rasa server starts once).
test: lint
	$(BIN)/pytest -n auto --dist loadfile

fix: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

-include mk/*.mk
