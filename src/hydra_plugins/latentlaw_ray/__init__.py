"""latentlaw's Ray launcher for Hydra (``hydra/launcher=ray``), see launcher.py."""
