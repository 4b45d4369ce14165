# Two commands on a fresh clone with python3 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
DEMO_DIR ?= demo-data
PYTEST_ARGS ?=

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# The JEDI procurement and its successor JWCC replayed with their own dates into the embedded SQLite default, a live
# sandbox tender with demo accounts, then the checks anyone can run (audit of the log, rebuild of
# the projections, OCDS output, an offline proof of the award), then the portal and the API.
demo: $(STAMP)
	rm -rf $(DEMO_DIR)
	$(BIN)/tenderproof demo --no-serve --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof log audit --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof rebuild --check --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof ocds releases -o $(DEMO_DIR)/ocds/releases.json --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof ocds records -o $(DEMO_DIR)/ocds/records.json --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof log tiles $(DEMO_DIR)/tiles --data-dir $(DEMO_DIR)
	@AWARD=$$($(BIN)/tenderproof tender events HQ0034-18-R-0077 --type award.decided --data-dir $(DEMO_DIR) | head -1 | cut -f1); \
	  $(BIN)/tenderproof tender entry $$AWARD -o $(DEMO_DIR)/award.entry --data-dir $(DEMO_DIR) && \
	  $(BIN)/tenderproof log proof $$AWARD -o $(DEMO_DIR)/award.tlog-proof --data-dir $(DEMO_DIR) && \
	  echo "--- the JEDI award, verified offline with only the log's public key:" && \
	  $(BIN)/tenderproof verify $(DEMO_DIR)/award.tlog-proof --entry $(DEMO_DIR)/award.entry --vkey $(DEMO_DIR)/log.vkey
	@echo "--- the administrative record of JEDI, exported as one bundle and verified offline:"
	$(BIN)/tenderproof record export HQ0034-18-R-0077 -o $(DEMO_DIR)/jedi-record.zip --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof verify $(DEMO_DIR)/jedi-record.zip --vkey $(DEMO_DIR)/log.vkey
	@echo "--- JWCC, JEDI's multiple-award successor: its record, and its orders re-added against the ceiling:"
	$(BIN)/tenderproof record export JWCC -o $(DEMO_DIR)/jwcc-record.zip --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof verify $(DEMO_DIR)/jwcc-record.zip --vkey $(DEMO_DIR)/log.vkey
	$(BIN)/tenderproof flags --ledger --data-dir $(DEMO_DIR) -o $(DEMO_DIR)/flags.json
	@echo
	@echo "Files in $(DEMO_DIR)/: ocds/ (OCDS packages), tiles/ (the log as C2SP tiles), award.tlog-proof,"
	@echo "award.entry, jedi-record.zip and jwcc-record.zip (administrative records), flags.json (red flags),"
	@echo "log.vkey (all a verifier needs), demo-accounts.json (the demo tokens)."
	@echo "Serving the portal at http://127.0.0.1:8000/ and the API at http://127.0.0.1:8000/api/docs (Ctrl-C stops)."
	$(BIN)/tenderproof serve --data-dir $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The gates CI runs before the tests: ruff (lint) and mypy (strict for ledger, seal and domain);
# their settings are in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/ledger.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .hypothesis
