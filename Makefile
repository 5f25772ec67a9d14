# One venv, made by the targets that need it; nothing else is needed on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== validate the bundled valid samples (expect exit 0)"
	$(BIN)/kanta-archive validate samples/valid/
	@echo "== validate the bundled invalid samples as JSON findings (expect exit 1)"
	$(BIN)/kanta-archive validate samples/invalid/ --format json > demo-findings.json; test $$? -eq 1
	@echo "   findings written to demo-findings.json"
	@echo "== list the bundled schemas"
	$(BIN)/kanta-archive schemas list
	@echo "== archive the valid samples into demo-archive/ and query one client"
	rm -rf demo-archive
	$(BIN)/kanta-archive archive samples/valid/ --store demo-archive
	$(BIN)/kanta-archive query --store demo-archive --client 150612A904S --format text

# Headless Chromium renders the commissioning-test report in tests/e2e (Debian's package).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

test: $(STAMP) browser
	$(BIN)/ruff check kanta_archive tests benchmarks
	$(BIN)/ruff format --check kanta_archive tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -n auto -q

bench: $(STAMP)
	$(BIN)/python benchmarks/validate.py

clean:
	rm -rf $(VENV) build dist *.egg-info demo-findings.json demo-archive
