# The two commands: `make run` (local stack) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MOTO_PORT ?= 5000
PORT      ?= 8000
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: run test lint typecheck pytest token package bench clean jobs mail

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "pip>=24,<26.3"
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

## Start the local stack (embedded AWS, demo data, API on 127.0.0.1:$(PORT)) until Ctrl-C.
run: $(STAMP)
	MOTO_PORT=$(MOTO_PORT) PORT=$(PORT) $(BIN)/python -m local.stack

## Ruff, mypy on chalicelib/, then pytest (unit, functional, e2e).
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy chalicelib app.py

pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

## Mint a bearer token for the running local stack: make token TENANT=school USER=u-admin ROLE=admin
# USER is also the shell's login name: only a USER given on the command line counts.
token: $(STAMP)
	@if [ "$(origin USER)" != "command line" ] || [ -z "$(TENANT)" ] || [ -z "$(ROLE)" ]; then \
		echo "usage: make token TENANT=<tenant> USER=<user id> ROLE=admin|manager|sales [NAME=...]"; \
		exit 2; fi
	@$(BIN)/python -m local.tokens --tenant "$(TENANT)" --user "$(USER)" --role "$(ROLE)" \
		--name "$(NAME)"

## Build the CloudFormation template offline (no credentials needed) into out/.
package: $(STAMP)
	rm -rf out
	AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none $(BIN)/chalice package --stage prod --merge-template infra/template.json out/

bench: $(STAMP)
	$(BIN)/python bench/coldstart.py
	$(BIN)/python bench/dynamo_requests.py
	$(BIN)/python bench/settings_requests.py

clean:
	rm -rf $(VENV) out .local .pytest_cache .mypy_cache .ruff_cache

## Run every scheduled job once against the running local stack (reminders, work orders).
jobs: $(STAMP)
	MOTO_PORT=$(MOTO_PORT) $(BIN)/python -m local.jobs

## Print the latest emails the local stack's embedded SES sent: make mail [N=3]
mail: $(STAMP)
	MOTO_PORT=$(MOTO_PORT) $(BIN)/python -m local.mail -n $(or $(N),3)
