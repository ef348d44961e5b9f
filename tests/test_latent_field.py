"""Latent vector fields: analytic checks on linear maps, the explainer end to end, its refusals."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
import torch

from conftest import compose
from latentlaw.latent_space.attractors import find_attractors, merge
from latentlaw.latent_space.explore import FieldSettings, explore, summarise
from latentlaw.latent_space.field import iterate, latent_map
from latentlaw.tracking import record


class LinearAutoencoder(torch.nn.Module):
    """E(x) = A x, D(z) = B z + b, so f(z) = (A B) z + A b = M z + c with M chosen exactly."""

    def __init__(self, M: np.ndarray, n_features: int = 6, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        d = M.shape[0]
        B = rng.standard_normal((n_features, d))
        A = M @ np.linalg.pinv(B)  # A B = M B^+ B = M (B has full column rank)
        self.A = torch.as_tensor(A, dtype=torch.float32)
        self.B = torch.as_tensor(B, dtype=torch.float32)
        self.b = torch.as_tensor(rng.standard_normal(n_features), dtype=torch.float32)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.A.T

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.B.T + self.b


def _starts(n: int, d: int, scale: float = 3.0, seed: int = 1) -> torch.Tensor:
    return torch.as_tensor(np.random.default_rng(seed).normal(0, scale, (n, d)), dtype=torch.float32)


def test_contraction_has_one_attractor_at_the_analytic_fixed_point_with_the_analytic_spectrum():
    rng = np.random.default_rng(3)
    P = np.eye(3) + 0.3 * rng.standard_normal((3, 3))  # well-conditioned, not orthogonal
    eigenvalues = np.array([0.8, -0.5, 0.2])
    M = P @ np.diag(eigenvalues) @ np.linalg.inv(P)
    model = LinearAutoencoder(M)
    f = latent_map(model)
    c = (model.A.double() @ model.b.double()).numpy()
    z_star = np.linalg.solve(np.eye(3) - M, c)
    run = iterate(f, _starts(500, 3), tol=1e-10, max_steps=1000)
    assert run.converged.all()
    att = find_attractors(f, {"train": run}, cos_threshold=0.99)
    assert len(att) == 1 and att.basin("train").tolist() == [500]
    # Stopped once a step is < 1e-5, so the end point is within ~4e-5 of z* (rho 0.8); 1e-3 holds in float32 anywhere.
    np.testing.assert_allclose(att.points[0].double().numpy(), z_star, atol=1e-3)
    # Jacobian of a float32 linear map = M to ~1e-6 relative; eigenvalues of this P to 1e-3.
    np.testing.assert_allclose(np.sort(att.eigenvalues[0].real), np.sort(eigenvalues), atol=1e-3)
    np.testing.assert_allclose(att.eigenvalues[0].imag, 0, atol=1e-3)
    assert att.stable.tolist() == [True] and att.spectral_radius[0] == pytest.approx(0.8, abs=1e-3)


def test_rotation_contraction_has_complex_eigenvalues_of_the_right_modulus():
    angle, rho = 0.7, 0.9
    M = rho * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    model = LinearAutoencoder(M, seed=2)
    f = latent_map(model)
    run = iterate(f, _starts(200, 2), tol=1e-10, max_steps=1000)
    att = find_attractors(f, {"train": run})
    assert len(att) == 1
    np.testing.assert_allclose(np.abs(att.eigenvalues[0]), [rho, rho], atol=1e-3)
    np.testing.assert_allclose(np.sort(np.abs(np.angle(att.eigenvalues[0]))), [angle, angle], atol=1e-3)


def test_a_line_of_marginal_fixed_points_is_reported_as_not_attractors():
    model = LinearAutoencoder(np.diag([1.0, 0.5]), seed=4)
    model.b.zero_()  # f(z) = (z0, z1 / 2): every (z0, 0) is fixed, with |eigenvalue| 1 along the line
    f = latent_map(model)
    runs = {"train": iterate(f, _starts(300, 2), tol=1e-10, max_steps=2000)}
    att = find_attractors(f, runs)
    assert len(att) == 2  # (+z0, 0) and (-z0, 0): cosine +1 within each side, -1 across
    np.testing.assert_allclose(att.spectral_radius, 1.0, atol=1e-3)
    assert not att.stable.any()


def test_an_expanding_direction_does_not_converge():
    model = LinearAutoencoder(np.diag([1.5, 0.5]), seed=5)
    run = iterate(latent_map(model), _starts(100, 2), tol=1e-6, max_steps=3000)
    assert run.converged_fraction == 0.0


def test_trajectory_score_is_the_mean_distance_to_the_nearest_reference_and_finite_when_diverging():
    def f(z: torch.Tensor) -> torch.Tensor:
        return torch.stack([0.5 * z[:, 0], 2.0 * z[:, 1]], dim=1)

    run = iterate(f, torch.tensor([[4.0, 0.0], [1.0, 1.0]]), tol=1e-12, max_steps=2000, references=torch.zeros(1, 2))
    # (4, 0) halves towards the origin: distances 4, 2, 1, ... until the step is below 1e-6 (float32 exact halving).
    visited = run.steps[0]  # the start and every point before the converged one
    assert run.converged.tolist() == [True, False]
    assert run.mean_distance[0] == pytest.approx(8 * (1 - 0.5 ** visited) / visited, rel=1e-6)
    # (1, 1) doubles until its float32 squared step overflows (~2^64): a finite, huge score, still ranked.
    assert np.isfinite(run.mean_distance[1]) and run.mean_distance[1] > 1e15


def test_merge_groups_by_cosine():
    points = torch.tensor([[1.0, 0.0], [2.0, 0.01], [0.0, 1.0], [-1.0, 0.0], [0.0, 0.0]])
    reps, labels = merge(points, 0.99)
    assert labels.tolist() == [0, 0, 1, 2, 3] and reps.tolist() == [0, 2, 3, 4]


@pytest.mark.parametrize("kwargs, match", [
    ({"tol": 0.0}, "tolerance must be a positive"),
    ({"tol": float("nan")}, "tolerance must be a positive"),
    ({"max_steps": 0}, "step limit must be >= 1"),
    ({"n_train_starts": 0}, "n_train_starts must be >= 1"),
    ({"n_noise_starts": -5}, "start counts must be whole numbers"),
    ({"n_test_starts": 2.5}, "start counts must be whole numbers"),
    ({"cos_threshold": 1.0}, "cos_threshold must lie in"),
    ({"noise": "uniform"}, "noise must be one of"),
])
def test_settings_that_make_no_sense_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FieldSettings(**kwargs)


def test_memorisation_of_an_exact_copy_is_one_and_calibration_is_relative_to_heldout():
    from latentlaw.latent_space.memorisation import components_for_variance, memorisation

    rng = np.random.default_rng(0)
    train, heldout = rng.random((50, 8)), rng.random((20, 8))
    exact = memorisation(train[:5], train, heldout)
    assert exact.coefficient == pytest.approx(1.0) and exact.calibrated == pytest.approx(1.0)
    assert 0 < exact.baseline < 1
    like_heldout = memorisation(heldout, train, heldout)
    assert like_heldout.calibrated == pytest.approx(0.0, abs=1e-12)
    assert components_for_variance(np.outer(rng.random(30), rng.random(8))) == 1


def test_digits_are_offline_scaled_seeded_and_can_leave_classes_out():
    from latentlaw.data.digits import load_digits

    d = load_digits(seed=0)
    assert d.train.shape[1] == 64 and len(d.train) + len(d.val) + len(d.test) == 1797
    assert d.train.min() >= 0 and d.train.max() == 1.0 and d.image_shape == (8, 8)
    assert np.array_equal(load_digits(seed=0).test, d.test) and not np.array_equal(load_digits(seed=1).test, d.test)
    low = load_digits(classes=[0, 1, 2, 3, 4], seed=0)
    assert set(np.unique(low.labels["train"])) == {0, 1, 2, 3, 4} and len(low.outside) + len(low.train) + \
        len(low.val) + len(low.test) == 1797


# --- end to end on a private store ---------------------------------------------------------------

FAST_FIELD = ["explainer=latent_field", "explainer.starts.train=300", "explainer.starts.test=100",
              "explainer.starts.noise=200", "explainer.max_steps=300", "explainer.laws.timeout_in_seconds=3",
              "explainer.laws.niterations=5", "explainer.laws.n_samples=200"]


def _runs() -> list:
    return mlflow.search_runs(search_all_experiments=True, output_format="list")


@pytest.fixture(scope="module")
def digits_run(mlflow_store) -> dict:
    from latentlaw.tasks.train import train

    cfg = compose("train", ["dataset=digits", "model=autoencoder", "model.latent_size=2", "model.hidden=[32]",
                            "trainer.max_epochs=4", "trainer.enable_progress_bar=false", "latent_field_every=2"])
    return train(cfg, experiment="test/latent_field")


def test_callback_logs_a_curve_during_training(digits_run):
    client = mlflow.tracking.MlflowClient()
    for name in (record.LF_ATTRACTORS_METRIC, record.LF_MEMORISATION_CALIBRATED_METRIC):
        assert [m.step for m in client.get_metric_history(digits_run["run_id"], name)] == [1, 3]
    assert client.get_metric_history(digits_run["run_id"], record.LF_ATTRACTORS_METRIC)[-1].value >= 1


@pytest.fixture(scope="module")
def field_run(digits_run) -> dict:
    from latentlaw.tasks.explain import explain

    return explain(compose("explain", [f"train_run={digits_run['run_id']}", *FAST_FIELD]))


def test_explainer_logs_attractors_memorisation_dictionary_ood_and_laws(digits_run, field_run):
    out = field_run
    run = mlflow.get_run(out["run_id"])
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.parentRunId"] == digits_run["run_id"]
    assert run.data.tags[record.EXPLAINER] == record.EXPLAINER_LATENT_FIELD
    summary = mlflow.artifacts.load_dict(f"runs:/{out['run_id']}/{record.LATENT_FIELD_SUMMARY}")
    assert {"n_attractors", "converged_fraction", "memorisation", "memorisation_calibrated"} <= set(summary)
    assert summary["n_attractors"] == len(summary["attractors"]) >= 1
    assert sum(a["basin"]["train"] for a in summary["attractors"]) == round(
        summary["converged_fraction_by_start"]["train"] * summary["n_starts"]["train"])
    assert 0 < summary["memorisation_baseline"] < 1
    assert run.data.metrics[record.LF_MEMORISATION_METRIC] == pytest.approx(summary["memorisation"])
    assert {"trajectory", "knn"} <= set(summary["ood"]) and 0 <= summary["ood"]["trajectory"]["auroc"] <= 1
    assert len(summary["laws"]["equations"]) == 2 and len(summary["laws"]["root_distance"]) == summary["n_attractors"]
    files = {a.path for p in ("plots", "latent_field") for a in mlflow.artifacts.list_artifacts(run_id=out["run_id"],
                                                                                             artifact_path=p)}
    assert {record.LATENT_FIELD_STREAMPLOT, record.LATENT_FIELD_PCA, record.LATENT_FIELD_IMAGES,
            record.LATENT_FIELD_SUMMARY, record.LATENT_FIELD_ATTRACTORS, record.LATENT_FIELD_LAWS} <= files
    if "skipped" not in summary["dictionary"]:
        assert record.LATENT_FIELD_DICTIONARY in files
        assert summary["dictionary"]["sparsity"] == [0.05, 0.1, 0.25]


def test_study_report_reads_the_field_runs_back(digits_run, field_run, tmp_path):
    from latentlaw.latent_space.study import latent_field_report

    report = latent_field_report(None, log=False, out_dir=tmp_path)
    row = report["table"].set_index("field_run").loc[field_run["run_id"]]
    summary = field_run["latent_field"]
    assert row["latent_size"] == 2 and row["train_run"] == digits_run["run_id"]
    assert row["n_attractors"] == summary["n_attractors"]
    assert row["calibrated"] == pytest.approx(summary["memorisation_calibrated"], nan_ok=True)
    assert row["curve_points"] == 2  # the callback's two points (epochs 2 and 4)
    assert (tmp_path / record.LATENT_FIELD_STUDY_PLOT).stat().st_size > 0


def _refused(overrides: list[str], error: type, match: str) -> None:
    from latentlaw.tasks.explain import explain

    before = len(_runs())
    with pytest.raises(error, match=match):
        explain(compose("explain", overrides))
    assert len(_runs()) == before, "a refused explain must not create a run"
    assert not [r for r in _runs() if r.info.status == "RUNNING"]


@pytest.mark.parametrize("override, match", [
    ("explainer.starts.train=-1", "whole number >= 0"),
    ("explainer.tol=0", "tolerance must be a positive"),
    ("explainer.max_steps=0", "step limit must be >= 1"),
    ("explainer.ood.out=classes", "needs a run trained on some classes only"),
])
def test_bad_settings_are_refused_before_a_run(digits_run, override, match):
    _refused([f"train_run={digits_run['run_id']}", *FAST_FIELD, override], ValueError, match)


def test_a_siamese_run_is_refused_for_having_no_decoder(mlflow_store):
    from latentlaw.tasks.train import train

    siamese = train(compose("train", ["experiment=paper/07_harmonic", "dataset.n_train=200", "dataset.n_val=50",
                                      "dataset.n_test=50", "trainer.max_epochs=1",
                                      "trainer.enable_progress_bar=false"]), experiment="test/latent_field_siamese")
    _refused([f"train_run={siamese['run_id']}", *FAST_FIELD], ValueError, "has no decoder")


def test_a_run_whose_training_data_is_gone_is_refused(mlflow_store, tmp_path):
    from latentlaw.latent_space.training_data import TrainingDataError
    from latentlaw.tasks.train import train

    table = tmp_path / "rows.csv"
    rows = np.random.default_rng(0).random((120, 4))
    table.write_text("a,b,c,d\n" + "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows))
    run = train(compose("train", ["dataset=table_file", f"dataset.path={table}", "model=autoencoder",
                                  "model.latent_size=2", "model.hidden=[8]", "trainer.max_epochs=1",
                                  "trainer.enable_progress_bar=false"]), experiment="test/latent_field_gone")
    table.unlink()
    _refused([f"train_run={run['run_id']}", *FAST_FIELD], TrainingDataError, "cannot be rebuilt|failed")


def test_the_callback_refuses_a_siamese_model_before_training(mlflow_store):
    from latentlaw.tasks.train import train

    before = len(_runs())
    with pytest.raises(ValueError, match="needs model=autoencoder"):
        train(compose("train", ["experiment=paper/07_harmonic", "latent_field_every=1"]), experiment="test/x")
    assert len(_runs()) == before


def _fit_digits_autoencoder(n_train: int | None, epochs: int, batch_size: int):
    import pytorch_lightning as pl

    from latentlaw.data.datamodule import LatentDataModule
    from latentlaw.data.digits import load_digits
    from latentlaw.models import Autoencoder

    pl.seed_everything(0, verbose=False)
    data = load_digits(n_train=n_train, n_val=100, n_test=300, seed=0)
    model = Autoencoder(64, hidden=[128], latent_size=2, lr=1e-3, lr_patience=100_000)  # constant lr: fit to the end
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0, deterministic=True)
    trainer.fit(model, datamodule=LatentDataModule(data, batch_size, 0))
    return model.eval(), data


@pytest.mark.slow
def test_an_autoencoder_trained_long_on_few_digits_memorises_them():
    settings = FieldSettings(n_train_starts=2000, n_test_starts=300, n_noise_starts=500, max_steps=1000)
    few_model, few = _fit_digits_autoencoder(40, 2000, 64)  # 2,000 steps on 40 images
    all_model, full = _fit_digits_autoencoder(1397, 300, 64)  # ~6,600 steps on all the other 1,397 images
    few_field = summarise(explore(few_model, few.train, few.test, settings), settings)
    all_field = summarise(explore(all_model, full.train, full.test, settings), settings)
    # Memorising: the attractors decode closer to training images than unseen digits are (calibrated > 0),
    # by a margin (measured: 0.63 for 40 digits vs about -1 for all digits; 0.3 leaves room for other BLAS).
    assert few_field["memorisation_calibrated"] > 0.3
    assert few_field["memorisation_calibrated"] > all_field["memorisation_calibrated"] + 0.3
    close = [a["nearest_training_cosine"] for a in few_field["attractors"] if a["nearest_training_cosine"] is not None]
    assert np.mean(np.array(close) > few_field["memorisation_baseline"]) > 0.5


@pytest.mark.parametrize("decoupled", [False, True])
def test_weight_decay_is_adams_l2_unless_decoupled(decoupled):
    from latentlaw.models import Autoencoder

    model = Autoencoder(4, hidden=[3], latent_size=2, lr=0.01, weight_decay=0.1, decoupled_weight_decay=decoupled)
    optimizer = model.configure_optimizers()["optimizer"]
    before = [p.detach().clone() for p in model.parameters()]
    for p in model.parameters():
        p.grad = torch.zeros_like(p)  # no data gradient: only the decay moves the weights
    optimizer.step()
    w0, w1 = before[0], next(model.parameters()).detach()
    if decoupled:  # AdamW: w <- w (1 - lr wd)
        torch.testing.assert_close(w1, w0 * (1 - 0.01 * 0.1))
    else:  # Adam: the L2 gradient wd*w is normalised, so every weight moves by ~lr against its sign
        torch.testing.assert_close(w1, w0 - 0.01 * torch.sign(w0), atol=1e-6, rtol=0)


def test_out_of_distribution_rows_are_the_left_out_classes_else_noisy_test_rows():
    from omegaconf import OmegaConf

    from latentlaw.data.digits import load_digits
    from latentlaw.tasks.latent_field import out_of_distribution, plan_from

    def plan(out: str):
        return plan_from(OmegaConf.create({"seed": 0, "explainer": {"ood": {"out": out, "noise_std": 0.2}}}))

    low = load_digits(classes=[0, 1, 2, 3, 4])
    rows, kind = out_of_distribution(low, plan("auto"))
    assert rows.shape == low.outside.shape and "classes" in kind
    rows, kind = out_of_distribution(low, plan("noise"))
    assert rows.shape == low.test.shape and "noise" in kind
    assert 0.15 < float(np.std(rows - low.test)) < 0.25  # the noise asked for, not the held-out classes
    with pytest.raises(ValueError, match="needs a run trained on some classes only"):
        out_of_distribution(load_digits(), plan("classes"))
    with pytest.raises(ValueError, match="ood.out must be one of"):
        plan("elsewhere")
