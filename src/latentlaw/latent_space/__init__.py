"""Diagnostics of a model's whole latent space rather than of one neuron.

``siamese``: how a Siamese network's latents track the known law. The rest is the latent vector
field of an autoencoder, f(z) = E(D(z)), V(z) = f(z) - z (Fumero et al., arXiv 2505.22785):
``field`` iterates f, ``attractors`` deduplicates and classifies its fixed points, ``memorisation``,
``dictionary`` and ``ood`` read what the attractors store, ``laws`` fits V in closed form,
``plots`` draws it, ``callback`` tracks it during training and ``study`` compares runs.
"""
