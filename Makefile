# Stadsvraag — the two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
RASA_DATA := data/nlu data/rules data/stories
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: run run-prod test bootstrap audit train validate test-stories pytest lint services bench clean

## run: install what is missing, train if needed, start assistant, action server, chat widget, dashboard (SQLite)
run: train
	@$(BIN)/stadsvraag run

## run-prod: PostgreSQL (DATABASE_URL) + Redis lock store (REDIS_URL) + two Rasa replicas
run-prod: train
	@$(BIN)/stadsvraag run --prod

## test: install what is missing, audit the locked dependencies, train if needed, validate data,
## test stories, the pytest suite
test: bootstrap audit train services lint validate test-stories pytest

bootstrap:
	@scripts/bootstrap.sh

## audit: pip-audit of requirements.lock against the advisory database (docs/audit.md);
## AUDIT_REQUIRED=1 (production CI) fails when the database cannot be reached
audit:
	@scripts/audit.sh

train: bootstrap
	@$(BIN)/stadsvraag train

services:
	@scripts/ensure-browser.sh
	@scripts/ensure-services.sh

lint: bootstrap
	$(BIN)/ruff check bot actions tests bench
	$(BIN)/mypy

validate: bootstrap
	$(BIN)/rasa data validate --domain domain.yml --data $(RASA_DATA) --config config.yml

test-stories: train
	$(BIN)/rasa test core --model "$$($(BIN)/stadsvraag model-path)" --stories tests/stories \
		--fail-on-prediction-errors --out var/results/stories

pytest: bootstrap
	$(BIN)/pytest

## bench: measurements written to bench/results/ (not part of `make test`)
bench: train services
	@$(BIN)/python -c "import shutil,sys; sys.exit(0 if shutil.which('py-spy', path='$(BIN)') else 1)" \
		|| $(BIN)/pip install -q py-spy  # the profiler of bench/load.py --profile (bench only)
	$(BIN)/python bench/theme_cv.py
	$(BIN)/python bench/theme_real.py
	$(BIN)/python bench/neighbourhoods.py
	$(BIN)/python bench/structure_throughput.py
	$(BIN)/python bench/dispatcher_throughput.py
	$(BIN)/python bench/conversation_turns.py
	$(BIN)/python bench/conversation_set.py
	$(BIN)/python bench/queue_page.py
	$(BIN)/python bench/tracker_cost.py
	$(BIN)/python bench/load.py --users 1,10,50 --conversations 1000 --soak-seconds 600 --profile
	$(BIN)/rasa test nlu --model "$$($(BIN)/stadsvraag model-path)" --nlu tests/nlu --out bench/results/nlu

clean:
	rm -rf var/results .pytest_cache
