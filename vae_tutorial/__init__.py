"""vae_tutorial: the package behind the book "Variational autoencoders, step by step".

A house with floors; each imports only from the floors below it.

- The teaching files, each read beside its chapter: ``models`` (the autoencoder, the VAE and
  its conditional and convolutional kin, the judge), ``losses`` (reconstruction and KL),
  ``train`` (the five steps and the loop) and ``likelihood`` (the ELBO and log p(x)).
- The chapters' helpers: ``data`` (MNIST as tensors), ``fitting`` (the loop run for every
  epoch, with a seed and a history), ``latent``, ``metrics``, ``plots``, ``show``, ``bugs``
  (chapter 10), ``yardstick`` (chapter 13), ``exercises``.
- The recipes and the one cache: ``book`` (the book's named models and the judge) and ``runs``
  (``train_or_load``, checkpoints); ``widgets`` (everything a reader moves).
- ``support``: what everything uses (paths, the cache's files, IDX files, errors, messages,
  devices, seeds, input checks).
"""

import importlib

# name -> the module that defines it. Loaded on first use, not here: importing the package
# costs nothing until PyTorch is needed, so the command line can catch Ctrl-C while it loads.
_EXPORTS = {
    "Autoencoder": "models", "VAE": "models", "ModelConfig": "models",
    "TrainConfig": "train", "fit": "fitting",
    "train_or_load": "runs", "TrainedModel": "runs",
    "TutorialError": "support.errors", "DataError": "support.errors",
    "TrainingError": "support.errors", "ConfigError": "support.errors",
}
_MODULES = ("book", "bugs", "data", "exercises", "fitting", "latent", "likelihood", "losses",
            "metrics", "models", "plots", "runs", "show", "support", "train", "widgets",
            "yardstick")

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
