"""A trained model's latent space, put to work: encodings, reconstructions, new samples, walks.

These are the calls chapters make with real data. Each takes the model and images or latent
points as the user has them (uint8 or floats, (N, 28, 28) or (N, 1, 28, 28)), as its signature
declares (checked where they enter, ``support/contracts.py``), runs the model on its own device
without gradients, and returns CPU tensors. For a VAE the deterministic encoding is mu: the
centre of the image's region. The conditional VAE takes each image's (or latent point's) label
too: ``labels``, (N,) or one number for all.
"""

from __future__ import annotations

import torch

from .data import ImageData
from .support.contracts import (IMAGE_BYTES, Choice, Count, Finite, Images, ImagesAlone,
                                LatentModel, Latents, ModelLabels, Numbers, Points, Real, Seed,
                                checked)
from .support.errors import ConfigError


@torch.no_grad()
def encodings(model: LatentModel, images: Images(), labels: ModelLabels("images") = None,
              batch_size: Count(1) = 2000) -> Finite("encodings"):
    """(N, latent): z for the autoencoder, mu for the VAE, of ``images`` (N, 1, 28, 28)
    (and, for the conditional VAE, their ``labels``)."""
    device, parts = next(model.parameters()).device, []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size].to(device)
        code = model.encode(batch) if labels is None else \
            model.encode(batch, labels[start:start + batch_size].to(device))
        parts.append((code[0] if isinstance(code, tuple) else code).cpu())   # the VAE's mu
    return torch.cat(parts) if parts else torch.zeros(0, model.latent_dim)


@torch.no_grad()
def decode(model: LatentModel, z: Latents(), labels: ModelLabels("z") = None
           ) -> Finite("decoded images", large_input="z"):
    """(N, latent) latent points -> (N, 1, 28, 28) images in [0, 1] (for the conditional VAE,
    drawn as the digits ``labels``)."""
    z = z.to(next(model.parameters()).device)
    return (model.decode(z) if labels is None else model.decode(z, labels.to(z.device))).cpu()


def reconstruct(model: LatentModel, images: Images(), labels: ModelLabels("images") = None):
    """Encode and decode without sampling: (N, 1, 28, 28) -> (N, 1, 28, 28) in [0, 1]."""
    return decode(model, encodings(model, images, labels), labels)


def fitted_gaussian(codes: Points(least=2)) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and covariance (d, d) of ``codes`` (N, d): the Gaussian that matches them."""
    if len(codes) < codes.shape[1] + 1:
        raise ConfigError(f"to fit a Gaussian, codes must have shape (N, d) with N > d; got "
                          f"{tuple(codes.shape)}. Pass the encodings of more images.")
    return codes.mean(0), torch.cov(codes.T).reshape(codes.shape[1], codes.shape[1])


def latent_points(dim: Count(1), n: Count(0, fits=lambda n, dim: 24 * n * dim) = 1000, seed: Seed = 0,
                  fit_to: Points(least=2, dim="dim") = None) -> torch.Tensor:
    """``n`` random latent points (n, dim), float32, from the prior N(0, I), or, with
    ``fit_to`` (codes of shape (N, dim)), from the Gaussian fitted to those codes (their mean
    and covariance). The same noise is used either way: the fitted points are the prior points
    moved by the mean and shaped by the covariance's Cholesky factor."""
    eps = torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    if fit_to is None:
        return eps.float()
    mean, cov = fitted_gaussian(fit_to)
    factor, problem = torch.linalg.cholesky_ex(cov)
    if problem:
        raise ConfigError(f"fit_to codes do not spread in all {dim} directions (their covariance is "
                          f"singular), so no Gaussian fits them; pass the encodings of more, "
                          f"different images")
    return (mean + eps @ factor.T).float()


def prior_radius(dim: Count(1) = 2, mass: Real(above=0, below=1) = 0.95) -> float:
    """Radius of the ball around the origin that holds ``mass`` of the prior N(0, I) in ``dim``
    dimensions (2.45 for 95% in 2-D): where random latent points fall. The book's figures and
    latent maps draw this circle, and ``metrics.inside_prior`` counts codes inside it."""
    from scipy.stats import chi2

    return float(chi2.ppf(mass, df=dim)) ** 0.5


def sample(model: ImagesAlone, n: Count(0, fits=lambda n: 2 * n * IMAGE_BYTES), seed: Seed = 0) -> torch.Tensor:
    """Decode ``n`` random latent points from N(0, I) (:func:`latent_points`): (n, 1, 28, 28)."""
    return decode(model, latent_points(model.latent_dim, n, seed))


def interpolate(model: ImagesAlone, first: Images(one=True), second: Images(one=True),
                steps: Count(0, fits=lambda steps: 2 * steps * IMAGE_BYTES) = 10) -> torch.Tensor:
    """Decode ``steps`` points on the straight line between the encodings of two images
    (each (1, 28, 28) or (28, 28)): (steps, 1, 28, 28)."""
    za, zb = encodings(model, first), encodings(model, second)
    t = torch.linspace(0, 1, steps)[:, None]
    return decode(model, (1 - t) * za + t * zb)


def move(model: ImagesAlone, images: Images(), direction: Numbers("model.latent_dim"),
         amounts: Numbers(least=1)) -> torch.Tensor:
    """Each image's encoding moved by each of ``amounts`` times ``direction`` (latent,), decoded:
    (N, len(amounts), 1, 28, 28). An amount of 0 gives the image's reconstruction."""
    z = encodings(model, images)
    d, t = direction.to(z.dtype), amounts.to(z.dtype)[:, None]
    moved = decode(model, (z[:, None] + t[None] * d).flatten(0, 1))
    return moved.unflatten(0, (len(z), len(t)))


def class_means(model: LatentModel, data: ImageData, split: Choice("train", "test") = "test") -> torch.Tensor:
    """(classes, latent) the mean encoding of each class: where the sliders start for "a 3"."""
    codes, labels = encodings(model, data.images(split)), data.labels(split)
    missing = [name for k, name in enumerate(data.class_names) if not bool((labels == k).any())]
    if missing:
        raise ConfigError(f"the {split} split has no image of {', '.join(missing)}, so their mean "
                          f"encoding does not exist; use a split with every class")
    return torch.stack([codes[labels == k].mean(0) for k in range(len(data.class_names))])


checked(globals())
