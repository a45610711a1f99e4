# The two commands of the README, on a fresh clone with only python3:
#   make book   # a virtual environment with the locked versions, then the full book
#   make test   # the test suite (it builds the quick book in a temporary folder)
# `make book JOBS=2` executes two notebooks at a time (default: the full profile one at a time,
# the quick one one per core as memory allows; see lassobook build --help).
PYTHON ?= python3
JOBS ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install book quick test

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet -e ".[book,test]"   # with dependencies: the declared ones must resolve against the lock
	touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(BIN)/lassobook build --profile full $(if $(JOBS),--jobs $(JOBS))

quick: $(STAMP)
	$(BIN)/lassobook build --profile quick $(if $(JOBS),--jobs $(JOBS))

test: $(STAMP)
	$(BIN)/python -m pytest -q
