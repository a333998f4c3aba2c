# TechPulse task runner. The two commands a newcomer needs: `make run` and `make test`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
APP_STAMP := $(VENV)/.installed-app
DEV_STAMP := $(VENV)/.installed-dev
# The warehouse: $(TECHPULSE_DB), else the embedded DuckLake in data/techpulse.sqlite (what
# data.warehouse.default_warehouse() picks; an older data/techpulse.duckdb stays in use).
DB ?= $(TECHPULSE_DB)
DB_ARG = $(if $(DB),--db "$(DB)")
DB_ENV = $(if $(DB),TECHPULSE_DB="$(DB)")
SEED ?= 42
ENTERPRISE ?= data/enterprise.duckdb
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test demo enterprise lint format lock migrate screenshots system-deps clean help \
	bench sync worker warehouse

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: $(APP_STAMP) warehouse  ## set up and start the app on http://localhost:8501
	-$(PY) -m data migrate $(DB_ARG)
	$(DB_ENV) $(PY) -m streamlit run app.py

test: $(DEV_STAMP) system-deps  ## set up and run the test suite CI runs (all but the tests marked slow)
	$(PY) -m pytest -n 2 --dist loadgroup -m "not slow"

test-slow: $(DEV_STAMP) system-deps  ## run only the tests marked slow (the two-app scale-out test and its kill -9 test)
	$(PY) -m pytest -m slow

test-all: $(DEV_STAMP) system-deps  ## run every test, the slow ones included
	$(PY) -m pytest -n 2 --dist loadgroup

demo: $(APP_STAMP)  ## (re)build the demo organisation warehouse
	$(PY) -m data.demo --scale demo --seed $(SEED) $(DB_ARG)

enterprise: $(APP_STAMP)  ## build the enterprise-scale warehouse (2,000 services) for benchmarks
	$(PY) -m data.demo --scale enterprise --seed $(SEED) --db $(ENTERPRISE)

sync: $(APP_STAMP) warehouse  ## pull the sources in config/sources.toml into the warehouse, then say what is covered
	@$(PY) -m connectors sync $(DB_ARG); status=$$?; \
	echo "Coverage (python -m metrics coverage):"; \
	$(PY) -m metrics coverage --brief $(DB_ARG); exit $$status

worker: $(APP_STAMP) warehouse  ## run every source on its schedule until stopped (Ctrl-C or SIGTERM)
	$(PY) -m connectors worker $(DB_ARG)

bench: $(DEV_STAMP) system-deps  ## every benchmark in bench/ (builds data/enterprise.duckdb; ~15 min)
	$(PY) -m bench.build --keep $(ENTERPRISE)
	$(PY) -m bench.scorecard --db $(ENTERPRISE)
	$(PY) -m bench.pages --db $(ENTERPRISE)
	$(PY) -m bench.browser --db $(ENTERPRISE)
	$(PY) -m bench.ingest
	$(PY) -m bench.sonar_sync
	$(PY) -m bench.csv_import
	$(PY) -m bench.linking --db $(ENTERPRISE)

migrate: $(APP_STAMP)  ## upgrade the warehouse schema in place, keeping its rows
	$(PY) -m data migrate $(DB_ARG)

lint: $(DEV_STAMP)  ## ruff, formatting, import contracts, strict types and an up-to-date data dictionary
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m mypy
	$(PY) -m data.dictionary --check
	$(PY) -m metrics.docs --check

format: $(DEV_STAMP)  ## apply ruff's fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

messages: $(DEV_STAMP)  ## extract the strings marked _() / N_() and merge them into each catalog
	PYTHONPATH=. $(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
		--project TechPulse --msgid-bugs-address "" -o i18n/locale/messages.pot .
	$(VENV)/bin/pybabel update -i i18n/locale/messages.pot -d i18n/locale -l zh_CN \
		--ignore-obsolete --no-fuzzy-matching
	sed -i -e 's/^"Report-Msgid-Bugs-To: .*/"Report-Msgid-Bugs-To: the TechPulse issue tracker\\n"/' \
		-e 's/^"Last-Translator: .*/"Last-Translator: TechPulse maintainers (terms: docs\/glossary.md)\\n"/' \
		-e 's/^"Language-Team: .*/"Language-Team: TechPulse zh-CN\\n"/' \
		i18n/locale/zh_CN/LC_MESSAGES/messages.po

lock: $(DEV_STAMP)  ## regenerate the pinned requirements from pyproject.toml
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.txt pyproject.toml
	$(VENV)/bin/pip-compile -q --strip-extras --extra dev --no-emit-index-url \
		--no-emit-find-links --output-file requirements-dev.txt pyproject.toml

screenshots: $(DEV_STAMP) system-deps warehouse  ## screenshot every page into test-artifacts/
	$(PY) -m tools.screenshots $(DB_ARG)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(APP_STAMP)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The demo is built only when no warehouse is configured and none is there yet: with
# TECHPULSE_DB set, a missing warehouse is your organisation's, created empty by
# `python -m data init`, never filled with the demo.
warehouse: | $(APP_STAMP)
ifeq ($(TECHPULSE_DB),)
	$(PY) -m data.demo --scale demo --seed $(SEED) --if-missing $(DB_ARG)
else
	@$(PY) -c "import sys; from data.warehouse import exists; sys.exit(0 if exists(sys.argv[1]) else 2)" "$(DB)" || \
	{ echo "No warehouse at $(DB) (TECHPULSE_DB). Create it: $(PY) -m data init --db '$(DB)'" >&2; \
	exit 2; }
endif

system-deps:  ## Debian's chromium and a CJK font (browser tests), prometheus, victoria-metrics, git and postgresql (connector and DuckLake tests)
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v prometheus >/dev/null && command -v promtool >/dev/null || missing="$$missing prometheus"; \
	[ -x /usr/bin/victoria-metrics ] || missing="$$missing victoria-metrics"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$$missing fonts-noto-cjk"; \
	command -v fc-match >/dev/null || missing="$$missing fontconfig"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:  ## remove the virtual environment and caches (keeps warehouses)
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
