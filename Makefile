# The only commands a newcomer needs. Each creates .venv on first use from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out
PEOPLE ?= 175000
SEED ?= 1
PORT ?= 8000
DEMO_USERS := board.demo analyst.demo super.demo gp.demo clinician.demo social.demo ig.demo linkage.demo admin.demo

.PHONY: demo test test-spark bench lint lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Front-end assets for the browser tests (axe-core; NHS.UK frontend, checked against the vendored copy).
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent

demo: $(STAMP)
	$(BIN)/joinedup synth --out $(OUT)/area --people $(PEOPLE) --seed $(SEED)
	$(BIN)/joinedup load $(OUT)/area --warehouse $(OUT)/warehouse.duckdb --register $(OUT)/area/register.yaml
	$(BIN)/joinedup metrics --warehouse $(OUT)/warehouse.duckdb --format json --disclosure-control > $(OUT)/metrics.json
	$(BIN)/joinedup report --warehouse $(OUT)/warehouse.duckdb --out $(OUT)/report.html
	@# calibration is a check of the generator (noisy for small areas): shown, but it does not stop the demo
	-$(BIN)/joinedup calibrate $(OUT)/area
	@echo "Board report: $(abspath $(OUT))/report.html (disclosure-controlled metrics: $(abspath $(OUT))/metrics.json)"
	@# risk scores feed the pyramid and the cohort's risk tier; too small an area cannot train them (the service runs without)
	-$(BIN)/joinedup risk train --warehouse $(OUT)/warehouse.duckdb --model-dir $(OUT)/models --quiet
	-$(BIN)/joinedup risk score --warehouse $(OUT)/warehouse.duckdb --model-dir $(OUT)/models --index-date 2016-04-01 --quiet
	@# the web service: one generated password per demo account, shown here once and never stored in clear
	@rm -f $(OUT)/service.sqlite
	@echo "Demo accounts (user name, password):"
	@for user in $(DEMO_USERS); do \
	  password=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
	  echo "$$password" | $(BIN)/joinedup accounts --service $(OUT)/service.sqlite --audit $(OUT)/audit.jsonl --register $(OUT)/area/register.yaml set-password $$user --password-stdin >/dev/null; \
	  echo "  $$user  $$password"; \
	done
	@# some caseloads: gp.demo accepts the top of their worklist onto their practice's MDT, whose community matron and social worker then see them
	-$(BIN)/joinedup caseload --warehouse $(OUT)/warehouse.duckdb --vault $(OUT)/vault.duckdb --register $(OUT)/area/register.yaml \
	  --service $(OUT)/service.sqlite --audit $(OUT)/audit.jsonl --user gp.demo --top 5
	@echo "Sign in at http://127.0.0.1:$(PORT)/login (Ctrl-C stops the service)"
	$(BIN)/joinedup serve --warehouse $(OUT)/warehouse.duckdb --vault $(OUT)/vault.duckdb --register $(OUT)/area/register.yaml \
	  --service $(OUT)/service.sqlite --audit $(OUT)/audit.jsonl --port $(PORT)

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

# The same pipeline on Apache Spark (local[2]; needs Java 17): one SparkSession for the suite.
test-spark: $(STAMP)
	$(BIN)/pytest -q -o addopts="" tests/spark

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/load.py --people $(PEOPLE) --seed $(SEED)
	$(BIN)/python bench/web.py --dir out/bench/175000
	$(BIN)/python bench/care.py --dir out/bench/175000
	$(BIN)/python bench/commissioning.py by-practice out/bench/175000/warehouse.duckdb
	$(BIN)/python bench/commissioning.py planted

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency (needs network to PyPI).
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(OUT)
