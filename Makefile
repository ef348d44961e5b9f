# latentlaw: `make demo` sets up and runs the main job, `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PAPER := paper/01_trace_2x2,paper/02_det_2x2,paper/03_trace_3x3,paper/04_antisym_3x3,paper/05_trace_4x4,paper/06_field_tensor,paper/07_harmonic,paper/08_anharmonic,paper/09_sine,paper/10_exp_potential,paper/11_angular_momentum,paper/12_spacetime
PRESET ?= trainer=fast

.PHONY: setup demo test test-all reproduce bench ui latent-field-study

setup: $(VENV)/.installed

# torch first, pinned to the CPU wheel on local disk, so nothing else drags in a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test,bench]"
	# The Optuna sweeper pins optuna<3, whose storage breaks on SQLAlchemy 2: install it beside optuna 5.
	$(PY) -m pip install -q --no-deps hydra-optuna-sweeper==1.3.0
	touch $@

demo: setup
	$(PY) train.py experiment=paper/07_harmonic trainer=fast
	$(PY) explain.py train_run=paper/07_harmonic searcher.timeout_in_seconds=30

test: setup
	$(PY) -m pytest -m "not slow"

test-all: setup
	$(PY) -m pytest

# All 12 paper experiments: train, explain both ways, tabulate (~30 min on 2 cores).
# PRESET= SEARCH= for the paper's sizes and the default 60 s searches.
SEARCH ?= searcher.timeout_in_seconds=45
reproduce: setup
	$(PY) train.py -m experiment=$(PAPER) $(PRESET) trainer.enable_progress_bar=false
	$(PY) explain.py -m train_run=$(PAPER) $(SEARCH) searcher.verbosity=0
	$(PY) explain.py -m train_run=$(PAPER) explainer=direct_regression $(SEARCH) searcher.verbosity=0
	$(PY) analyze.py experiments=[$(PAPER)]

bench: setup
	for f in bench/*.py; do $(PY) $$f || exit 1; done

ui: setup
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(VENV)/bin/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db --host 127.0.0.1 --workers 1

# Latent vector fields on digits across latent sizes 2..64: train, explain, aggregate (bench/results/latent_field_study.md).
latent-field-study: setup
	nice -n 10 $(PY) bench/latent_field_study.py
