"""Create the tracking store (and its default experiment) before parallel jobs start, so two jobs
never race to create the same sqlite tables: python scripts/init_store.py [tracking uri]."""

import sys
from pathlib import Path

from latentlaw.tracking import configure_tracking

if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    configure_tracking(sys.argv[1] if len(sys.argv) > 1 else None, root)
    print(f"tracking store ready: {__import__('mlflow').get_tracking_uri()}")
