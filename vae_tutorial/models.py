"""The plain autoencoder and the VAE: the "bowtie".

784 pixels -> hidden layers -> a few latent numbers -> the same layers in
reverse -> 784 pixels. The VAE differs in two places: its encoder ends in
two heads (mu and log sigma²) instead of one, and its latent point is drawn
from N(mu, sigma²). The conditional VAE is a VAE told each image's label.
Images x are (B, 1, 28, 28) floats in [0, 1]; labels y are (B,) integers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

N_PIXELS = 28 * 28
N_CLASSES = 10                    # ten digits (or ten kinds of clothing)


@dataclass(frozen=True)
class ModelConfig:
    """What a model is; saved in every checkpoint to rebuild it from."""

    kind: str = "vae"             # "ae", "vae", "cvae" (conditional, MLP
                                  # only) or "classifier" (the judge)
    latent_dim: int = 5           # the article squeezes a digit into 5
    hidden_dims: tuple[int, ...] = (256, 128)
    architecture: str = "mlp"     # "mlp", or "conv" (convolutional)

    def as_dict(self) -> dict:
        return {**asdict(self), "hidden_dims": list(self.hidden_dims)}


def linear_relu(sizes: list[int]) -> list[nn.Module]:
    """Linear layers of the given widths, each followed by a ReLU."""
    pairs = zip(sizes, sizes[1:])
    return [m for a, b in pairs for m in (nn.Linear(a, b), nn.ReLU())]


def encoder_body(config: ModelConfig, extra: int = 0) -> nn.Sequential:
    """(B, 1, 28, 28) -> (B, hidden_dims[-1]): the encoder but its heads.
    The MLP takes ``extra`` numbers after the pixels (a label)."""
    hidden = config.hidden_dims
    if config.architecture == "conv":
        return nn.Sequential(                      # (B, 1, 28, 28)
            nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(),  # -> (B, 16, 14, 14)
            nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),  # -> (B, 32, 7, 7)
            nn.Flatten(), *linear_relu([32 * 7 * 7, hidden[-1]]))
    # (B, 1, 28, 28) -> (B, 784) -> 256 -> 128
    sizes = [N_PIXELS + extra, *hidden]
    return nn.Sequential(nn.Flatten(), *linear_relu(sizes))


def decoder(config: ModelConfig, extra: int = 0) -> nn.Sequential:
    """(B, latent) -> (B, 1, 28, 28) logits: any real numbers, which
    torch.sigmoid turns into pixels in [0, 1]. The MLP takes ``extra``
    numbers after the latent ones (a label)."""
    hidden = config.hidden_dims
    if config.architecture == "conv":
        return nn.Sequential(
            *linear_relu([config.latent_dim, hidden[-1], 32 * 7 * 7]),
            nn.Unflatten(1, (32, 7, 7)),                     # (B, 32, 7, 7)
            nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),  # (B,16,14,14)
            nn.ConvTranspose2d(16, 1, 4, 2, 1))              # (B,1,28,28)
    # (B, latent) -> 128 -> 256 -> 784, without a ReLU on the logits
    sizes = [config.latent_dim + extra, *reversed(hidden), N_PIXELS]
    layers = linear_relu(sizes)
    return nn.Sequential(*layers[:-1], nn.Unflatten(1, (1, 28, 28)))


class Autoencoder(nn.Module):
    """A plain autoencoder: each image is squeezed into one latent point."""

    def __init__(self, config: ModelConfig = ModelConfig(kind="ae")):
        super().__init__()
        self.config, self.latent_dim = config, config.latent_dim
        self.encoder = encoder_body(config)
        last = config.hidden_dims[-1]
        self.fc_z = nn.Linear(last, config.latent_dim)   # one head: z
        self.decoder = decoder(config)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_z(self.encoder(x))  # (B, 1, 28, 28) -> (B, latent)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))  # (B, latent) -> images

    def forward(self, x: torch.Tensor):
        z = self.encode(x)
        return self.decoder(z), z              # the rebuilt logits, and z


class VAE(nn.Module):
    """The VAE: the encoder gives a region, N(mu, sigma²), not a point."""

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config, self.latent_dim = config, config.latent_dim
        self.encoder = encoder_body(config)
        last = config.hidden_dims[-1]
        # two heads: mu and log sigma², each as wide as the latent space
        self.fc_mu = nn.Linear(last, config.latent_dim)
        self.fc_logvar = nn.Linear(last, config.latent_dim)
        self.decoder = decoder(config)

    def encode(self, x: torch.Tensor):
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)   # (B, latent) each

    def reparameterize(self, mu, logvar):
        sigma = torch.exp(0.5 * logvar)  # log sigma² keeps sigma positive
        eps = torch.randn_like(sigma)    # the randomness comes from outside
        return mu + sigma * eps          # z ~ N(mu, sigma²), with gradients

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))  # (B, latent) -> images

    def forward(self, x: torch.Tensor):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decoder(z), mu, logvar  # rebuilt logits, mu, logvar


def one_hot(y: torch.Tensor) -> torch.Tensor:
    """Labels (B,) -> (B, 10) floats: 3 -> 0, 0, 0, 1, 0, 0, 0, 0, 0, 0."""
    return F.one_hot(y, N_CLASSES).float()


class ConditionalVAE(nn.Module):
    """The VAE told each image's label: the label, one-hot, joins the
    encoder's input and the decoder's input. The latent point no longer
    has to say which digit it is, only how it is written."""

    def __init__(self, config: ModelConfig = ModelConfig(kind="cvae")):
        super().__init__()
        self.config, self.latent_dim = config, config.latent_dim
        self.encoder = encoder_body(config, extra=N_CLASSES)  # 784 + 10
        last = config.hidden_dims[-1]
        # two heads: mu and log sigma², each as wide as the latent space
        self.fc_mu = nn.Linear(last, config.latent_dim)
        self.fc_logvar = nn.Linear(last, config.latent_dim)
        self.decoder = decoder(config, extra=N_CLASSES)  # latent + 10

    def encode(self, x: torch.Tensor, y: torch.Tensor):
        h = self.encoder(torch.cat([x.flatten(1), one_hot(y)], 1))
        return self.fc_mu(h), self.fc_logvar(h)   # (B, latent) each

    reparameterize = VAE.reparameterize   # the same z ~ N(mu, sigma²)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        zy = torch.cat([z, one_hot(y)], 1)     # how, and which digit
        return torch.sigmoid(self.decoder(zy))  # (B, latent) -> images

    def forward(self, x: torch.Tensor, y: torch.Tensor):
        mu, logvar = self.encode(x, y)
        z = self.reparameterize(mu, logvar)
        zy = torch.cat([z, one_hot(y)], 1)
        return self.decoder(zy), mu, logvar  # rebuilt logits, mu, logvar


class Classifier(nn.Module):
    """The judge: a small MLP that tells ten classes apart, 784-256-10."""

    def __init__(self, config: ModelConfig = ModelConfig(
            kind="classifier", hidden_dims=(256,))):
        super().__init__()
        self.config, hidden = config, config.hidden_dims[0]
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(N_PIXELS, hidden), nn.ReLU(),
            nn.Dropout(0.2), nn.Linear(hidden, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)                     # (B, 1, 28, 28) -> (B, 10)


def build_model(config: ModelConfig) -> nn.Module:
    """An untrained model for ``config``."""
    kinds = {"ae": Autoencoder, "vae": VAE, "cvae": ConditionalVAE,
             "classifier": Classifier}
    return kinds[config.kind](config)
