# wxplan - every set-up step lives here so a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
PORT ?= 8501

.PHONY: install run test bench lint format readme system-deps pdf-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install pdf-deps
	$(VENV)/bin/streamlit run app/streamlit_app.py --server.port $(PORT)

# The PDF report (WeasyPrint) lays text out with Debian's Pango and embeds the CJK fonts, so Chinese prints.
# `make run` needs them as well as `make test`; without them the app still runs and says why there is no PDF.
PDF_PKGS := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
pdf-deps:
	@if ls /usr/lib/*/libpangoft2-1.0.so.0 /usr/lib/libpangoft2-1.0.so.0 2>/dev/null | grep -q . && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
		echo "pango and fonts-noto-cjk present"; \
	elif { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(PDF_PKGS) >/dev/null; }; then \
		echo "installed $(PDF_PKGS)"; \
	else \
		echo "无法安装 PDF 报告所需的 Debian 软件包（$(PDF_PKGS)）：请用 root 或 sudo 运行 make pdf-deps。" >&2; \
		echo "Could not install the Debian packages the PDF report needs ($(PDF_PKGS)): run make pdf-deps as root or with sudo." >&2; \
		exit 1; \
	fi

# Debian Chromium (for Playwright; never `playwright install`) and CJK fonts so Chinese renders.
# Debian PostgreSQL: the scenario-store tests start a throwaway server (tests/pg.py); Debian keeps initdb and
# pg_ctl in /usr/lib/postgresql/<version>/bin, off PATH.
system-deps: pdf-deps
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
		echo "chromium and fonts-noto-cjk present"; \
	else \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null && \
		echo "installed chromium and fonts-noto-cjk"; \
	fi
	@if { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1 || \
		ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
		echo "postgresql present"; \
	else \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null && \
		echo "installed postgresql"; \
	fi

test: install system-deps
	$(PY) -m pytest

# The batch benchmark compares the engine with a squigglepy port of its model (the `bench` extra).
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) benchmarks/bench_recommend.py
	$(PY) benchmarks/bench_batch.py

# Refresh the README examples from the CLI's current output (tests/test_readme.py checks them).
readme: install
	$(PY) scripts/update_readme.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-results *.egg-info
