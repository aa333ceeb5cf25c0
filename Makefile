# The only commands a newcomer needs. Each creates .venv on first use from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out
PEOPLE ?= 175000
SEED ?= 1

.PHONY: demo test bench lint lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/joinedup synth --out $(OUT)/area --people $(PEOPLE) --seed $(SEED)
	$(BIN)/joinedup load $(OUT)/area --warehouse $(OUT)/warehouse.duckdb
	$(BIN)/joinedup metrics --warehouse $(OUT)/warehouse.duckdb --format json --disclosure-control > $(OUT)/metrics.json
	$(BIN)/joinedup report --warehouse $(OUT)/warehouse.duckdb --out $(OUT)/report.html
	@# calibration is a check of the generator (noisy for small areas): shown, but it does not stop the demo
	-$(BIN)/joinedup calibrate $(OUT)/area
	@echo "Board report: $(abspath $(OUT))/report.html (disclosure-controlled metrics: $(abspath $(OUT))/metrics.json)"

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency (needs network to PyPI).
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(OUT)
