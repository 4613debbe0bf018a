"""vae_tutorial: the package behind the book "Variational autoencoders, step by step".

``from vae_tutorial import data, models, losses, train`` gives the pieces the chapters use.
"""

from .errors import ConfigError, DataError, TrainingError, TutorialError
from .models import VAE, Autoencoder, ModelConfig
from .train import TrainConfig, fit, train_or_load

__all__ = ["Autoencoder", "VAE", "ModelConfig", "TrainConfig", "fit", "train_or_load",
           "TutorialError", "DataError", "TrainingError", "ConfigError"]
__version__ = "0.1.0"
