"""The plain autoencoder and the VAE: the "bowtie".

784 pixels -> hidden layers -> a few latent numbers -> the same layers in
reverse -> 784 pixels. The VAE differs in two places: its encoder ends in
two heads (mu and log sigma²) instead of one, and its latent point is drawn
from N(mu, sigma²). The conditional VAE is a VAE told each image's label.
Images x are (B, 1, 28, 28) floats in [0, 1].

The decoder's last layer gives logits, any real numbers (``decode_logits``,
what the losses take); ``decode`` turns them into pixels in [0, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


def mlp(*sizes: int) -> nn.Sequential:
    """Linear layers of the given widths, each followed by a ReLU."""
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """A plain autoencoder: each image squeezed into one latent point."""

    def __init__(self, latent_dim=5, hidden_dims=(256, 128)):
        super().__init__()
        self.latent_dim = latent_dim
        # (B, 1, 28, 28) -> (B, 784) -> 256 -> 128, then one head:
        self.encoder = nn.Sequential(nn.Flatten(), *mlp(784, *hidden_dims))
        # z, as wide as the latent space
        self.fc_z = nn.Linear(hidden_dims[-1], latent_dim)
        # (B, latent) -> 128 -> 256 -> 784 logits (no ReLU on them)
        self.decode_logits = nn.Sequential(
            *mlp(latent_dim, *hidden_dims[::-1], 784)[:-1],
            nn.Unflatten(1, (1, 28, 28)))

    def encode(self, x):
        return self.fc_z(self.encoder(x))         # (B, latent)

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))  # pixels in [0, 1]

    def forward(self, x):
        z = self.encode(x)
        return self.decode_logits(z), z           # rebuilt logits, and z


class VAE(nn.Module):
    """The VAE: the encoder gives a region, N(mu, sigma²), not a point."""

    def __init__(self, latent_dim=5, hidden_dims=(256, 128)):
        super().__init__()
        self.latent_dim = latent_dim
        # (B, 1, 28, 28) -> (B, 784) -> 256 -> 128, then two heads:
        self.encoder = nn.Sequential(nn.Flatten(), *mlp(784, *hidden_dims))
        # mu and log sigma², each as wide as the latent space
        self.fc_mu = nn.Linear(hidden_dims[-1], latent_dim)
        self.fc_logvar = nn.Linear(hidden_dims[-1], latent_dim)
        # (B, latent) -> 128 -> 256 -> 784 logits (no ReLU on them)
        self.decode_logits = nn.Sequential(
            *mlp(latent_dim, *hidden_dims[::-1], 784)[:-1],
            nn.Unflatten(1, (1, 28, 28)))

    def encode(self, x):
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)   # (B, latent) each

    def reparameterize(self, mu, logvar):
        sigma = torch.exp(0.5 * logvar)  # log sigma² keeps sigma positive
        eps = torch.randn_like(sigma)    # the randomness, from outside
        return mu + sigma * eps          # z ~ N(mu, sigma²), with grads

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))  # pixels in [0, 1]

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode_logits(z), mu, logvar  # logits, mu, logvar


# Chapter 9's convolutional bowtie: the same heads, with convolutions that
# halve (and transposed convolutions that double) the picture's size.

def conv_encoder(width: int) -> nn.Sequential:
    return nn.Sequential(                               # (B, 1, 28, 28)
        nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(),           # -> (B, 16, 14, 14)
        nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),          # -> (B, 32, 7, 7)
        nn.Flatten(), *mlp(32 * 7 * 7, width))          # -> (B, width)


def conv_decoder(latent_dim: int, width: int) -> nn.Sequential:
    return nn.Sequential(
        *mlp(latent_dim, width, 32 * 7 * 7), nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),  # (B, 16, 14, 14)
        nn.ConvTranspose2d(16, 1, 4, 2, 1))              # (B, 1, 28, 28) logits


# Their layers are made in the same order as their MLP kin's (encoder, heads,
# decoder), so a seed gives each layer the same first weights.

class ConvAutoencoder(Autoencoder):
    """The plain autoencoder with a convolutional encoder and decoder."""

    def __init__(self, latent_dim=5, hidden_dims=(256,)):
        nn.Module.__init__(self)
        self.latent_dim, width = latent_dim, hidden_dims[-1]
        self.encoder = conv_encoder(width)
        self.fc_z = nn.Linear(width, latent_dim)
        self.decode_logits = conv_decoder(latent_dim, width)


class ConvVAE(VAE):
    """The VAE with a convolutional encoder and decoder."""

    def __init__(self, latent_dim=5, hidden_dims=(256,)):
        nn.Module.__init__(self)
        self.latent_dim, width = latent_dim, hidden_dims[-1]
        self.encoder = conv_encoder(width)
        self.fc_mu = nn.Linear(width, latent_dim)
        self.fc_logvar = nn.Linear(width, latent_dim)
        self.decode_logits = conv_decoder(latent_dim, width)


class ConditionalVAE(VAE):
    """The VAE told each image's label (chapter "Draw me a 7"): the label,
    one-hot (3 -> 0 0 0 1 0 0 0 0 0 0), joins the encoder's input and the
    decoder's. The latent point then only has to say how the digit is
    written, not which digit it is. Labels y are (B,) integers 0-9."""

    def __init__(self, latent_dim=3, hidden_dims=(256, 128)):
        nn.Module.__init__(self)  # the VAE's layers, and the label's inputs
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(                    # pixels + label
            nn.Flatten(), *mlp(784 + 10, *hidden_dims))
        self.fc_mu = nn.Linear(hidden_dims[-1], latent_dim)
        self.fc_logvar = nn.Linear(hidden_dims[-1], latent_dim)
        self.decode_logits = nn.Sequential(             # latent + label
            *mlp(latent_dim + 10, *hidden_dims[::-1], 784)[:-1],
            nn.Unflatten(1, (1, 28, 28)))

    def encode(self, x, y):
        h = self.encoder(torch.cat([x.flatten(1), one_hot(y)], 1))
        return self.fc_mu(h), self.fc_logvar(h)        # (B, latent) each

    def decode(self, z, y):
        zy = torch.cat([z, one_hot(y)], 1)          # how, and which digit
        return torch.sigmoid(self.decode_logits(zy))

    def forward(self, x, y):
        mu, logvar = self.encode(x, y)
        z = self.reparameterize(mu, logvar)
        zy = torch.cat([z, one_hot(y)], 1)
        return self.decode_logits(zy), mu, logvar


def one_hot(y):
    """Labels (B,) -> (B, 10) floats: 3 -> 0, 0, 0, 1, 0, 0, 0, 0, 0, 0."""
    return F.one_hot(y, 10).float()


class Classifier(nn.Module):
    """The judge: a small MLP that tells ten classes apart, 784-256-10."""

    def __init__(self, hidden_dims=(256,)):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(784, hidden_dims[0]), nn.ReLU(),
            nn.Dropout(0.2), nn.Linear(hidden_dims[0], 10))

    def forward(self, x):
        return self.net(x)                       # (B, 1, 28, 28) -> (B, 10)


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
