# Two commands on a fresh clone with python3 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
DEMO_DIR ?= demo-data
PYTEST_ARGS ?=

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Until the procurement scenario exists, the demo shows the ledger: a small log, its signed
# checkpoint, an offline proof of one entry verified, the static tiles, and a full audit.
demo: $(STAMP)
	rm -rf $(DEMO_DIR)
	$(BIN)/tenderproof init --data-dir $(DEMO_DIR) --origin demo.tenderproof.localhost/log
	seq 1 1000 | sed 's/^/demo event /' | $(BIN)/tenderproof log append --data-dir $(DEMO_DIR)
	@echo "--- the signed checkpoint:"
	$(BIN)/tenderproof log checkpoint --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof log proof 41 --data-dir $(DEMO_DIR) -o $(DEMO_DIR)/entry-41.tlog-proof
	printf 'demo event 42' > $(DEMO_DIR)/entry-41.txt
	@echo "--- an offline proof of entry 41, verified with only the log's public key:"
	cat $(DEMO_DIR)/entry-41.tlog-proof
	$(BIN)/tenderproof verify $(DEMO_DIR)/entry-41.tlog-proof --entry $(DEMO_DIR)/entry-41.txt --vkey $(DEMO_DIR)/log.vkey
	$(BIN)/tenderproof log tiles $(DEMO_DIR)/tiles --data-dir $(DEMO_DIR)
	$(BIN)/tenderproof log audit --data-dir $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/ledger.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .hypothesis
