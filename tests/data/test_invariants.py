"""The 12 invariant datasets: shapes, ground truth, invariance, bounds, seeding and errors."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import sympy
from scipy import stats

from latentlaw.data import dynamics, matrices, relativity
from latentlaw.data.base import DataError, TripletDataset
from latentlaw.data.invariants import INVARIANTS, get_invariant, list_invariants, make_invariant_dataset
from latentlaw.symbolic.parse_sympy import parse_sympy

ROOT = Path(__file__).resolve().parents[2]
NAMES = list_invariants()
SIZES = dict(n_train=3000, n_val=20, n_test=200)
U32 = 2.0**-24  # float32 unit roundoff

VARIABLES = {
    "trace_2x2": ["A11", "A12", "A21", "A22"],
    "det_2x2": ["A11", "A12", "A21", "A22"],
    "trace_3x3": [f"A{i}{j}" for i in range(1, 4) for j in range(1, 4)],
    "antisym_3x3": [f"A{i}{j}" for i in range(1, 4) for j in range(1, 4)],
    "trace_4x4": [f"A{i}{j}" for i in range(1, 5) for j in range(1, 5)],
    "field_tensor": ["E1", "E2", "E3", "B1", "B2", "B3"],
    "harmonic": ["x", "v"],
    "anharmonic": ["x", "v"],
    "sine": ["x", "v"],
    "exp_potential": ["x", "v"],
    "angular_momentum": ["x1", "x2", "v1", "v2"],
    "spacetime": ["t", "x1", "x2", "x3"],
}


@lru_cache(maxsize=None)
def small(name: str, seed: int = 0) -> TripletDataset:
    return make_invariant_dataset(name, **SIZES, seed=seed)


def rounding_scale(name: str, x: np.ndarray) -> np.ndarray:
    """sum_j |dI/dx_j * x_j| per row and invariant: what float32 rounding of x can move I by, / U32."""
    entry = INVARIANTS[name]
    symbols = [sympy.Symbol(v) for v in entry.variables]
    x = np.asarray(x, dtype=np.float64)
    scales = []
    for expr in entry.expressions():
        terms = [sympy.lambdify(symbols, sympy.diff(expr, s) * s, "numpy")(*x.T) for s in symbols]
        scales.append(sum(np.abs(np.broadcast_to(t, x.shape[:1])) for t in terms))
    return np.stack(scales, axis=1)


def test_registry_holds_the_papers_twelve_in_order():
    assert NAMES == ["trace_2x2", "det_2x2", "trace_3x3", "antisym_3x3", "trace_4x4", "field_tensor", "harmonic",
                     "anharmonic", "sine", "exp_potential", "angular_momentum", "spacetime"]
    assert [INVARIANTS[n].paper_id for n in NAMES] == list(range(1, 13))
    assert all(INVARIANTS[n].description and "\n" not in INVARIANTS[n].description for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_names_and_dtype(name):
    ds = small(name)
    assert ds.name == name and ds.variables == VARIABLES[name]
    for split, n in (("train", SIZES["n_train"]), ("val", SIZES["n_val"]), ("test", SIZES["n_test"])):
        part = getattr(ds, split)
        for array in (part.anchor, part.positive, part.negative):
            assert array.shape == (n, len(VARIABLES[name])) and array.dtype == np.float32
    assert ds.ground_truth == list(INVARIANTS[name].ground_truth) and ds.description
    assert ds.heldout_inputs() is ds.test.anchor


@pytest.mark.parametrize("name", NAMES)
def test_ground_truth_parses_over_exactly_the_named_variables(name):
    entry = INVARIANTS[name]
    expected_count = 2 if name in ("field_tensor", "angular_momentum") else 1
    assert len(entry.ground_truth) == expected_count
    allowed = {sympy.Symbol(v) for v in entry.variables}
    for text in entry.ground_truth:
        expr = parse_sympy(text, entry.variables, what="ground truth")
        assert expr.free_symbols and expr.free_symbols <= allowed, text


def test_two_invariant_datasets_list_the_papers_answer_first():
    x = {s: sympy.Symbol(s) for s in ("E1", "E2", "E3", "B1", "B2", "B3", "x1", "x2", "v1", "v2")}
    field, kepler = get_invariant("field_tensor").expressions(), get_invariant("angular_momentum").expressions()
    assert sympy.expand(field[0] - (x["E1"] * x["B1"] + x["E2"] * x["B2"] + x["E3"] * x["B3"])) == 0
    assert sympy.expand(kepler[0] - (x["x1"] * x["v2"] - x["x2"] * x["v1"])) == 0


@pytest.mark.parametrize("name", NAMES)
def test_positives_keep_the_invariant_up_to_float32_rounding(name):
    ds, entry = small(name), INVARIANTS[name]
    for part in (ds.train, ds.test):
        ia, ip = entry.evaluate(part.anchor), entry.evaluate(part.positive)
        # Input rounding to float32 moves I by at most U32 * sum|dI/dx x| per point (first order);
        # 2x that plus the dynamics' conservation tolerance bounds every honest pair.
        bound = 2 * U32 * (rounding_scale(name, part.anchor) + rounding_scale(name, part.positive))
        bound += dynamics.CONSERVATION_TOL * np.maximum(1.0, np.abs(ia))
        assert np.all(np.abs(ip - ia) <= bound), np.max(np.abs(ip - ia) / bound)
        # ... and relative to how much the invariant varies, the drift is negligible.
        assert np.max(np.abs(ip - ia) / ia.std(axis=0)) < 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_negatives_carry_a_different_invariant_from_the_same_distribution(name):
    ds, entry = small(name), INVARIANTS[name]
    part = ds.train
    ia, ip, ineg = (entry.evaluate(x) for x in (part.anchor, part.positive, part.negative))
    same, other = np.abs(ip - ia), np.abs(ineg - ia)
    # The first invariant separates negatives: typical gap vs. the largest positive drift.
    assert np.median(other[:, 0]) > 1e3 * same[:, 0].max()
    assert np.mean(other[:, 0] > 100 * same[:, 0].max()) > 0.9
    # Anchors and negatives are drawn alike, so no column tells them apart.
    for j in range(part.anchor.shape[1]):
        if np.ptp(part.anchor[:, j]) > 0:
            assert stats.ks_2samp(part.anchor[:, j], part.negative[:, j]).pvalue > 1e-4, (name, j)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    a = make_invariant_dataset(name, n_train=200, n_val=5, n_test=7, seed=3)
    b = make_invariant_dataset(name, n_train=200, n_val=5, n_test=7, seed=3)
    c = make_invariant_dataset(name, n_train=200, n_val=5, n_test=7, seed=4)
    for split in ("train", "val", "test"):
        for which in ("anchor", "positive", "negative"):
            x, y = getattr(getattr(a, split), which), getattr(getattr(b, split), which)
            assert x.tobytes() == y.tobytes()
            assert not np.array_equal(x, getattr(getattr(c, split), which))


def test_resizing_one_split_leaves_the_others_unchanged():
    a = make_invariant_dataset("anharmonic", n_train=100, n_val=10, n_test=10, seed=1)
    b = make_invariant_dataset("anharmonic", n_train=100, n_val=10, n_test=30, seed=1)
    assert np.array_equal(a.train.anchor, b.train.anchor) and np.array_equal(a.val.negative, b.val.negative)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(DataError, match="choose one of: trace_2x2, det_2x2.*spacetime"):
        make_invariant_dataset("trace_5x5")
    with pytest.raises(DataError, match="unknown invariant dataset"):
        make_invariant_dataset(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("sizes", [dict(n_train=0), dict(n_val=-5), dict(n_test=2.5), dict(n_train=True)])
def test_bad_sizes_are_refused_by_name(sizes):
    key = next(iter(sizes))
    with pytest.raises(DataError, match=f"{key} must be an integer >= 1"):
        make_invariant_dataset("harmonic", **sizes)


def test_bad_seed_is_refused():
    with pytest.raises(DataError, match="seed must be an integer >= 0"):
        make_invariant_dataset("harmonic", n_train=10, n_val=1, n_test=1, seed=-1)


# --- heavy tails: transformed values stay within the documented bounds ---------------------------------

@pytest.mark.parametrize("name,d", [("trace_2x2", 2), ("det_2x2", 2), ("trace_3x3", 3), ("trace_4x4", 4)])
def test_similarity_positives_are_bounded_by_the_condition_cap(name, d):
    part = small(name).train
    anchor, positive = (np.linalg.norm(x.reshape(-1, d, d).astype(np.float64), ord=2, axis=(1, 2))
                        for x in (part.anchor, part.positive))
    # ||M A M^-1||_2 <= cond(M) ||A||_2: the cap bounds every positive entry.
    assert np.all(positive <= matrices.MAX_COND * anchor * (1 + 1e-6))


def test_random_invertible_respects_the_cap_and_similarity_is_exact_in_float64():
    rng = np.random.default_rng(0)
    m = matrices.random_invertible(2000, 4, rng)
    assert m.min() >= 0 and m.max() <= 1
    assert np.linalg.cond(m).max() <= matrices.MAX_COND
    a = rng.uniform(0, 1, (2000, 4, 4))
    p = matrices.similarity(a, rng)
    assert np.abs(np.trace(p, axis1=1, axis2=2) - np.trace(a, axis1=1, axis2=2)).max() < 1e-12
    assert np.abs(np.linalg.det(p) - np.linalg.det(a)).max() < 1e-12


def test_det_dataset_fixes_the_trace_and_antisym_positives_stay_antisymmetric():
    for x in (small("det_2x2").train.anchor, small("det_2x2").train.positive, small("det_2x2").train.negative):
        assert np.allclose(x[:, 0] + x[:, 3], matrices.DET_TRACE, atol=1e-3)
    for x in (small("antisym_3x3").train.positive, small("antisym_3x3").train.negative):
        m = x.reshape(-1, 3, 3)
        assert np.abs(m + np.swapaxes(m, 1, 2)).max() < 1e-6


def test_random_orthogonal_and_lorentz_are_what_they_claim():
    rng = np.random.default_rng(0)
    q = matrices.random_orthogonal(500, 3, rng)
    assert np.allclose(np.swapaxes(q, 1, 2) @ q, np.eye(3), atol=1e-12)
    assert {-1.0, 1.0} == set(np.round(np.linalg.det(q)))
    assert np.allclose(np.linalg.det(matrices.random_orthogonal(500, 3, rng, proper=True)), 1.0)
    lam = relativity.random_lorentz(500, rng)
    eta = np.diag([1.0, -1.0, -1.0, -1.0])
    assert np.allclose(np.swapaxes(lam, 1, 2) @ eta @ lam, eta, atol=1e-12)
    assert np.all(lam[:, 0, 0] >= 1) and lam[:, 0, 0].max() <= 1 / np.sqrt(1 - relativity.BETA_MAX**2) + 1e-12


def test_lorentz_positives_are_bounded_by_the_speed_cap():
    gamma = 1 / np.sqrt(1 - relativity.BETA_MAX**2)
    growth = gamma * (1 + relativity.BETA_MAX)  # = e^rapidity: largest stretch of a vector or of (E, B)
    for name in ("spacetime", "field_tensor"):
        part = small(name).train
        before = np.linalg.norm(part.anchor.astype(np.float64), axis=1)
        assert np.all(np.linalg.norm(part.positive.astype(np.float64), axis=1) <= growth * before * (1 + 1e-6))


def test_kepler_points_avoid_the_centre_and_keep_speeds_bounded():
    e_max = 1.0 - 1.0 / np.sqrt(2.0)  # largest energy of a U[0,1]^4 start
    v_max = np.sqrt(2 * e_max + 2 / dynamics.KEPLER_R_MIN)
    for x in (small("angular_momentum").train.anchor, small("angular_momentum").train.positive):
        assert np.hypot(x[:, 0], x[:, 1]).min() >= dynamics.KEPLER_R_MIN * (1 - 1e-6)
        assert np.hypot(x[:, 2], x[:, 3]).max() <= v_max * (1 + 1e-6)


# --- dynamics: integration is accurate and the conserved quantities are conserved -------------------

def test_integrator_matches_the_harmonic_closed_form():
    rng = np.random.default_rng(0)
    y0, t = rng.uniform(0, 1, (2, 2000)), rng.uniform(0, 5, 2000)
    t[:10] = 0.0
    y, ok = dynamics.integrate(dynamics.HARMONIC.field, y0, t)
    assert ok.all()
    assert np.abs(y - dynamics.HARMONIC.flow(y0, t)[0]).max() < 1e-8
    assert np.array_equal(y[:, :10], y0[:, :10])


def test_integrator_finishes_durations_that_leave_a_sliver_of_a_step():
    t = np.array([0.01, 0.01 + 1e-17, 0.0100000001, 0.02 - 1e-16, 1e-15, 5.0])
    y, ok = dynamics.integrate(dynamics.HARMONIC.field, np.ones((2, t.size)), t)
    assert ok.all() and np.abs(y - dynamics.HARMONIC.flow(np.ones((2, t.size)), t)[0]).max() < 1e-9


def test_kepler_closed_form_matches_the_integrator_on_gentle_orbits():
    rng = np.random.default_rng(1)
    y0, t = rng.uniform(0.3, 1, (4, 1000)), rng.uniform(0, 5, 1000)
    exact, ok_exact = dynamics.KEPLER.flow(y0, t)
    numeric, ok_numeric = dynamics.integrate(dynamics.KEPLER.field, y0, t, rtol=1e-12, atol=1e-12)
    gentle = ok_numeric & (dynamics.max_drift(dynamics.KEPLER, y0, numeric) < 1e-10)
    energy = dynamics.KEPLER.conserved(y0)[1]
    assert ok_exact.all() and gentle.mean() > 0.9 and (energy > 0).any() and (energy < 0).any()
    assert np.abs(exact[:, gentle] - numeric[:, gentle]).max() < 1e-6


def test_stumpff_series_and_closed_forms_agree_at_the_switch():
    c, s = dynamics._stumpff(np.array([-1 - 1e-12, -1 + 1e-12, 1 - 1e-12, 1 + 1e-12, 0.0, 400.0, -25.0]))
    assert np.allclose(c[:2], c[0], rtol=1e-11) and np.allclose(s[2:4], s[2], rtol=1e-11)
    assert (c[4], s[4]) == (0.5, 1 / 6)
    assert np.isclose(c[5], (1 - np.cos(20)) / 400) and np.isclose(s[6], (np.sinh(5) - 5) / 125)


@pytest.mark.parametrize("system", ["ANHARMONIC", "SINE", "EXP_POTENTIAL", "KEPLER", "HARMONIC"])
def test_sampled_pairs_conserve_energy_and_momentum_in_float64(system):
    sys_ = getattr(dynamics, system)
    anchor, positive, dropped = dynamics.sample_pairs(sys_, 2000, np.random.default_rng(5))
    assert anchor.shape == positive.shape == (2000, 2 * sys_.dim)
    for ia, ip in zip(sys_.conserved(anchor.T), sys_.conserved(positive.T)):
        assert np.max(np.abs(ip - ia) / np.maximum(1.0, np.abs(ia))) < 2 * dynamics.CONSERVATION_TOL
    assert dropped <= (0.02 * 2000 if system == "KEPLER" else 0)


def test_pairs_are_two_distinct_times_of_one_trajectory():
    anchor, positive, _ = dynamics.sample_pairs(dynamics.ANHARMONIC, 500, np.random.default_rng(2))
    assert np.mean(np.abs(anchor - positive).max(axis=1) > 1e-3) > 0.95


# --- configs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_dataset_config_builds_the_dataset(name):
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    path = ROOT / "conf/dataset" / f"{name}.yaml"
    lines = path.read_text().splitlines()
    assert lines[0] == f"# {INVARIANTS[name].description}"
    cfg = OmegaConf.load(path)
    assert OmegaConf.to_container(cfg) == {"_target_": "latentlaw.data.invariants.make_invariant_dataset",
                                           "name": name, "n_train": 50000, "n_val": 5000, "n_test": 10000}
    ds = instantiate(cfg, n_train=5, n_val=2, n_test=3, seed=7)
    assert ds.name == name and len(ds.train) == 5 and len(ds.test) == 3
