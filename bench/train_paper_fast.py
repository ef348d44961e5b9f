"""All 12 paper experiments trained with a preset: latent-vs-truth agreement and times.

Usage: python bench/train_paper_fast.py [--preset fast|paper] [--only 07_harmonic ...]
Prints the table, writes bench/results/train_paper_<preset>.md, logs to MLflow 'benchmarks'.
The training runs themselves go to the configured store like any train.py run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import os

    os.environ.setdefault("LATENTLAW_ROOT", str(ROOT))
    from hydra import compose, initialize_config_dir

    from latentlaw.tasks.train import train

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", choices=["fast", "paper"], default="fast")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    names = sorted(p.stem for p in (ROOT / "conf/experiment/paper").glob("*.yaml"))
    names = [n for n in names if not args.only or n in args.only]
    rows = []
    for name in names:
        overrides = [f"experiment=paper/{name}", f"seed={args.seed}", "trainer.enable_progress_bar=false"]
        if args.preset == "fast":
            overrides.append("trainer=fast")
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            cfg = compose(config_name="train", overrides=overrides)
        started = time.perf_counter()
        metrics = train(cfg, experiment=f"paper/{name}")
        seconds = time.perf_counter() - started
        rows.append((name, metrics["spearman_abs"], metrics["test_triplet_accuracy"], metrics["fit_seconds"], seconds))
        print(f"{name}: spearman_abs={metrics['spearman_abs']:.4f} total {seconds:.1f} s", flush=True)
    lines = [f"# Paper experiments, trainer preset `{args.preset}`, seed {args.seed}", "",
             "| experiment | spearman_abs | test triplet accuracy | fit s | total s |", "|---|---|---|---|---|"]
    lines += [f"| {n} | {s:.4f} | {a:.3f} | {f:.1f} | {t:.1f} |" for n, s, a, f, t in rows]
    passed = sum(s >= 0.9 for _, s, _, _, _ in rows)
    lines += ["", f"{passed}/{len(rows)} reach spearman_abs >= 0.9; total {sum(r[4] for r in rows):.0f} s."]
    from bench_log import publish

    publish(f"train_paper_{args.preset}", "\n".join(lines),
            {f"spearman_abs.{n}": s for n, s, *_ in rows} | {f"total_seconds.{n}": t for n, *_, t in rows})


if __name__ == "__main__":
    main()
