"""vae_tutorial: the package behind the book "Variational autoencoders, step by step".

The teaching files, each read beside its chapter: ``data`` (MNIST as tensors), ``models`` (the
autoencoder and the VAE), ``losses`` (reconstruction and KL), ``train`` (the five-step loop) and
``likelihood`` (the ELBO and log p(x)). What the chapters call to see and measure: ``book`` (the
book's named models), ``latent``, ``metrics``, ``plots``, ``widgets``. Everything else, from
data sources to the cache and the browser widgets, is in ``support``.
"""

import importlib

# name -> the module that defines it. Loaded on first use, not here: importing the package
# costs nothing until PyTorch is needed, so the command line can catch Ctrl-C while it loads.
_EXPORTS = {
    "Autoencoder": "models", "VAE": "models", "ModelConfig": "models",
    "TrainConfig": "train", "fit": "train",
    "train_or_load": "support.runs", "TrainedModel": "support.runs",
    "TutorialError": "support.errors", "DataError": "support.errors",
    "TrainingError": "support.errors", "ConfigError": "support.errors",
}
_MODULES = ("book", "data", "latent", "likelihood", "losses", "metrics", "models", "plots", "show",
            "support", "train", "widgets")

__all__ = list(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, *_MODULES])
