# latentlaw: `make demo` sets up and runs the main job, `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PAPER := paper/01_trace_2x2,paper/02_det_2x2,paper/03_trace_3x3,paper/04_antisym_3x3,paper/05_trace_4x4,paper/06_field_tensor,paper/07_harmonic,paper/08_anharmonic,paper/09_sine,paper/10_exp_potential,paper/11_angular_momentum,paper/12_spacetime
PRESET ?= trainer=fast

.PHONY: setup store demo test test-all reproduce bench ui latent-field-study
# Parallel sweeps: JOBS jobs at once (joblib), each on one torch/BLAS thread so they do not oversubscribe.
JOBS ?= 2
PARALLEL := hydra/launcher=joblib hydra.launcher.n_jobs=$(JOBS) threads=1
ONE_THREAD := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MLFLOW_DISABLE_TELEMETRY=true
PORT ?= 5000

setup: $(VENV)/.installed

# torch first, pinned to the CPU wheel on local disk, so nothing else drags in a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test,bench,team,cluster]"
	$(PY) -m pip check
	touch $@

# The MLflow store, created once before parallel jobs write to it.
store: setup
	$(PY) scripts/init_store.py

demo: setup
	$(PY) train.py experiment=paper/07_harmonic trainer=fast
	$(PY) explain.py train_run=paper/07_harmonic searcher.timeout_in_seconds=30

test: setup
	$(PY) -m pytest -m "not slow"

test-all: setup
	$(PY) -m pytest

# All 12 paper experiments: train, explain both ways, tabulate; JOBS jobs at a time.
# PRESET= SEARCH= for the paper's sizes and the default 60 s searches.
# Explain's own per-neuron parallelism is off (n_jobs=1): the launcher already fills the cores.
# patience=10: a search stops once its selected expression has not changed for 10 iterations
# (15.8 min against 18.7 without, the same table or better; README "Reproducing the paper").
SEARCH ?= searcher.timeout_in_seconds=45 searcher.patience=10
reproduce: store
	$(ONE_THREAD) $(PY) train.py -m experiment=$(PAPER) $(PRESET) trainer.enable_progress_bar=false $(PARALLEL)
	$(ONE_THREAD) $(PY) explain.py -m train_run=$(PAPER) explainer=symbolic_gradient,direct_regression $(SEARCH) \
		searcher.verbosity=0 n_jobs=1 $(PARALLEL)
	$(PY) analyze.py experiments=[$(PAPER)]

# The quick benches (minutes each). Longer ones run by name: make latent-field-study;
# python bench/feynman.py (the full table: ~14 h on one core; --subset/--budget for a quick look).
QUICK_BENCHES := data_generation train_speed symbolic_eval_speed symbolic_backends symbolic_recovery \
	gplearn_gradient covertype_memory train_paper_fast
bench: setup
	for b in $(QUICK_BENCHES); do $(PY) bench/$$b.py || exit 1; done

# make ui PORT=5001: the local store on http://127.0.0.1:$(PORT)
ui: setup
	@echo "open http://127.0.0.1:$(PORT)/#/experiments?workflowType=machine_learning (MLflow's model-training view)"
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(VENV)/bin/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db \
		--host 127.0.0.1 --port $(PORT) --workers 1

# Latent vector fields on digits across latent sizes 2..64: train, explain, aggregate (bench/results/latent_field_study.md).
latent-field-study: setup
	nice -n 10 $(PY) bench/latent_field_study.py
