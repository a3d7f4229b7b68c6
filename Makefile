# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv when missing.
# `make test` also needs Debian's xvfb and xdotool (and chromium, chromium-driver for the browser
# tests); `make system-deps` installs them with apt-get when run as root.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2
DEMO_ARGS ?=

.PHONY: demo test lint typecheck system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in xvfb xdotool chromium chromium-driver; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	else echo "system-deps: not root or no apt-get; make sure xvfb, xdotool, chromium and chromium-driver are installed"; fi

demo: $(STAMP)
	$(BIN)/deskpilot demo --out runs/demo $(DEMO_ARGS)

test: $(STAMP) system-deps
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(WORKERS) --dist loadfile --durations=15

lint:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
