"""Peak memory and time of loading a full-size Covertype table (581,012 x 55) with the real loader.

The real file is not on this machine, so a synthetic one in covtype.data format is written first
(or pass --path to measure a real copy). The load runs in a fresh interpreter so the peak RSS
(resource.getrusage) counts only imports + parsing + splitting + standardising. Prints the table,
writes bench/results/covertype_memory.md and logs it to MLflow (experiment 'benchmarks') unless --no-log.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, resource, sys, time
started = time.perf_counter()
from latentlaw.data.covertype import load_covertype
imported = time.perf_counter()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
data = load_covertype(sys.argv[1])
done = time.perf_counter()
print(json.dumps({"rows": sum(len(getattr(data, s)) for s in ("train", "val", "test")),
                  "import_s": imported - started, "load_s": done - imported,
                  "rss_after_import_mb": base / 1024,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(path: Path) -> dict[str, float]:
    """Load ``path`` in a fresh interpreter and return its timings and peak RSS (Linux: KiB -> MiB).

    Linux carries a parent's peak RSS into a forked child's ru_maxrss, so this process stays small:
    it never loads or generates the table itself.
    """
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def write(path: Path) -> Path:
    """A full-size synthetic covtype.data[.gz], written by a child process (see ``measure``)."""
    code = "import sys; from latentlaw.data.covertype import write_covtype_file; write_covtype_file(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", type=Path, default=None, help="a real covtype.data[.gz]; default: write one")
    parser.add_argument("--no-log", action="store_true", help="do not write results or log to MLflow")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = [args.path] if args.path else []
        if not paths:
            for name in ("covtype.data", "covtype.data.gz"):
                started = time.perf_counter()
                paths.append(write(Path(tmp) / name))
                print(f"wrote {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for path in paths:
            rows.append((path.name, path.stat().st_size / 2**20, measure(path)))
    lines = ["# Covertype full-size load (real loader, fresh process)", "",
             "| file | size MB | rows | import s | load s | RSS after import MB | peak RSS MB |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {n} | {size:.0f} | {m['rows']:,} | {m['import_s']:.2f} | {m['load_s']:.2f} | "
              f"{m['rss_after_import_mb']:.0f} | {m['peak_rss_mb']:.0f} |" for n, size, m in rows]
    text = "\n".join(lines)
    print(text)
    if args.no_log:
        return
    out = ROOT / "bench/results/covertype_memory.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_log import log_benchmark

    metrics = {}
    for name, _, m in rows:
        key = name.replace(".", "_")
        metrics[f"{key}_load_s"] = m["load_s"]
        metrics[f"{key}_peak_rss_mb"] = m["peak_rss_mb"]
    log_benchmark("covertype_memory", metrics, out)


if __name__ == "__main__":
    main()
