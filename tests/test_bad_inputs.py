"""A catalogue of bad inputs: each is refused with a message naming the problem and the fix,
before any MLflow run is created or training starts, and leaves no run RUNNING.

One parametrised test walks the catalogue. Each case calls what the entry point calls (Hydra
compose + the task function, or the loader / engine / store API); a few go through the real CLI
in a subprocess to check the exit code. The entry points are Hydra mains, which exit 1 on any
exception, so an exception in-process is a non-zero exit from the CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, compose

TINY = ["dataset.n_train=200", "dataset.n_val=50", "dataset.n_test=50", "trainer.max_epochs=1",
        "trainer.enable_progress_bar=false"]


@dataclass
class Ctx:
    tmp: Path
    store: str
    train_run: str  # a finished training run in the store

    def train(self, *overrides: str) -> None:
        from latentlaw.tasks.train import train

        train(compose("train", [f"tracking.uri={self.store}", *TINY, *overrides]))

    def explain(self, *overrides: str) -> None:
        from latentlaw.tasks.explain import explain

        explain(compose("explain", [f"tracking.uri={self.store}", f"train_run={self.train_run}",
                                    "searcher.timeout_in_seconds=1", "searcher.verbosity=0", *overrides]))

    def analyze(self, *overrides: str) -> None:
        from latentlaw.tasks.analyze import analyze

        analyze(compose("analyze", [f"tracking.uri={self.store}", *overrides]))

    def file(self, name: str, content: bytes | str) -> Path:
        path = self.tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    def npz(self, name: str = "t.npz", **arrays: np.ndarray) -> Path:
        path = self.tmp / name
        np.savez(path, **arrays)
        return path

    def cli(self, script: str, *overrides: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MLFLOW_TRACKING_URI": self.store}
        return subprocess.run([sys.executable, str(ROOT / script), *overrides], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)


@dataclass
class Case:
    id: str
    run: Callable[[Ctx], object]
    problem: str  # regex the message must match: what is wrong
    fix: str  # regex the message must match: what to do
    cli: bool = False  # run() returns a CompletedProcess whose exit code and stderr are checked
    handled: bool = False  # not an error: the input is coped with (run() must succeed, its runs FINISHED)
    xfail: str | None = None  # a known gap, with the fix that closes it
    needs_permissions: bool = False  # file modes mean nothing to root
    slow: bool = False  # a subprocess that imports the whole stack (~20 s)


def _triplets(n: int = 40, d: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {r: rng.normal(size=(n, d)) for r in ("anchor", "positive", "negative")}


def _triplet_csv(ctx: Ctx, name: str, bad_cell: str | None = None) -> Path:
    lines = ["anchor_x,positive_x,negative_x"] + [f"{i},{i + 0.5},{-i}" for i in range(40)]
    if bad_cell is not None:
        lines[5] = f"{bad_cell},1,2"
    return ctx.file(name, "\n".join(lines) + "\n")


def _table_csv(ctx: Ctx, name: str, bad_cell: str | None = None) -> Path:
    lines = ["a,b,c"] + [f"{i},{i % 7},{i * 0.1}" for i in range(60)]
    if bad_cell is not None:
        lines[7] = f"1,{bad_cell},3"
    return ctx.file(name, "\n".join(lines) + "\n")


def _truncated_npz(ctx: Ctx) -> Path:
    whole = ctx.npz("whole.npz", **_triplets()).read_bytes()
    return ctx.file("cut.npz", whole[: len(whole) // 2])


def _table(ctx: Ctx, path: Path, *extra: str) -> None:
    ctx.train("dataset=table_file", f"dataset.path={path}", "model=autoencoder", "dataset.n_train=null",
              "dataset.n_val=null", "dataset.n_test=null", *extra)


def _trip(ctx: Ctx, path: Path, *extra: str) -> None:
    ctx.train("dataset=triplet_file", f"dataset.path={path}", "dataset.n_train=null", "dataset.n_val=null",
              "dataset.n_test=null", *extra)


def _search(**kwargs: object) -> Callable[[Ctx], object]:
    """SymbolicSearch(...).fit on 50 rows of x, v with the given constructor/fit arguments."""
    def run(ctx: Ctx) -> object:
        from latentlaw.symbolic import SymbolicSearch

        rng = np.random.default_rng(0)
        fit = {"X": rng.normal(size=(50, 2)), "variable_names": ["x", "v"]}
        fit["gradients"] = fit["X"].copy()
        for key in ("X", "gradients", "variable_names", "resume_from"):
            if key in kwargs:
                fit[key] = kwargs.pop(key)  # type: ignore[assignment]
        settings = {"objective": "gradient", "timeout_in_seconds": 1, "verbosity": 0, **kwargs}
        resume = fit.pop("resume_from", None)
        if resume is not None:
            settings["resume_from"] = resume
        return SymbolicSearch(**settings).fit(fit["X"], gradients=fit["gradients"],
                                              variable_names=fit["variable_names"])
    return run


def _open_read_only(made_read_only: Path, db: Path) -> object:
    """configure_tracking on ``db`` while ``made_read_only`` (the db or a folder above it) is read-only."""
    from latentlaw.tracking import configure_tracking

    mode = made_read_only.stat().st_mode
    made_read_only.chmod(mode & 0o555)
    try:
        return configure_tracking(f"sqlite:///{db}", ROOT)
    finally:
        made_read_only.chmod(mode)


def _read_only_store(ctx: Ctx) -> object:
    folder = ctx.tmp / "ro"
    folder.mkdir()
    return _open_read_only(folder, folder / "sub" / "mlflow.db")


def _read_only_db(ctx: Ctx) -> object:
    db = ctx.file("mlflow.db", Path(ctx.store[len("sqlite:///"):]).read_bytes())
    return _open_read_only(db, db)


def _not_a_database(ctx: Ctx) -> object:
    from latentlaw.tracking import configure_tracking

    return configure_tracking(f"sqlite:///{ctx.file('mlflow.db', 'this is not sqlite' * 100)}", ROOT)


def _deleted_experiment(ctx: Ctx) -> object:
    import mlflow

    from latentlaw.tracking import configure_tracking

    configure_tracking(ctx.store, ROOT, experiment_name="doomed")
    mlflow.delete_experiment(mlflow.get_experiment_by_name("doomed").experiment_id)
    ctx.train("tracking.experiment_name=doomed")
    return None


def _locked_store(ctx: Ctx) -> object:
    """Another process holds the database write-locked for 3 s while a run is logged."""
    import sqlite3
    import threading

    import mlflow

    from latentlaw.tracking import configure_tracking, tracked_run

    configure_tracking(ctx.store, ROOT, experiment_name="locked")
    holder = sqlite3.connect(ctx.store[len("sqlite:///"):], timeout=30, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(3.0, holder.rollback)
    release.start()
    with tracked_run("while-locked") as run:
        mlflow.log_metrics({"a": 1.0, "b": 2.0})
    release.join()
    holder.close()
    return run


def _resume_wrong_task(ctx: Ctx) -> object:
    return ctx.explain(f"resume={ctx.train_run}")


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _without_ray(ctx: Ctx) -> object:
    """explain with parallel.backend=ray where Ray is not installed (its import fails)."""
    saved = sys.modules.get("ray")
    sys.modules["ray"] = None  # type: ignore[assignment]  # `import ray` raises ImportError
    try:
        return ctx.explain("parallel.backend=ray")
    finally:
        if saved is None:
            sys.modules.pop("ray", None)
        else:
            sys.modules["ray"] = saved


def _sweep_on_unreachable_ray(ctx: Ctx) -> subprocess.CompletedProcess:
    return ctx.cli("train.py", "-m", "seed=0,1", *TINY, "hydra/launcher=ray",
                   f"hydra.launcher.ray.init.address=127.0.0.1:{_closed_port()}", f"hydra.sweep.dir={ctx.tmp}/multirun")


CASES = [
    # --- configs (train.py) ---------------------------------------------------------------------
    Case("cli-unknown-dataset", lambda c: c.cli("train.py", "dataset=nope"), r"dataset/nope",
         r"Available options", cli=True),
    Case("cli-unknown-key", lambda c: c.cli("train.py", "learning_rate=0.1"), r"learning_rate",
         r"\+learning_rate", cli=True),
    Case("unknown-model", lambda c: c.train("model=transformer"), r"model/transformer", r"Available options"),
    Case("unknown-nested-key", lambda c: c.train("model.dropout=0.5"), r"dropout", r"\+model\.dropout"),
    Case("n-train-text", lambda c: c.train("dataset.n_train=many"), r"n_train.*'many'", r"integer"),
    Case("n-train-float", lambda c: c.train("dataset.n_train=2.5"), r"n_train.*2\.5", r"integer"),
    Case("n-train-zero", lambda c: c.train("dataset.n_train=0"), r"n_train.*0", r">= 1"),
    Case("seed-text", lambda c: c.train("seed=abc"), r"seed.*'abc'", r"integer"),
    Case("latent-size-zero", lambda c: c.train("model.latent_size=0"), r"latent_size", r">= ?1|positive|at least"),
    Case("hidden-negative", lambda c: c.train("model.hidden=[64,-3]"), r"hidden", r">= ?1|positive|at least"),
    Case("activation-unknown", lambda c: c.train("model.activation=swishy"), r"swishy", r"relu|tanh|choose"),
    Case("batch-size-zero", lambda c: c.train("loader.batch_size=0"), r"batch_size", r">= 1"),
    Case("batch-size-text", lambda c: c.train("loader.batch_size=big"), r"batch_size.*'big'", r"integer"),
    Case("threads-zero", lambda c: c.train("threads=0"), r"threads", r">= 1"),
    Case("max-epochs-negative", lambda c: c.train("trainer.max_epochs=-5"), r"max_epochs", r">= ?1|-1|positive"),
    Case("checkpoint-every-zero", lambda c: c.train("tracking.checkpoint_every_n_epochs=0"),
         r"checkpoint_every_n_epochs", r">= 1"),
    Case("model-data-mismatch", lambda c: c.train("model=autoencoder"), r"triplets", r"model=siamese"),
    Case("in-features-mismatch", lambda c: c.train("model.in_features=7"), r"in_features=7", r"in_features=null"),
    Case("missing-mandatory-path", lambda c: c.train("dataset=triplet_file"), r"dataset\.path",
         r"dataset\.path=|set it"),
    Case("resume-not-an-id", lambda c: c.train("resume=yesterday"), r"not an MLflow run id", r"pass the id"),
    Case("resume-unknown-run", lambda c: c.train(f"resume={'0' * 32}"), r"no MLflow run", r"check the id"),
    Case("resume-finished-run", lambda c: c.train(f"resume={c.train_run}"), r"already FINISHED",
         r"new run"),
    # --- data files ----------------------------------------------------------------------------
    Case("triplets-missing-file", lambda c: _trip(c, c.tmp / "nowhere.npz"), r"does not exist", r"should be"),
    Case("triplets-empty-file", lambda c: _trip(c, c.file("empty.npz", b"")), r"empty", r"\.npz|anchor"),
    Case("triplets-truncated", lambda c: _trip(c, _truncated_npz(c)), r"cannot read", r"anchor.*positive"),
    Case("triplets-wrong-keys", lambda c: _trip(c, c.npz(x=np.zeros((5, 2)), y=np.zeros((5, 2)))),
         r"missing array", r"needs arrays 'anchor'"),
    Case("triplets-wrong-shapes", lambda c: _trip(c, c.npz(anchor=np.zeros((9, 2)), positive=np.zeros((9, 3)),
                                                          negative=np.zeros((9, 2)))), r"one shape", r"anchor"),
    Case("triplets-3d", lambda c: _trip(c, c.npz(**{k: v.reshape(20, 2, 2) for k, v in _triplets(d=2).items()})),
         r"shape \(20, 2, 2\)", r"\(n, d\)"),
    Case("triplets-nan", lambda c: _trip(c, c.npz(**{**_triplets(), "negative": np.full((40, 2), np.nan)})),
         r"non-finite", r"clean or drop"),
    Case("triplets-enormous", lambda c: _trip(c, c.npz(**{**_triplets(), "anchor": np.full((40, 2), 1e300)})),
         r"too large for float32", r"rescale"),
    Case("triplets-csv-text", lambda c: _trip(c, _triplet_csv(c, "t.csv", "seven")), r"not numeric.*'seven'",
         r"encode it as numbers|drop it"),
    Case("triplets-csv-missing-role", lambda c: _trip(c, c.file("t2.csv", "anchor_x,positive_x\n1,2\n")),
         r"negative_x", r"anchor_, positive_ and negative_"),
    Case("triplets-bad-truth", lambda c: _trip(c, c.npz(**_triplets()), "dataset.ground_truth='x0+y9'"),
         r"y9", r"x0|variables"),
    Case("triplets-wrong-variable-count", lambda c: _trip(c, c.npz(**_triplets()), "dataset.variables=[a,b,c]"),
         r"3 variable names", r"one per column"),
    Case("table-empty-file", lambda c: _table(c, c.file("empty.csv", b"")), r"empty|No columns",
         r"header row"),
    Case("table-header-only", lambda c: _table(c, c.file("h.csv", "a,b,c\n")), r"no data rows|0 rows",
         r"at least"),
    Case("table-text-column", lambda c: _table(c, _table_csv(c, "tt.csv", "seven")), r"column 'b'.*not numeric",
         r"encode it as numbers|drop it"),
    Case("table-nan", lambda c: _table(c, _table_csv(c, "tn.csv", "")), r"column 'b'.*missing",
         r"clean or drop"),
    Case("table-enormous", lambda c: _table(c, _table_csv(c, "te.csv", "1e300")), r"too large for float32",
         r"rescale"),
    Case("table-unknown-column", lambda c: _table(c, _table_csv(c, "tu.csv"), "dataset.columns=[a,zz]"),
         r"zz", r"available columns"),
    Case("table-wrong-suffix", lambda c: _table(c, c.file("t.txt", "a\n1\n")), r"unsupported file type",
         r"\.csv"),
    Case("table-truncated-parquet", lambda c: _table(c, c.file("t.parquet", b"PAR1\x00\x00garbage")),
         r"cannot read", r"CSV or Parquet|re-?export|header"),
    # --- explain.py / analyze.py ---------------------------------------------------------------
    Case("cli-explain-unknown-run", lambda c: c.cli("explain.py", f"train_run={'f' * 32}"), r"no MLflow run",
         r"train_run=latest", cli=True, slow=True),
    Case("explain-untrained-experiment", lambda c: c.explain("train_run=never/trained"),
         r"no finished training run", r"train one first"),
    Case("explain-neuron-out-of-range", lambda c: c.explain("neurons=[5]"), r"out of range", r"0\.\.0"),
    Case("explain-bad-operator", lambda c: c.explain("searcher.unary_operators=[sinh2]"), r"sinh2",
         r"one of|choose|known"),
    Case("explain-maxsize-negative", lambda c: c.explain("searcher.maxsize=-1"), r"maxsize", r">="),
    Case("explain-n-samples-zero", lambda c: c.explain("explainer.n_samples=0"), r"n_samples", r">= ?1|at least"),
    Case("explain-resume-train-run", _resume_wrong_task, r"not a explain run|not an explain run",
         r"explain\.py run id"),
    Case("explain-upload-interval-zero", lambda c: c.explain("tracking.upload_fronts_every_seconds=0"),
         r"upload_fronts_every_seconds.*0", r"> 0"),
    Case("explain-resume-not-an-id", lambda c: c.explain("resume=last-night"), r"not an MLflow run id",
         r"pass the id"),
    Case("explain-parallel-unknown-backend", lambda c: c.explain("parallel.backend=dask"),
         r"parallel\.backend='dask'", r"loky.*ray"),
    Case("explain-ray-address-not-host-port", lambda c: c.explain("parallel.backend=ray", "parallel.ray_address=head"),
         r"parallel\.ray_address='head' is not host:port", r"ray start --head"),
    Case("explain-ray-unreachable", lambda c: c.explain("parallel.backend=ray",
                                                         f"parallel.ray_address=127.0.0.1:{_closed_port()}"),
         r"cannot reach the Ray cluster at 127\.0\.0\.1:\d+", r"ray start --head.*set parallel\.ray_address"),
    Case("explain-ray-not-installed", _without_ray, r"Ray is not installed", r'pip install -e "\.\[cluster\]"'),
    Case("cli-sweep-ray-unreachable", _sweep_on_unreachable_ray, r"cannot reach the Ray cluster at 127\.0\.0\.1:\d+",
         r"ray start --head.*set hydra\.launcher\.ray\.init\.address", cli=True),
    Case("analyze-unknown-experiment", lambda c: c.analyze("experiments=[never/explained]"),
         r"never/explained", r"explain\.py|run"),
    # --- the engine API ------------------------------------------------------------------------
    Case("search-nan-inputs", _search(X=np.full((50, 2), np.nan)), r"NaN|non-finite", r"drop|clean|remove"),
    Case("search-gradient-shape", _search(gradients=np.zeros((49, 2))), r"gradients.*shape.*\(49, 2\)",
         r"one gradient row per input row"),
    Case("search-variable-names", _search(variable_names=["x"]), r"variable_names has 1 name", r"one name per column"),
    Case("search-unknown-objective", _search(objective="likelihood"), r"likelihood", r"gradient.*regression|regression.*gradient"),
    Case("search-resume-missing", _search(resume_from="/nonexistent/front.csv"), r"does not exist",
         r"checkpoint CSV"),
    # --- the tracking store --------------------------------------------------------------------
    Case("store-read-only-folder", _read_only_store, r"cannot create|read-only", r"writable",
         needs_permissions=True),
    Case("store-read-only-db", _read_only_db, r"read-only", r"chmod u\+w|writable", needs_permissions=True),
    Case("store-locked-a-while", _locked_store, "", "", handled=True),
    Case("store-not-a-database", _not_a_database, r"not an? (sqlite|MLflow)|not a database", r"tracking\.uri"),
    Case("store-deleted-experiment", _deleted_experiment, r"deleted", r"mlflow experiments restore"),
]


@pytest.fixture(scope="module")
def ctx_base(mlflow_store: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    from latentlaw.tasks.train import train

    done = train(compose("train", [f"tracking.uri={mlflow_store}", *TINY]))
    return mlflow_store, done["run_id"]


def _all_runs() -> dict[str, str]:
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient()
    ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    return {r.info.run_id: r.info.status for r in client.search_runs(ids, run_view_type=ViewType.ALL,
                                                                       max_results=50000)}


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    if case.slow:
        marks.append(pytest.mark.slow)
    if case.needs_permissions:
        marks.append(pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions"))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input_is_refused_early_with_a_fix(case: Case, ctx_base, tmp_path, monkeypatch) -> None:
    import mlflow
    import pytorch_lightning as pl

    store, train_run = ctx_base
    ctx = Ctx(tmp_path, store, train_run)
    mlflow.set_tracking_uri(store)
    before = _all_runs()

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started before the bad input was refused")

    monkeypatch.setattr(pl.Trainer, "fit", no_training)
    if case.handled:
        run = case.run(ctx)
        assert mlflow.get_run(run.info.run_id).info.status == "FINISHED"
        assert set(_all_runs()) - set(before) == {run.info.run_id}
        return
    if case.cli:
        done = case.run(ctx)
        assert done.returncode != 0
        message = done.stderr + done.stdout
    else:
        with pytest.raises(Exception) as caught:
            case.run(ctx)
        assert not isinstance(caught.value, AssertionError), caught.value
        message = str(caught.value)
    assert re_search(case.problem, message), f"problem not named: {message[-2000:]}"
    assert re_search(case.fix, message), f"fix not named: {message[-2000:]}"
    mlflow.set_tracking_uri(store)
    after = _all_runs()
    created = set(after) - set(before)
    assert not created, f"runs created before the refusal: {created}"
    assert [r for r, s in after.items() if s == "RUNNING" and before.get(r) != "RUNNING"] == []


def re_search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text, flags=re.IGNORECASE | re.DOTALL) is not None
