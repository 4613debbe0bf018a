"""The plain autoencoder and the VAE: an encoder, a latent space, a mirror-image decoder.

The "bowtie": 784 pixels -> hidden layers -> a few latent numbers -> the same hidden layers
in reverse -> 784 pixels. The VAE's encoder ends in two heads, mu and log-variance, and the
latent point is sampled from them with the reparameterisation trick.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
from torch import nn

from .errors import ConfigError

IMAGE_SHAPE = (1, 28, 28)
N_PIXELS = 28 * 28


@dataclass(frozen=True)
class ModelConfig:
    """What a model is: its kind, latent size and hidden layer sizes (encoder order)."""

    kind: str = "vae"                      # "ae" (plain autoencoder) or "vae"
    latent_dim: int = 5                    # the article squeezes a digit into five numbers
    hidden_dims: tuple[int, ...] = (256, 128)
    architecture: str = "mlp"              # "mlp" or "conv" (small convolutional variant)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_dims", tuple(int(h) for h in self.hidden_dims))
        if self.kind not in ("ae", "vae"):
            raise ConfigError(f"model kind must be 'ae' or 'vae', got {self.kind!r}")
        if self.architecture not in ("mlp", "conv"):
            raise ConfigError(f"architecture must be 'mlp' or 'conv', got {self.architecture!r}")
        if not isinstance(self.latent_dim, int) or self.latent_dim < 1:
            raise ConfigError(f"latent_dim must be a whole number >= 1, got {self.latent_dim!r}")
        if not self.hidden_dims or any(h < 1 for h in self.hidden_dims):
            raise ConfigError(f"hidden_dims must be one or more sizes >= 1, got {self.hidden_dims!r}")

    def as_dict(self) -> dict:
        return {**asdict(self), "hidden_dims": list(self.hidden_dims)}


class ModelOutput(NamedTuple):
    """What a forward pass returns. ``logits``: (B, 1, 28, 28), the decoder's output before the
    sigmoid; ``z``: (B, latent) the latent point decoded; ``mu``/``logvar``: None for the AE."""

    logits: torch.Tensor
    z: torch.Tensor
    mu: torch.Tensor | None = None
    logvar: torch.Tensor | None = None


def _mlp(sizes: list[int], relu_after_last: bool = False) -> list[nn.Module]:
    """Linear layers with a ReLU after each, except (by default) after the last."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return layers if relu_after_last else layers[:-1]


def _conv_encoder(hidden: int) -> list[nn.Module]:
    return [                                                      # (B, 1, 28, 28)
        nn.Conv2d(1, 16, 4, stride=2, padding=1), nn.ReLU(),      # -> (B, 16, 14, 14)
        nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(),     # -> (B, 32, 7, 7)
        nn.Flatten(), nn.Linear(32 * 7 * 7, hidden), nn.ReLU(),   # -> (B, hidden)
    ]


def _conv_decoder(latent: int, hidden: int) -> list[nn.Module]:
    return [                                                       # (B, latent)
        nn.Linear(latent, hidden), nn.ReLU(),
        nn.Linear(hidden, 32 * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (32, 7, 7)),                               # -> (B, 32, 7, 7)
        nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),  # -> (B, 16, 14, 14)
        nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1),        # -> (B, 1, 28, 28)
    ]


def _device_and_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    p = next(model.parameters())
    return p.device, p.dtype


def _as_images(model: nn.Module, x) -> torch.Tensor:
    """Images ready for ``model``: checked for shape, converted to the model's float type and
    moved to its device. uint8 pixels (0-255) are scaled to [0, 1]; other integer types are
    refused, since whether they mean 0-1 or 0-255 cannot be told."""
    if not isinstance(x, torch.Tensor) or tuple(x.shape[1:]) != IMAGE_SHAPE or x.dim() != 4:
        got = f"shape {tuple(x.shape)}, dtype {x.dtype}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ConfigError(
            f"images must be a float tensor of shape (batch, 1, 28, 28) with values in [0, 1]; got {got}. "
            f"data.images() gives that shape; for uint8 images of shape (batch, 28, 28) "
            f"use x.unsqueeze(1).float() / 255")
    device, dtype = _device_and_dtype(model)
    if x.dtype == torch.uint8:
        x = x.to(device).to(dtype).div_(255)
    elif x.is_floating_point():
        x = x.to(device=device, dtype=dtype)
    else:
        raise ConfigError(f"images must be floats in [0, 1] (or uint8 0-255), got {x.dtype}; "
                          f"use x.float() / 255 if they are 0-255, x.float() if they are 0-1")
    return x


class Autoencoder(nn.Module):
    """A plain autoencoder: each image maps to exactly one latent point.

    ``x``: (B, 1, 28, 28) floats in [0, 1] everywhere in this module.
    """

    def __init__(self, config: ModelConfig = ModelConfig(kind="ae")) -> None:
        super().__init__()
        self.config = config
        h, latent = list(config.hidden_dims), config.latent_dim
        # The VAE's encoder needs two numbers (mu, log-variance) per latent dimension.
        n_codes = 2 * latent if config.kind == "vae" else latent
        if config.architecture == "mlp":
            # (B, 1, 28, 28) -> (B, 784) -> hidden layers -> (B, n_codes)
            self.encoder = nn.Sequential(nn.Flatten(), *_mlp([N_PIXELS, *h, n_codes]))
            # (B, latent) -> the same hidden layers in reverse -> (B, 784) -> (B, 1, 28, 28)
            self.decoder = nn.Sequential(*_mlp([latent, *reversed(h), N_PIXELS]),
                                         nn.Unflatten(1, IMAGE_SHAPE))
        else:
            self.encoder = nn.Sequential(*_conv_encoder(h[0]), nn.Linear(h[0], n_codes))
            self.decoder = nn.Sequential(*_conv_decoder(latent, h[0]))

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) -> (B, latent): the one point this image is squeezed into.

        Inputs move to the model's device and float type; outputs stay on the model's device."""
        return self.encoder(_as_images(self, x))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic encoding that plots show: z here, mu for the VAE."""
        return self.encode(x)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent) -> (B, 1, 28, 28) logits (before the sigmoid), on the model's device."""
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ConfigError(f"latent points must be a tensor of shape (batch, {self.latent_dim}) for this "
                              f"model; got {got}. One point is z[None] or torch.tensor([[...]]).")
        if z.is_complex() or z.dtype == torch.bool:
            raise ConfigError(f"latent points must be real numbers, got {z.dtype}")
        device, dtype = _device_and_dtype(self)
        return self.decoder(z.to(device=device, dtype=dtype))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent) -> (B, 1, 28, 28) images in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> ModelOutput:
        """Encode and decode ``x`` (B, 1, 28, 28); ``generator`` is unused (no sampling here)."""
        z = self.encode(x)
        return ModelOutput(self.decode_logits(z), z)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Encode and decode without sampling: (B, 1, 28, 28) -> (B, 1, 28, 28) in [0, 1],
        returned on the CPU."""
        return self.decode(self.embed(x)).cpu()

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` random latent points drawn from N(0, I): (n, 1, 28, 28) in [0, 1], on
        the CPU. The points are drawn on the generator's device (the CPU by default) and then
        moved, so a seed gives the same points whether the model is on a CPU or a GPU."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ConfigError(f"n (how many samples) must be a whole number >= 0, got {n!r}")
        where = generator.device if generator is not None else torch.device("cpu")
        z = torch.randn(n, self.latent_dim, generator=generator, device=where)
        return self.decode(z).cpu()


class VAE(Autoencoder):
    """The variational autoencoder: the encoder outputs mu and log-variance, not a point.

    sigma = exp(logvar / 2). Predicting log-variance keeps sigma positive without a
    constraint and keeps the optimisation well-scaled.
    """

    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        if config.kind != "vae":
            raise ConfigError("VAE needs ModelConfig(kind='vae'); use Autoencoder for 'ae'")
        super().__init__(config)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, 28, 28) -> mu (B, latent), logvar (B, latent): the encoder's last layer gives
        two numbers per latent dimension, split in half."""
        mu, logvar = self.encoder(_as_images(self, x)).chunk(2, dim=1)
        return mu, logvar

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)[0]

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I): the randomness sits in eps, so gradients
        flow to mu and sigma (the reparameterisation trick). eps is drawn on the generator's
        device and moved to mu's, so a CPU generator gives the same eps for a GPU model."""
        where = generator.device if generator is not None else mu.device
        eps = torch.randn(mu.shape, generator=generator, device=where, dtype=mu.dtype).to(mu.device)
        return mu + torch.exp(0.5 * logvar) * eps

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> ModelOutput:
        """Encode to mu and logvar, sample z from them, decode: the VAE's training pass."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator)
        return ModelOutput(self.decode_logits(z), z, mu, logvar)


def build_model(config: ModelConfig, seed: int | None = None) -> Autoencoder:
    """An untrained model for ``config`` (an :class:`Autoencoder` or a :class:`VAE`).

    With ``seed``, the initial weights come from that seed, without touching the caller's
    global random state."""
    if seed is None:
        return VAE(config) if config.kind == "vae" else Autoencoder(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(config)


def layer_sizes(model: Autoencoder) -> list[int]:
    """The widths of the bowtie, input to output, read off the model's own Linear layers
    (MLP models): e.g. [784, 256, 128, 5, 128, 256, 784]."""
    enc = [m for m in model.encoder.modules() if isinstance(m, nn.Linear)]
    dec = [m for m in model.decoder.modules() if isinstance(m, nn.Linear)]
    if model.config.architecture != "mlp":
        raise ConfigError("layer_sizes describes MLP models only")
    return [enc[0].in_features] + [m.out_features for m in enc[:-1]] + \
           [model.latent_dim] + [m.out_features for m in dec]


def prior_radius(dim: int = 2, mass: float = 0.95) -> float:
    """Radius of the ball around the origin that holds ``mass`` of the prior N(0, I) in ``dim``
    dimensions (2.45 for 95% in 2-D): where random latent points fall. The book's figures and
    latent maps draw this circle, and ``metrics.inside_prior`` counts codes inside it."""
    from scipy.stats import chi2

    return float(chi2.ppf(mass, df=dim)) ** 0.5
