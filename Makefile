# The two commands: `make run` serves the site, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

# The test suite sets what it needs; every other default is production's.
TEST_ENV := DJANGO_SECRET_KEY=test-only-secret-key DJANGO_SECURE_SSL_REDIRECT=0 \
	DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1,testserver
# `make serve` and `make bench`: production settings on plain HTTP on this machine.
PROD_ENV := DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-local-production-like-secret-key-for-this-machine-$$(hostname)} \
	DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1}

.PHONY: install run test test-fast lint format serve bench bench-instructions bench-import screenshots clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_notice
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(PY) -m pytest --durations=15 $(PYTEST_ARGS)

# The quick loop while working: no browser, no printing every combination, nothing marked slow, no nginx,
# SQLite only (about two minutes).
test-fast: install
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(PY) -m pytest -q -m "not browser and not print_all and not postgres and not slow and not nginx" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(PY) -W ignore::RuntimeWarning manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The site as in production (debug off, gunicorn.conf.py) on http://127.0.0.1:8000/.
serve: install
	$(PROD_ENV) $(PY) manage.py migrate --noinput
	$(PROD_ENV) $(PY) manage.py load_notice
	$(PROD_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(PROD_ENV) $(VENV)/bin/gunicorn --config gunicorn.conf.py

# Load the site under gunicorn with the real mix of questions, against the barest Django view;
# writes bench/results/<database>.txt (sqlite.txt, or postgresql.txt with DATABASE_URL=postgres://…).
# BENCH_ARGS="--world M" (or L): a generated world (tools/world.py) loaded into a database of its own
# (a new SQLite file, never db.sqlite3; with DATABASE_URL, that PostgreSQL database) and its mix of
# 2,000 addresses; writes bench/results/<database>-<world>.txt. `bench/run.py --help` lists the options.
bench: install
	$(PROD_ENV) BENCH_COMMAND="make bench$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" $(PY) bench/run.py $(BENCH_ARGS)

# Instructions per answer counted by callgrind (needs valgrind): repeatable to compare commits by;
# writes bench/results/instructions.txt.
bench-instructions: install
	$(PROD_ENV) $(PY) bench/instructions.py

# docs/phone-result.png, docs/phone-card-open.png, docs/printed-result.png (needs chromium and fonts-noto-cjk).
screenshots: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_notice
	DJANGO_DEBUG=1 $(PY) docs/screenshots.py
# Time the admin import preview of a 1,000-row file on a fresh database (a measurement, not a test).
bench-import: install
	$(PY) tools/bench_import.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
