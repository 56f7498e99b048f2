# The two commands a newcomer needs: `make run` and `make test`. Everything else is what they call.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test install assets lint check bench bench-search bench-import bench-report bench-imports bench-reminders bench-all clean

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/dist/app.css: node_modules/.installed assets/build.mjs $(wildcard assets/scss/*.scss)
	npm run --silent build

assets: static/dist/app.css

# Starts PostgreSQL and Redis (DATABASE_URL/REDIS_URL, or embedded ones under .data/), migrates,
# loads the demo and runs the web server, a Celery worker and beat. Ctrl-C stops everything.
run: install assets
	$(PY) -m inclusion.embedded --serve

# The whole suite. Exit code 5 (no tests collected) counts as a failure.
test: install assets
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "No tests ran: failing."; exit 1; fi; exit $$rc

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

check: install
	$(PY) -m inclusion.embedded -- $(PY) manage.py check
	$(PY) -m inclusion.embedded -- $(PY) manage.py makemigrations --check --dry-run

# The region-scale benchmark (issue 12): builds the region database once (minutes), serves the app with
# gunicorn, drives it from a separate process and writes BENCHMARKS.md. bench-search and bench-import are the
# older, narrower ones (search in-process on a million residents; a 100,000-code voucher import).
bench: install assets
	$(PY) -m inclusion.embedded -- $(PY) bench/run.py

bench-search: install
	$(PY) -m inclusion.embedded -- $(PY) bench/search.py

bench-import: install
	$(PY) -m inclusion.embedded -- $(PY) bench/voucher_import.py

bench-report: install
	$(PY) -m inclusion.embedded -- $(PY) bench/report.py

bench-imports: install
	$(PY) -m inclusion.embedded -- $(PY) bench/imports.py

bench-reminders: install
	$(PY) -m inclusion.embedded -- $(PY) bench/reminders.py

# Everything issue 12 asks for, into BENCHMARKS.md: the app's paths and the ceiling (bench/run.py, which builds the
# region if it is missing), then the report, imports and reminders (each writes its part), then the file again.
bench-all: install assets
	$(PY) -m inclusion.embedded -- sh -c '$(PY) bench/run.py && $(PY) bench/report.py; $(PY) bench/imports.py; $(PY) bench/reminders.py; $(PY) bench/run.py --report-only'

clean:
	rm -rf $(VENV) node_modules static/dist staticfiles
