# The two commands of README.md. Both do all the set-up a fresh machine needs.
PYTHON ?= python3
PORT ?= 8501
LINES ?= 1000000

.PHONY: install install-test browser app test bench

install:
	$(PYTHON) -m pip install -q -e .

install-test:
	$(PYTHON) -m pip install -q -e '.[test]'

# Debian's chromium (Playwright cannot download its own browsers here) and an emoji font for the screenshots.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; }

app: install
	$(PYTHON) -m streamlit run dashboard.py --server.port $(PORT)

test: install-test browser
	$(PYTHON) -m pytest

bench:
	$(PYTHON) -m pip install -q -e '.[test,bench]'
	$(PYTHON) -m benchmarks.run --lines $(LINES)
