"""Explainers: turn one latent neuron of a trained model into a closed-form expression."""
