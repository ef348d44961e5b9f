"""Are the attractors a dictionary? Sparse-code held-out data over them and over a random basis."""

from __future__ import annotations

import numpy as np


def random_orthogonal_atoms(n_features: int, n_atoms: int, seed: int) -> np.ndarray:
    """(n_features, min(n_atoms, n_features)) orthonormal columns from a seeded QR: the baseline."""
    k = min(int(n_atoms), int(n_features))
    gaussian = np.random.default_rng(seed).standard_normal((n_features, k))
    q, r = np.linalg.qr(gaussian)
    return q * np.sign(np.diag(r))


def omp_mse(atoms: np.ndarray, rows: np.ndarray, n_nonzero: int) -> float:
    """MSE of ``rows`` (n, D) rebuilt from ``n_nonzero`` of the unit-normed ``atoms`` (D, k) by
    orthogonal matching pursuit (scikit-learn's), no intercept: the atoms must carry everything."""
    from sklearn.linear_model import orthogonal_mp

    unit = atoms / np.maximum(np.linalg.norm(atoms, axis=0, keepdims=True), 1e-12)
    n_nonzero = max(1, min(int(n_nonzero), unit.shape[1]))
    codes = orthogonal_mp(unit, rows.T, n_nonzero_coefs=n_nonzero)
    codes = codes.reshape(unit.shape[1], -1)
    return float(np.mean((unit @ codes - rows.T) ** 2))


def dictionary_table(attractor_rows: np.ndarray, heldout_rows: np.ndarray, sparsities: list[float],
                     seed: int) -> dict[str, list]:
    """One row per sparsity (a share of the atoms): MSE over the decoded attractors vs a random
    orthogonal basis with as many atoms (capped at the data's dimension) and the same number of
    non-zeros. ``attractors_win`` is True where the attractors' MSE is lower."""
    bad = [s for s in sparsities if not 0 < float(s) <= 1]
    if bad:
        raise ValueError(f"dictionary sparsities are shares of the atoms in (0, 1], got {bad}; the paper uses 0.05.")
    atoms = np.asarray(attractor_rows, dtype=np.float64).T
    baseline = random_orthogonal_atoms(atoms.shape[0], atoms.shape[1], seed)
    table: dict[str, list] = {"sparsity": [], "n_atoms": [], "n_nonzero": [], "attractor_mse": [],
                              "orthogonal_mse": [], "attractors_win": []}
    for share in sparsities:
        n_nonzero = max(1, int(round(float(share) * atoms.shape[1])))
        a, b = omp_mse(atoms, heldout_rows, n_nonzero), omp_mse(baseline, heldout_rows, n_nonzero)
        for key, value in zip(table, (float(share), atoms.shape[1], n_nonzero, a, b, bool(a < b))):
            table[key].append(value)
    return table
