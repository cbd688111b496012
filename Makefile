# AuraStream Observability — developer entry points.
# `make demo` and `make test` work on a fresh clone with only python3, pip and make present.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench tools render generated clean lambda-rie collector

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pip install -q -e '.[service]'  # the reference service (in dev already)
	$(BIN)/aurastream-obs demo

# Debian's Prometheus and Alertmanager (promtool, amtool) for the integration tests.
tools:
	@bash scripts/install-tools.sh

collector:
	bash scripts/build-collector.sh

lint: $(STAMP)
	$(BIN)/ruff check instrumentation tests bench
	$(BIN)/ruff format --check instrumentation tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Generated artifacts are fresh and every tool accepts them.
generated: $(STAMP)
	$(BIN)/aurastream-obs render --check
	$(BIN)/aurastream-obs validate

render: $(STAMP)
	$(BIN)/aurastream-obs render

test: $(STAMP) tools collector lambda-rie lint typecheck generated
	$(BIN)/pytest -q -p no:cacheprovider tests

# Service throughput under wrk (telemetry off / local / otlp / the plain SDK way), per-request
# overhead, then Lambda cold start (whole process, side by side: needs hyperfine), then Lambda
# cold start under AWS's emulator and runtime client (when make lambda-rie has run). wrk and
# hyperfine come from Debian, installed when missing and running as root, else skipped.
bench: $(STAMP)
	-$(BIN)/pip install -q -e '.[bench]'  # the comparison baselines (optional)
	@if ! command -v hyperfine >/dev/null || ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq hyperfine wrk >/dev/null; \
	  fi; \
	fi
	@if command -v wrk >/dev/null; then \
	  $(BIN)/python bench/service_throughput.py --rounds 3; \
	else \
	  echo "bench/service_throughput.py skipped: wrk missing (apt-get install -y wrk as root)"; \
	fi
	$(BIN)/python bench/request_overhead.py
	@if command -v hyperfine >/dev/null; then \
	  $(BIN)/python bench/cold_start.py --runs 40; \
	else \
	  echo "bench/cold_start.py skipped: hyperfine missing (apt-get install -y hyperfine as root)"; \
	fi
	$(BIN)/python bench/lambda_invocation.py --rounds 3
	$(BIN)/python bench/metric_points.py --rounds 7
	@if [ -x .build/aws-lambda-rie ]; then \
	  $(BIN)/python bench/lambda_rie_cold_start.py --rounds 15; \
	else \
	  echo "bench/lambda_rie_cold_start.py skipped: run make lambda-rie (and make collector)"; \
	fi

# AWS Lambda Runtime Interface Emulator into .build/aws-lambda-rie (Go module proxy, cached) and
# the collector extension wrapper into .build/aurastream-lambda-extension.
lambda-rie:
	@bash scripts/build-lambda-rie.sh

clean:
	rm -rf $(VENV) .telemetry .mypy_cache .ruff_cache
