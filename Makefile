# fengping — two commands for a new user: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR_STAMP := src/fengping/static/vendor/.copied
LOCALE := src/fengping/locale

.PHONY: demo test lint format dist static messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@# Directory login needs python-ldap, which builds against OpenLDAP's headers
	@# (Debian: libldap2-dev libsasl2-dev). Without them fengping still works; the LDAP
	@# tests say why they skip.
	@$(BIN)/pip install --quiet -e '.[dev,ldap]' >/dev/null 2>&1 || echo \
		"注意：python-ldap 未能安装（需要 libldap2-dev libsasl2-dev），LDAP 登录不可用 / note: python-ldap could not be built; LDAP login is unavailable"
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Front-end libraries come from the npm registry and are copied into the static tree.
$(VENDOR_STAMP): node_modules/.package-lock.json scripts/copy-vendor.mjs
	node scripts/copy-vendor.mjs
	touch $@

static: $(VENDOR_STAMP)

# Compile translation catalogues (.po → .mo) with Babel, so no system gettext is needed.
messages: $(STAMP)
	@if ls $(LOCALE)/*/LC_MESSAGES/django.po >/dev/null 2>&1; then \
		$(BIN)/pybabel -q compile -d $(LOCALE) -D django; fi

# The demo runs as production does (fengping's own Chinese error pages, no debug
# pages); PORT=8001 make demo picks another port.
PORT ?= 8000
demo: $(STAMP) static messages
	PORT=$(PORT) $(BIN)/fengping demo
	$(BIN)/fengping serve --host 127.0.0.1 --port $(PORT)

# The suite runs on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process).
TEST_WORKERS ?= auto
test: $(STAMP) static messages
	$(BIN)/pytest -q -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict src/fengping/scoring src/fengping/schemes

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# A wheel with the static files and compiled catalogues inside: production needs no Node.
dist: $(STAMP) static messages
	rm -rf dist build
	$(BIN)/python -m build --wheel --no-isolation
	@ls -l dist/*.whl

clean:
	rm -rf $(VENV) node_modules dist build src/fengping/static/vendor var
