# `make run` and `make test` are the two commands a new machine needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba

.PHONY: run test install install-test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The stamp files make a second `make run` start at once: pip runs again only
# when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(PY) main.py

test: install-test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: install
	$(PY) benchmarks/activations.py
	$(PY) benchmarks/startup.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

# `make dist`: the one-folder app in dist/dlviz/ (PyInstaller; see packaging/README.md).
# Then `dist/dlviz/dlviz --self-test` checks it headless.
.PHONY: dist dist-clean install-dist

$(VENV)/.installed-dist: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e '.[dist]'
	touch $@

install-dist: $(VENV)/.installed-dist

dist: install-dist
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build packaging/dlviz.spec

dist-clean:
	rm -rf dist build
