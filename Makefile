# Dasan: `make run` sets everything up and starts the server; `make test` sets up the same way and runs the tests.
# Both are idempotent: a second run skips what is done.
#
#   DASAN_SKIP_LLM=1 make run   leave out the local LLM (1.1 GB of weights, a 5-9 minute llama.cpp build)
#   DASAN_SAMPLE_DATA=false make run   no sample data (make run loads sample datasets, polls and a simulated
#                               sensor feed, each marked as a sample and loaded once; for real use turn it off)
#   PYTHON=python3.11           interpreter for the virtual environment
#   WHEEL_CACHE=DIR             where the built llama-cpp-python wheel is kept (shared by every checkout)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
WHEEL_CACHE ?= $(HOME)/.cache/dasan/wheels
# The CPU build of torch; a looser pin pulls a multi-GB CUDA build.
TORCH := torch==2.13.0
OPENAI_WHISPER := openai-whisper==20250625
LLAMA_VERSION := 0.3.36
# llama.cpp for any x86-64 CPU with AVX2, not -march=native: a native build on a CPU that reports AMX compiles the
# AMX tile kernels, and on virtual machines that do not let the guest use the tile state the first decode dies of a
# protection fault (seen on this project's machines).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_WHEELS := $(WHEEL_CACHE)/llama-avx2
# espeak-ng: fallback voice; chromium: the browser tests of the web pages; baresip: the SIP caller of the SIP test
SYSTEM_PACKAGES := espeak-ng chromium fonts-nanum fonts-noto-color-emoji baresip
export DASAN_SKIP_LLM ?=
SKIP_LLM := $(filter 1 true yes,$(DASAN_SKIP_LLM))
# Where this machine keeps wheels on disk (the CPU torch), when it does.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
INSTALL_STAMP := $(VENV)/.installed$(if $(SKIP_LLM),-nollm,)

.PHONY: run test setup system-packages python-packages models index llm-wheel clean help

help:
	@echo "make run    set up everything and start the Dasan server on http://127.0.0.1:8000"
	@echo "make test   set up everything and run the whole test suite"
	@echo "make clean  remove the virtual environment (model weights stay in the models directory)"

run: setup index
	DASAN_SAMPLE_DATA=$${DASAN_SAMPLE_DATA:-true} $(BIN)/dasan serve

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: system-packages python-packages models

system-packages:
	@missing=""; \
	for pkg in $(SYSTEM_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

python-packages: $(INSTALL_STAMP)

$(INSTALL_STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(FIND_LINKS) $(TORCH)
	$(PIP) install -q $(FIND_LINKS) -e '.[test,ray]'
	@# openai-whisper without triton (a GPU-only compiler); its other dependencies are dasan's own.
	$(PIP) install -q --no-deps $(OPENAI_WHISPER)
ifeq ($(SKIP_LLM),)
	@$(MAKE) --no-print-directory llm-wheel
	$(PIP) install -q --force-reinstall --no-deps --find-links $(LLAMA_WHEELS) --no-index llama-cpp-python==$(LLAMA_VERSION)
	$(PIP) install -q --find-links $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
endif
	@rm -f $(VENV)/.installed $(VENV)/.installed-nollm
	@touch $@

# llama-cpp-python ships as source only: build its wheel once and keep it, so a second install does not rebuild.
llm-wheel:
	@mkdir -p $(LLAMA_WHEELS)
	@if ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo "llama-cpp-python $(LLAMA_VERSION): using the cached wheel in $(LLAMA_WHEELS)"; \
	else \
	  echo "building llama-cpp-python $(LLAMA_VERSION) (about 5-9 minutes on 2 cores, once)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python -w $(LLAMA_WHEELS) \
	    llama-cpp-python==$(LLAMA_VERSION); \
	fi

models: python-packages
	$(BIN)/dasan models fetch

# The knowledge-base index, built before the server starts (a minute, once; `dasan index build --if-stale` skips an
# index that matches the knowledge base and the embedder).
index: models
	$(BIN)/dasan index build --if-stale

clean:
	rm -rf $(VENV) *.egg-info
