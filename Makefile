# One entry point for every habit. `make test` sets up .venv on a fresh machine and runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install chromium test unit integration lint format bench demo clean

$(STAMP): pyproject.toml constraints.txt setup.py pipeline/chunking/_icuchunk.c
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and exactly: 2.13.0 is a CPU build on our machines; any other spec pulls CUDA.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,local]'
	touch $(STAMP)

install: $(STAMP)

# The Flower test reads the dashboard in a real headless browser (Debian's chromium).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: $(STAMP) chromium
	$(PY) -m pytest -q

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m bench.chunking
	$(PY) -m bench.limiter
	$(PY) -m bench.limiter_accuracy
	$(PY) -m bench.pipeline

# The README's first command: embed the shipped sample with the built-in local model.
demo: $(STAMP)
	$(VENV)/bin/inferq ingest examples/sample.jsonl --out out/sample.embeddings.jsonl

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out
