"""latentlaw's Optuna sweeper for Hydra (``hydra/sweeper=latentlaw_optuna``), see sweeper.py."""
