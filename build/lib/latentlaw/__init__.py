"""latentlaw: closed-form interpretation of neural-network latent neurons, tracked in MLflow."""

__version__ = "0.1.0"
