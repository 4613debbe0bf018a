"""A trained model's latent space, put to work: encodings, reconstructions, new samples, walks.

These are the calls chapters make with real data. Each takes the model and images or latent
points as the user has them (uint8 or floats, (N, 28, 28) or (N, 1, 28, 28)), checks them once
(``support/inputs.py``), runs the model on its own device without gradients, and returns CPU
tensors. For a VAE the deterministic encoding is mu: the centre of the image's region. The
conditional VAE takes each image's (or latent point's) label too: ``labels``, (N,) or one
number for all.
"""

from __future__ import annotations

import torch

from .support import inputs
from .support.errors import ConfigError


@torch.no_grad()
def encodings(model, images, labels=None, batch_size: int = 2000) -> torch.Tensor:
    """(N, latent): z for the autoencoder, mu for the VAE, of ``images`` (N, 1, 28, 28)
    (and, for the conditional VAE, their ``labels``)."""
    inputs.latent_model(model, "encodings")
    inputs.count(batch_size, "batch_size", low=1)
    x = inputs.images(images, model)
    y = inputs.model_labels(labels, len(x), model)
    parts = []
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size]
        code = model.encode(batch) if y is None else model.encode(batch, y[start:start + batch_size])
        parts.append((code[0] if isinstance(code, tuple) else code).cpu())   # the VAE's mu
    codes = torch.cat(parts) if parts else torch.zeros(0, model.latent_dim)
    return inputs.finite_result(codes, "encodings")


@torch.no_grad()
def decode(model, z, labels=None) -> torch.Tensor:
    """(N, latent) latent points -> (N, 1, 28, 28) images in [0, 1] (for the conditional VAE,
    drawn as the digits ``labels``)."""
    inputs.latent_model(model, "decode")
    z = inputs.latents(z, model)
    y = inputs.model_labels(labels, len(z), model)
    largest = float(z.abs().max()) if len(z) else 0.0
    images = model.decode(z) if y is None else model.decode(z, y)
    return inputs.finite_result(images.cpu(), "decoded images", largest)


def reconstruct(model, images, labels=None) -> torch.Tensor:
    """Encode and decode without sampling: (N, 1, 28, 28) -> (N, 1, 28, 28) in [0, 1]."""
    return decode(model, encodings(model, images, labels), labels)


def fitted_gaussian(codes) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and covariance (d, d) of ``codes`` (N, d): the Gaussian that matches them."""
    c = inputs.points(codes, "codes to fit a Gaussian to")
    if len(c) < c.shape[1] + 1:
        raise ConfigError(f"to fit a Gaussian, codes must have shape (N, d) with N > d; got "
                          f"{tuple(c.shape)}. Pass the encodings of more images.")
    return c.mean(0), torch.cov(c.T).reshape(c.shape[1], c.shape[1])


def latent_points(dim: int, n: int = 1000, seed: int = 0, fit_to=None) -> torch.Tensor:
    """``n`` random latent points (n, dim), float32, from the prior N(0, I), or, with
    ``fit_to`` (codes of shape (N, dim)), from the Gaussian fitted to those codes (their mean
    and covariance). The same noise is used either way: the fitted points are the prior points
    moved by the mean and shaped by the covariance's Cholesky factor."""
    inputs.count(n, "n (how many points)")
    inputs.count(dim, "dim (numbers per latent point)", low=1)
    eps = torch.randn(n, dim, generator=torch.Generator().manual_seed(inputs.seed(seed)),
                      dtype=torch.float64)
    if fit_to is None:
        return eps.float()
    mean, cov = fitted_gaussian(fit_to)
    if mean.shape[0] != dim:
        raise ConfigError(f"fit_to codes have {mean.shape[0]} numbers each but the latent space has "
                          f"{dim}; pass encodings made by the same model")
    factor, problem = torch.linalg.cholesky_ex(cov)
    if problem:
        raise ConfigError(f"fit_to codes do not spread in all {dim} directions (their covariance is "
                          f"singular), so no Gaussian fits them; pass the encodings of more, "
                          f"different images")
    return (mean + eps @ factor.T).float()


def prior_radius(dim: int = 2, mass: float = 0.95) -> float:
    """Radius of the ball around the origin that holds ``mass`` of the prior N(0, I) in ``dim``
    dimensions (2.45 for 95% in 2-D): where random latent points fall. The book's figures and
    latent maps draw this circle, and ``metrics.inside_prior`` counts codes inside it."""
    from scipy.stats import chi2

    inputs.count(dim, "dim (latent dimensions)", low=1)
    inputs.number(mass, "mass (share of the prior)", above=0, below=1)
    return float(chi2.ppf(mass, df=dim)) ** 0.5


def sample(model, n: int, seed: int = 0) -> torch.Tensor:
    """Decode ``n`` random latent points from N(0, I) (:func:`latent_points`): (n, 1, 28, 28)."""
    inputs.latent_model(model, "sample")
    return decode(model, latent_points(model.latent_dim, n, seed))


def interpolate(model, first, second, steps: int = 10) -> torch.Tensor:
    """Decode ``steps`` points on the straight line between the encodings of two images
    (each (1, 28, 28) or (28, 28)): (steps, 1, 28, 28)."""
    inputs.count(steps, "steps")
    za, zb = (encodings(model, inputs.images(img[None], what="each image")) for img in (first, second))
    t = torch.linspace(0, 1, steps)[:, None]
    return decode(model, (1 - t) * za + t * zb)


def move(model, images, direction, amounts) -> torch.Tensor:
    """Each image's encoding moved by each of ``amounts`` times ``direction`` (latent,), decoded:
    (N, len(amounts), 1, 28, 28). An amount of 0 gives the image's reconstruction."""
    z = encodings(model, images)
    d = inputs.latents(torch.as_tensor(direction).reshape(1, -1), model, "direction").cpu()
    t = inputs.points(torch.as_tensor(amounts).reshape(-1, 1), "amounts").float()
    moved = decode(model, (z[:, None] + t[None] * d[None]).flatten(0, 1))
    return moved.unflatten(0, (len(z), len(t)))


def class_means(model, data, split: str = "test") -> torch.Tensor:
    """(classes, latent) the mean encoding of each class: where the sliders start for "a 3"."""
    inputs.image_data(data, "class_means")
    codes, labels = encodings(model, data.images(split)), data.labels(split)
    missing = [name for k, name in enumerate(data.class_names) if not bool((labels == k).any())]
    if missing:
        raise ConfigError(f"the {split} split has no image of {', '.join(missing)}, so their mean "
                          f"encoding does not exist; use a split with every class")
    return torch.stack([codes[labels == k].mean(0) for k in range(len(data.class_names))])
