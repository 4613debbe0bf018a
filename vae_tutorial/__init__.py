"""vae_tutorial: the package behind the book "Variational autoencoders, step by step".

The teaching files, each read beside its chapter: ``data`` (MNIST as tensors), ``models`` (the
autoencoder and the VAE), ``losses`` (reconstruction and KL), ``train`` (the five-step loop) and
``likelihood`` (the ELBO and log p(x)). What the chapters call to see and measure: ``book`` (the
book's named models), ``latent``, ``metrics``, ``plots``, ``widgets``. Everything else, from
data sources to the cache and the browser widgets, is in ``support``.
"""

from .models import VAE, Autoencoder, ModelConfig
from .support.errors import ConfigError, DataError, TrainingError, TutorialError
from .support.runs import TrainedModel, train_or_load
from .train import TrainConfig, fit

__all__ = ["Autoencoder", "VAE", "ModelConfig", "TrainConfig", "fit", "train_or_load",
           "TrainedModel", "TutorialError", "DataError", "TrainingError", "ConfigError"]
__version__ = "0.1.0"
