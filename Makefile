# The two commands a newcomer needs: `make demo` and `make test`. Both set everything up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
MOLLIE_PORT ?= 8765
MANAGE := $(BIN)/python example_site/manage.py
DEMO_ENV := WETICKET_MOLLIE_API_ENDPOINT=http://127.0.0.1:$(MOLLIE_PORT) \
	WETICKET_MOLLIE_FALLBACK_API_KEY=test_demodemodemodemodemodemodemodemo \
	WETICKET_PUBLIC_BASE_URL=http://127.0.0.1:$(PORT)

.PHONY: install demo serve test lint format messages check-migrations build clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(MANAGE) migrate --noinput
	$(MANAGE) weticket_demo
	$(MAKE) --no-print-directory serve

# Serves the example site with the Mollie test double on 127.0.0.1:$(MOLLIE_PORT).
serve: install
	@$(BIN)/python -m weticket_wagtail.testing.mollie --port $(MOLLIE_PORT) & \
	  MOLLIE_PID=$$!; trap "kill $$MOLLIE_PID 2>/dev/null" EXIT INT TERM; \
	  $(DEMO_ENV) $(MANAGE) runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check weticket_wagtail tests example_site benchmarks
	$(BIN)/ruff format --check weticket_wagtail tests example_site benchmarks

format: install
	$(BIN)/ruff check --fix weticket_wagtail tests example_site benchmarks
	$(BIN)/ruff format weticket_wagtail tests example_site benchmarks

messages: install
	cd weticket_wagtail && ../$(BIN)/django-admin makemessages -l nl -l en --no-obsolete
	cd weticket_wagtail && ../$(BIN)/django-admin compilemessages

check-migrations: install
	$(MANAGE) makemigrations --check --dry-run

build: install
	rm -rf dist build && $(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) dist build *.egg-info example_site/db.sqlite3 .pytest_cache
