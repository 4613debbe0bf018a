"""The plain autoencoder and the VAE: the "bowtie" of 784 pixels -> hidden layers -> a few
latent numbers -> the same layers in reverse -> 784 pixels. The VAE differs in two places: its
encoder ends in two heads (mu, log sigma²) instead of one, and its latent point is drawn from
N(mu, sigma²). Images ``x`` are (B, 1, 28, 28) floats in [0, 1], as ``ImageData.images()`` gives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

N_PIXELS = 28 * 28


@dataclass(frozen=True)
class ModelConfig:
    """What a model is. Saved inside every checkpoint, so a model can be rebuilt from the file."""

    kind: str = "vae"                      # "ae" (plain autoencoder), "vae" or "classifier" (the judge)
    latent_dim: int = 5                    # the article squeezes a digit into five numbers
    hidden_dims: tuple[int, ...] = (256, 128)
    architecture: str = "mlp"              # "mlp", or "conv": a small convolutional variant

    def as_dict(self) -> dict:
        return {**asdict(self), "hidden_dims": list(self.hidden_dims)}


def linear_relu(sizes: list[int]) -> list[nn.Module]:
    """Linear layers of the given widths, each followed by a ReLU."""
    return [m for n_in, n_out in zip(sizes, sizes[1:]) for m in (nn.Linear(n_in, n_out), nn.ReLU())]


def encoder_body(config: ModelConfig) -> nn.Sequential:
    """(B, 1, 28, 28) -> (B, hidden_dims[-1]): the encoder up to its head(s)."""
    if config.architecture == "conv":                                # (B, 1, 28, 28)
        return nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(),     # -> (B, 16, 14, 14)
                             nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),    # -> (B, 32, 7, 7)
                             nn.Flatten(), *linear_relu([32 * 7 * 7, config.hidden_dims[-1]]))
    return nn.Sequential(nn.Flatten(), *linear_relu([N_PIXELS, *config.hidden_dims]))  # 784 -> 256 -> 128


def decoder(config: ModelConfig) -> nn.Sequential:
    """(B, latent_dim) -> (B, 1, 28, 28) logits (any real numbers; sigmoid makes them pixels)."""
    if config.architecture == "conv":
        return nn.Sequential(*linear_relu([config.latent_dim, config.hidden_dims[-1], 32 * 7 * 7]),
                             nn.Unflatten(1, (32, 7, 7)),                       # -> (B, 32, 7, 7)
                             nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),    # -> (B, 16, 14, 14)
                             nn.ConvTranspose2d(16, 1, 4, 2, 1))                # -> (B, 1, 28, 28)
    layers = linear_relu([config.latent_dim, *reversed(config.hidden_dims), N_PIXELS])  # 5 -> ... -> 784
    return nn.Sequential(*layers[:-1], nn.Unflatten(1, (1, 28, 28)))   # no ReLU on the logits


class Autoencoder(nn.Module):
    """A plain autoencoder: each image is squeezed into exactly one latent point z."""

    def __init__(self, config: ModelConfig = ModelConfig(kind="ae")) -> None:
        super().__init__()
        self.config, self.latent_dim = config, config.latent_dim
        self.encoder = encoder_body(config)
        self.fc_z = nn.Linear(config.hidden_dims[-1], config.latent_dim)   # one head: z
        self.decoder = decoder(config)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_z(self.encoder(x))                  # (B, 1, 28, 28) -> (B, latent)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))              # (B, latent) -> (B, 1, 28, 28) in [0, 1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(x)
        return self.decoder(z), z                          # logits of the rebuilt image, and z


class VAE(nn.Module):
    """The variational autoencoder: the encoder gives a region, N(mu, sigma²), not a point."""

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        self.config, self.latent_dim = config, config.latent_dim
        self.encoder = encoder_body(config)
        self.fc_mu = nn.Linear(config.hidden_dims[-1], config.latent_dim)      # two heads:
        self.fc_logvar = nn.Linear(config.hidden_dims[-1], config.latent_dim)  # mu and log sigma²
        self.decoder = decoder(config)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)            # (B, latent) each

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        sigma = torch.exp(0.5 * logvar)                    # log sigma² keeps sigma positive
        eps = torch.randn_like(sigma)                      # the randomness, from outside
        return mu + sigma * eps                            # z ~ N(mu, sigma²), differentiable

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))              # (B, latent) -> (B, 1, 28, 28) in [0, 1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decoder(z), mu, logvar                 # logits of the rebuilt image, mu, log sigma²


class Classifier(nn.Module):
    """The judge: a small MLP that tells the ten classes apart, 784 -> 256 -> 10 logits."""

    def __init__(self, config: ModelConfig = ModelConfig(kind="classifier", hidden_dims=(256,))) -> None:
        super().__init__()
        self.config = config
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(N_PIXELS, config.hidden_dims[0]), nn.ReLU(),
                                 nn.Dropout(0.2), nn.Linear(config.hidden_dims[0], 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)                                 # (B, 1, 28, 28) -> (B, 10)


def build_model(config: ModelConfig) -> nn.Module:
    """An untrained model for ``config``."""
    return {"ae": Autoencoder, "vae": VAE, "classifier": Classifier}[config.kind](config)
