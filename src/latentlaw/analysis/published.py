"""Published results the reports compare against, kept as data (not prose in code paths).

Two sources: the symbolic-gradients paper (tables 1-3 and appendix F) for the recovery table, and
the autoencoder + symbolic-regression write-up (seed 000) for feature usage and reconstruction.
The latter searched only 8 of 32 latents and counted a feature by substring (``x1`` also matched
``x10``..``x19``), so its counts are what it claimed, not what its method could establish.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- symbolic-gradients paper: which laws each method recovered, by experiment number -----------
PAPER_EXPERIMENTS = tuple(f"{i:02d}" for i in range(1, 13))
PAPER_SYMBOLIC_GRADIENT = set(PAPER_EXPERIMENTS)  # all 12
PAPER_DIRECT_REGRESSION = {"01", "02", "03", "04", "05", "07", "11"}  # 7 of 12


def paper_verdicts(experiment: str) -> tuple[bool | None, bool | None]:
    """(symbolic gradient, direct regression) as published, for paper/NN_* experiments."""
    name = experiment.rsplit("/", 1)[-1]
    if not experiment.startswith("paper/") or not name[:2].isdigit():
        return None, None
    return name[:2] in PAPER_SYMBOLIC_GRADIENT, name[:2] in PAPER_DIRECT_REGRESSION


# --- autoencoder write-up: feature usage and reconstruction -------------------------------------
@dataclass(frozen=True)
class Claim:
    """One published number, the data it was about and how it was obtained."""

    dataset: str  # "covertype" or "text"
    quantity: str
    value: str
    method: str


AUTOENCODER_CLAIMS: tuple[Claim, ...] = (
    Claim("covertype", "features never in any latent's formula", "17 of 54 (31%)",
          "8 of 32 latents searched; features counted by substring"),
    Claim("covertype", "most used features", "Elevation, Horizontal_Distance_To_Hydrology",
          "substring counts over 8 formulas"),
    Claim("covertype", "reconstruction-error law", "no latent-size term",
          "regression on one latent size"),
    Claim("text", "embedding dimensions never in any latent's formula", "343 of 384",
          "8 of 32 latents searched; dimensions counted by substring"),
    Claim("text", "reconstruction-error law", "min(std, 0.99217**d)", "regression across latent sizes d"),
)


def claims_for(dataset: str) -> list[Claim]:
    """The published claims about a dataset: the real Covertype, or text embedded by MiniLM (imdb,
    reviews). covertype_synthetic gets none: it is a stand-in with known structure, not the data
    the claims were made on."""
    kind = "covertype" if dataset == "covertype" else "text" if dataset in ("imdb", "reviews") else ""
    return [c for c in AUTOENCODER_CLAIMS if c.dataset == kind]
