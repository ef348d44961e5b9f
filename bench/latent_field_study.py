"""Latent vector fields on digits across latent sizes: train (callback on), explain, aggregate.

    python bench/latent_field_study.py            # or: make latent-field-study

Trains one MLP autoencoder per latent size with a Hydra multirun (the latent-field callback logs
attractors and memorisation every EVERY epochs), runs explain.py explainer=latent_field on each,
then latentlaw.latent_space.study.latent_field_report; writes bench/results/latent_field_study.{md,png}.
Everything goes to the MLflow experiment ``latent_field_study``. Timed as a whole; the load average
is recorded because the cores are shared.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench_log import ROOT, publish

SIZES = [2, 4, 8, 16, 32, 64]
EPOCHS = 400
EVERY = 40
N_TRAIN = 200  # a small training set, where memorisation is possible at all (see README)
EXPERIMENT = "latent_field_study"
TRAIN = ["dataset=digits", f"dataset.n_train={N_TRAIN}", "model=autoencoder", "model.weight_decay=1e-4",
         "model.lr_patience=1000", f"trainer.max_epochs={EPOCHS}", f"latent_field_every={EVERY}",
         "trainer.enable_progress_bar=false", "loader.batch_size=32",
         f"tracking.experiment_name={EXPERIMENT}"]
FIELD = ["explainer=latent_field", "explainer.starts.train=1500", "explainer.starts.test=500",
         "explainer.starts.noise=1000", f"tracking.experiment_name={EXPERIMENT}"]


def _python(script: str, args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run([sys.executable, str(ROOT / script), "-m", *args], cwd=ROOT, env=env, check=True)


def _trained_since(started_ms: int) -> list[str]:
    import mlflow

    from latentlaw.tracking import configure_tracking, record

    configure_tracking(None, ROOT, EXPERIMENT)
    query = record.search_filter({record.TASK: record.TASK_TRAIN}) + " and attributes.status = 'FINISHED'"
    query += f" and attributes.start_time >= {started_ms}"
    runs = mlflow.search_runs(filter_string=query, output_format="list",
                              experiment_ids=[mlflow.get_experiment_by_name(EXPERIMENT).experiment_id])
    return [r.info.run_id for r in runs]


def main() -> None:
    from latentlaw.latent_space.study import latent_field_report

    load_before = os.getloadavg()
    started, started_ms = time.perf_counter(), int(time.time() * 1000)
    _python("train.py", [*TRAIN, "seed=0", "model.latent_size=" + ",".join(map(str, SIZES))])
    trained = time.perf_counter() - started
    runs = _trained_since(started_ms)
    _python("explain.py", [*FIELD, "train_run=" + ",".join(runs)])
    result = latent_field_report(EXPERIMENT, log=True, out_dir=ROOT / "bench" / "results", train_runs=runs)
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()
    text = "\n".join([
        "# Latent vector fields on digits, by latent size",
        "",
        f"`python bench/latent_field_study.py`: MLP autoencoders 64-128-d on scikit-learn's digits ({N_TRAIN} train "
        f"rows, 179 test), Adam lr 1e-3 (constant) with weight decay 1e-4 (Adam's L2), batch 32, {EPOCHS} "
        f"epochs, seed 0; callback every {EVERY} epochs; latent field from every train latent, 179 test latents and "
        "1,000 N(0, I) starts, "
        "tol 1e-6, 3,000 steps, cosine 0.99.",
        "",
        result["markdown"],
        "",
        f"Wall time {seconds / 60:.1f} min (training with callbacks {trained / 60:.1f} min), run under nice on 2 shared "
        f"cores; 1-min load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end.",
        "",
        "![study](latent_field_study.png)",
    ])
    publish("latent_field_study", text, {"seconds": seconds, "spearman_size_calibrated": result["spearman"]}, log=False)


if __name__ == "__main__":
    main()
