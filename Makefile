# Two commands do all of the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench readme clean

# The environment is rebuilt when it is missing or older than the files that define it.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/incidentkit demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	for script in bench/[!_]*.py; do $(BIN)/python $$script || exit 1; done

# Regenerate the CLI reference and the table of API operations in README.md.
readme: $(STAMP)
	$(BIN)/python -m incidentkit.cli.reference --write README.md
	$(BIN)/python -m incidentkit.emulator.coverage --write README.md

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
