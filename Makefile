# Two commands do all of the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench readme fuzz clean

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

# Fuzz the served emulator with schemathesis (exact version), from an environment of its own so its
# dependencies never constrain the project's.
FUZZ_VENV := .venv-fuzz
FUZZ_STAMP := $(FUZZ_VENV)/.installed
SCHEMATHESIS := schemathesis==4.32.5

$(FUZZ_STAMP): Makefile
	test -x $(FUZZ_VENV)/bin/python || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FUZZ_VENV)/bin/python -m pip install --quiet '$(SCHEMATHESIS)'
	touch $(FUZZ_STAMP)

fuzz: $(STAMP) $(FUZZ_STAMP)
	$(BIN)/python tests/fuzz/run_fuzz.py --schemathesis $(FUZZ_VENV)/bin/schemathesis

clean:
	rm -rf $(VENV) $(FUZZ_VENV) build *.egg-info src/*.egg-info
