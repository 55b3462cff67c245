# romformer -- make help lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
MODEL   ?= models/austen_byte.bin
LANES   ?= 32
SIM     ?= icarus
N       ?= 64
TEMP    ?= 0.8
TOPK    ?= 40
SEED    ?= 1
PROMPT  ?=
TOKENS  ?=
MODEL_NAME := $(basename $(notdir $(MODEL)))
BUILD   := build/models/$(MODEL_NAME)-L$(LANES)
PYTEST_ARGS ?=

export PYTHONPATH := $(CURDIR)

.PHONY: help bootstrap test sim compile eval bench clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables: MODEL=$(MODEL) LANES=$(LANES) SIM=$(SIM) N=$(N) TEMP=$(TEMP) TOPK=$(TOPK) SEED=$(SEED) PROMPT= TOKENS="

bootstrap: ## install system tools (apt-get as root) and the pinned .venv
	@scripts/bootstrap.sh

test: bootstrap ## run the test suite (what CI runs)
	@mkdir -p build/reports
	$(PY) -m pytest -n 2 --junitxml=build/reports/pytest.xml $(PYTEST_ARGS)

sim: bootstrap ## generate text with the embedded model (golden model; RTL pending)
	@echo "make sim: the RTL core is not built yet -- running the integer golden model only"
	$(PY) -m sim_models generate $(MODEL) --n $(N) --temperature $(TEMP) --top-k $(TOPK) --seed $(SEED) \
	  $(if $(PROMPT),--prompt "$(PROMPT)") $(if $(TOKENS),--tokens "$(TOKENS)")

compile: bootstrap ## compile MODEL into ROM images under build/models/
	$(PY) -m sim_models compile $(MODEL) --lanes $(LANES) --out $(BUILD)

eval: bootstrap ## float vs integer loss and agreement on the held-out text
	$(PY) -m sim_models eval models/austen_byte.bin --text models/heldout_austen.txt

bench: bootstrap ## benchmarks; results in docs/results.md
	$(PY) scripts/bench.py --out docs/results.md

clean: ## remove build outputs (keeps .venv)
	rm -rf build sim_build results.xml
