# Dealflow — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export DJANGO_SETTINGS_MODULE := dealflow.settings

.PHONY: run test lint format bench venv deps test-deps messages static migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs are re-done only when a requirements file changes.
$(VENV)/.deps: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.txt
	touch $@

$(VENV)/.test-deps: requirements/base.txt requirements/test.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.txt -r requirements/test.txt
	touch $@

venv: $(BIN)/python
deps: $(VENV)/.deps
test-deps: $(VENV)/.test-deps

messages: deps
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0

static: deps
	$(BIN)/python manage.py collectstatic --noinput -v0

migrate: deps
	$(BIN)/python manage.py migrate --noinput -v0

demo: migrate
	$(BIN)/python manage.py load_demo

run: deps messages static demo
	@echo ""
	@echo "  Dealflow is starting on http://$(HOST):$(PORT)/"
	@echo "  Log in as admin / dealflow-demo (administrator),"
	@echo "  manager / dealflow-demo (sales manager) or anna / dealflow-demo (salesperson)."
	@echo ""
	$(BIN)/gunicorn dealflow.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

test: test-deps messages
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/pytest

lint: test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy dealflow

format: test-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmark on its own database (var/bench.sqlite3, or DATABASE_URL): generates the data set
# once (BENCH_SIZE=small|medium|large), then times every main screen against its SQL floor.
BENCH_SIZE ?= small
bench: deps static
	eval "$$($(BIN)/python bench/settings.py)" && $(BIN)/python manage.py migrate --noinput -v0 \
	  && $(BIN)/python manage.py generate_data --size $(BENCH_SIZE) --if-missing
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
