# kpibot: `make run` starts the bot (or the console), `make test` runs the whole suite, `make bench` the benchmark.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install run test bench mutation clean teams-tools teams-smoke

# The bot and what it needs to run: all the Docker image installs.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

# The test tools on top (pytest, hypothesis, PDF readers), for the suite and the benchmark.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(TEST_STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/kpibot run

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

# Not part of `make test`: about 6 minutes on 2 cores the first time (it builds the M and L datasets, kept
# in bench/.cache and PostgreSQL), under 2 after. Writes bench/RESULTS.md; exits 1 if a budget fails, 2 if it stops on an error.
bench: $(TEST_STAMP)
	$(BIN)/python -m bench.run

# Not part of `make test`: mutation testing of the KPI engine, figures, periods, review rules and access
# (mutmut 3.8, configured under [tool.mutmut] in pyproject.toml, against the fast pure-function tests only).
# Prints each module's kill rate and exits 1 if one is under 95%. mutmut works in a copy of the tree, mutants/.
mutation: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet "mutmut==3.8.*"
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results --all true | $(BIN)/python scripts/mutation_report.py

# What the Teams smoke test needs besides Python: Debian's Chromium and the Agents Playground from npm (pinned in
# tests/playground/package-lock.json). Also run by CI before `make test`, where tests/test_teams_playground.py uses them.
teams-tools:
	@if [ ! -x /usr/bin/chromium ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi
	@if ! command -v npm >/dev/null; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; fi
	cd tests/playground && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

# The Teams smoke test: the Agents Playground's page in headless Chromium sends `kpi calls-under-25s` to the bot on the
# demo data and waits for 58%, then sends a workbook and presses Confirm import on its preview (everything in a
# loopback-only network namespace). The screenshots: teams-smoke.png, teams-upload-preview.png, teams-upload.png.
teams-smoke: $(TEST_STAMP) teams-tools
	$(BIN)/python -m tests.teams_smoke --out teams-smoke.png
	$(BIN)/python -m tests.teams_smoke --upload --out teams-upload.png

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
