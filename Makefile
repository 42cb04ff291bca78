# Thin verbs over scripts/ and the `bookiji` command line.
SHELL := /bin/bash
BIN := .venv/bin
BOOKIJI := $(BIN)/bookiji

.PHONY: help bootstrap up down demo clients deploy test lint fmt bench chaos db-start db-stop db-status db-reset db-psql db-dump seed fuzz

help:
	@echo "make up        install what is missing, start the whole stack (Ctrl-C stops it)"
	@echo "make test      install what is missing, lint, run the test suite"
	@echo "make demo      the README's walk-through against the running stack (make up first)"
	@echo "make clients   regenerate the typed clients in clients/ from a fresh deploy's OpenAPI"
	@echo "make down      stop the stack and the embedded cluster"
	@echo "make chaos     the chaos tests at 3x size (kill -9, Stripe outage, Postgres restart, reconcile)"
	@echo "make lint      sqlfluff, ruff, mypy, plpgsql_check"
	@echo "make fuzz     schemathesis, 100 examples per operation x 4 roles"
	@echo "make db-reset  drop and rebuild the development database"
	@echo "make db-dump   rewrite db/schema.sql from a fresh deploy"
	@echo "make seed N=100000  load N generated Montreal providers"

bootstrap:
	@scripts/bootstrap.sh

up: bootstrap
	@scripts/build-web.sh
	@$(BOOKIJI) up

demo: bootstrap
	@$(BOOKIJI) demo

clients: bootstrap
	@$(BOOKIJI) clients

down: bootstrap
	@$(BOOKIJI) down

deploy: bootstrap
	@$(BOOKIJI) deploy

test: bootstrap
	@scripts/test.sh

lint: bootstrap
	@scripts/lint.sh

fmt: bootstrap
	@$(BIN)/ruff format worker realtime bookiji db/seed bench scripts tests
	@$(BIN)/ruff check --fix worker realtime bookiji db/seed bench scripts tests

bench: bootstrap
	@$(BOOKIJI) bench

chaos: bootstrap
	@scripts/chaos.sh

db-start: bootstrap
	@$(BOOKIJI) db start
db-stop: bootstrap
	@$(BOOKIJI) db stop
db-status: bootstrap
	@$(BOOKIJI) db status
db-reset: bootstrap
	@$(BOOKIJI) db reset
db-psql: bootstrap
	@$(BOOKIJI) db psql
db-dump: bootstrap
	@scripts/dump-schema.sh

seed: bootstrap
	@$(BOOKIJI) seed --providers $(or $(N),200)

fuzz: bootstrap
	@scripts/fuzz.sh
