# Two commands a fresh machine needs: `make demo` and `make test`.
PY      := .venv/bin/python
PIP     := .venv/bin/pip
HASH    := $(shell cat pyproject.toml requirements-cpu.txt | sha256sum | cut -c1-12)
BASE    := .venv/.base-$(HASH)
DEV     := .venv/.dev-$(HASH)

.PHONY: demo test test-fast bench bench-scale browser lint clean

.venv/bin/python:
	python3 -m venv .venv

# CPU torch first (requirements-cpu.txt), so that sentence-transformers does not pull a CUDA build.
$(BASE): .venv/bin/python
	$(PIP) install --quiet -r requirements-cpu.txt
	$(PIP) install --quiet -e .
	rm -f .venv/.base-* && touch $(BASE)

$(DEV): $(BASE)
	$(PIP) install --quiet -e '.[dev,ray]'
	rm -f .venv/.dev-* && touch $(DEV)

demo: $(BASE)
	.venv/bin/narrative-compare run data/events/wagner-2023 --db narrative.duckdb --out reports

# Debian's chromium for the real-browser report tests, and fonts with Chinese (Noto CJK) and
# Cyrillic (DejaVu) glyphs for the multilingual report; installed when missing and we are root.
BROWSER_PACKAGES := chromium fonts-noto-cjk fonts-dejavu-core
browser:
	@missing="$$(for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done)"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing: $$missing. Run: sudo apt-get install -y $$missing" >&2; exit 2; fi; fi

test: $(DEV) browser
	.venv/bin/pytest -q

# The edit loop: everything but the tests marked slow (real model, Ray cluster, browser).
test-fast: $(DEV)
	.venv/bin/pytest -q -m "not slow"

bench: $(DEV)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/ray_embed.py --texts 2000 --repeat 2

bench-scale: $(DEV)
	$(PY) benchmarks/scale.py

lint: $(DEV)
	.venv/bin/ruff check compare tests benchmarks

clean:
	rm -rf .venv narrative.duckdb
