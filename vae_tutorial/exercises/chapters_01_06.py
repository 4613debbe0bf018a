"""The exercises of chapters 1 to 6: a distance, the encoder, the reparameterisation trick,
log-mean-exp, and the two losses. Each: random inputs, how a function is run on them, the
book's function, and the known mistakes written out the way learners write them."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import likelihood, losses, metrics
from ..models import VAE, Autoencoder
from .checking import Exercise, Found, call_scalar, describe, digits, gen, pictures
from .running import Failed, as_tensor, call

LOSS_GRADIENT = ("the loss has lost its gradient (.detach(), .item(), float() or NumPy inside), "
                 "so loss.backward() cannot train with it: build it from the inputs with torch "
                 "operations only")


# --------------------------------------------------------------------------- 01: nearest image

def _nearest_cases(case: int) -> tuple:
    g = gen(case)
    images = torch.rand(50, 1, 28, 28, generator=g)
    image = (images[7 + case] + 0.1 * torch.rand(1, 28, 28, generator=g)).clamp(0, 1)
    return image, images


def _sq_distances(image, images):
    return ((images - image) ** 2).sum((1, 2, 3))


NEAREST = Exercise(
    "nearest_distance", "1", "the Euclidean distance from one image to the nearest of many",
    lambda image, images: metrics.nearest_distance(image.flatten()[None], images.flatten(1))[0],
    _nearest_cases, call_scalar,
    {
        "squared": ("that is the squared distance: take its square root (torch.sqrt) at the end",
                    lambda image, images: _sq_distances(image, images).min()),
        "farthest": ("that is the distance to the farthest image: take the minimum, not the "
                     "maximum", lambda image, images: _sq_distances(image, images).max().sqrt()),
        "not-squared": ("the differences are added without squaring them, so dark and bright "
                        "pixels cancel out: square each difference before summing",
                        lambda image, images: (images - image).sum((1, 2, 3)).abs().min()),
        "mean-over-pixels": ("that is the distance averaged over the 784 pixels (28 times too "
                             "small): sum the squared differences over the pixels, do not "
                             "average them",
                             lambda image, images: (images - image).pow(2).mean((1, 2, 3))
                             .min().sqrt()),
    },
    "Distance 0 would be an exact copy.")


# --------------------------------------------------------------------------- 02: the encoder
# The reader's layers get the book's weights, matched in the order the forward pass uses
# them (not the order they were registered in), so the two encoders compare number for number.

def _encoder_cases(case: int) -> tuple:
    return (2 + 3 * case, torch.rand(4, 1, 28, 28, generator=gen(case)))


def _reference_encoder(latent_dim: int) -> nn.Module:
    ae = Autoencoder(latent_dim)
    return nn.Sequential(ae.encoder, ae.fc_z)


def _sizes(layers) -> str:
    return ", ".join(f"{m.in_features}→{m.out_features}" for m in layers)


def _run_encoder(make, args):
    latent_dim, x = args
    with torch.random.fork_rng():     # building layers draws weights: not from the reader's stream
        module = call(make, latent_dim)
        torch.manual_seed(latent_dim)
        book = [m for m in _reference_encoder(latent_dim).modules() if isinstance(m, nn.Linear)]
    if not isinstance(module, nn.Module):
        raise Failed(f"make_encoder should return a torch module (nn.Sequential), got "
                     f"{type(module).__name__}")
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if any(m.bias is None for m in linears):
        raise Found("no-bias")
    shapes = sorted((m.in_features, m.out_features) for m in linears)
    if shapes != sorted((m.in_features, m.out_features) for m in book):
        raise Found("widths", yours=_sizes(linears), book=_sizes(book))
    used: list = []
    hooks = [m.register_forward_pre_hook(lambda m, _: used.append(m)) for m in linears]
    try:
        with torch.no_grad():
            try:
                call(module, x)
            except Failed as failed:
                if "cannot be multiplied" in failed.message:
                    raise Found("no-flatten") from None
                raise
            if [m.weight.shape for m in used] != [m.weight.shape for m in book]:
                raise Found("widths", yours=_sizes(used), book=_sizes(book))
            for mine, source in zip(used, book):
                mine.weight.copy_(source.weight)
                mine.bias.copy_(source.bias)
            return as_tensor(call(module, x))
    finally:
        for hook in hooks:
            hook.remove()


def _encoder_layers(relu_at_end=False, relus=True):
    def make(latent_dim):
        layers = [nn.Flatten()]
        for n_in, n_out in [(784, 256), (256, 128)]:
            layers += [nn.Linear(n_in, n_out)] + ([nn.ReLU()] if relus else [])
        layers.append(nn.Linear(128, latent_dim))
        return nn.Sequential(*layers, *([nn.ReLU()] if relu_at_end else []))
    return make


ENCODER = Exercise(
    "make_encoder", "2", "the autoencoder's encoder: 784 -> 256 -> 128 -> latent",
    _reference_encoder, _encoder_cases, _run_encoder,
    {
        "widths": ("its Linear layers are {yours}; the book's are {book}, in that order (the "
                   "head is Linear(128, latent_dim))", None),
        "no-bias": ("its Linear layers have no bias (bias=False): the book's layers each add "
                    "one, so they give other points. Leave bias at nn.Linear's default", None),
        "no-flatten": ("the first Linear gets a 28 x 28 image instead of a row of 784 numbers: "
                       "start with nn.Flatten()", None),
        "relu-after-head": ("there is a ReLU after the last Linear, so no latent number can be "
                            "negative: the head gives any real number",
                            _encoder_layers(relu_at_end=True)),
        "no-relu": ("there is no ReLU between the layers, so the whole encoder is one linear "
                    "map: put nn.ReLU() after each hidden Linear", _encoder_layers(relus=False)),
    },
    "With the book's weights copied in, it gives the book's latent points.")


# --------------------------------------------------------------------------- 03: reparameterise
# A right answer is any z ~ N(mu, sigma²) through which gradients reach mu and logvar, drawn
# anew at every call. So z is compared in distribution: the mean and the standard deviation of
# many draws, and two calls must differ.

DRAWS = 4000


def _reparam_cases(case: int) -> tuple:
    g = gen(case)
    mu = torch.randn(1, 6, generator=g) * 2
    logvar = torch.tensor([[-2.0, -1.0, -0.4, 0.3, 1.0, 1.6]])[:, torch.randperm(6, generator=g)]
    return mu, logvar


def _run_reparam(fn, args):
    mu, logvar = (a.repeat(DRAWS, 1) for a in args)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        first, second = (as_tensor(call(fn, mu.clone(), logvar.clone())) for _ in range(2))
    if first.shape != mu.shape:
        return first
    spread = first.std(0)
    if torch.equal(first, second) and bool((spread > 0).any()):
        raise Found("fixed-noise")
    return torch.stack([first.mean(0), spread])      # (2, d): mean and spread of the draws


def _same_distribution(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Means within 7 standard errors (of the difference of two samples of 4,000 draws) and
    spreads within 10%."""
    sigma = expected[1]
    mean_ok = ((got[0] - expected[0]).abs() <= 7 * sigma / math.sqrt(DRAWS) + 1e-6).all()
    std_ok = ((got[1] - sigma).abs() <= 0.1 * sigma + 1e-6).all()
    return bool(mean_ok and std_ok)


def _spot_reparam(got, expected, args) -> None:
    if got.shape == expected.shape and bool((got[1] < 1e-6).all()):
        raise Found("same-rows")


def _describe_draws(got, expected, args) -> str:
    """Which is off, the average of the draws or their spread, against mu and sigma."""
    if got.shape != expected.shape:
        return describe(got, expected)
    mu, logvar = args[0][0].double(), args[1][0].double()
    sigma = (0.5 * logvar).exp()
    se = sigma / math.sqrt(DRAWS)
    off_mean = (got[0] - mu).abs() / se
    off_spread = (got[1] / sigma).log().abs()
    j = int(off_mean.argmax())
    a, b = digits(got[0, j].item(), mu[j].item())
    mean = (f"their average is {a} where mu is {b}" if off_mean[j] > 5
            else "their average is right (mu)")
    j = int(off_spread.argmax())
    a, b = digits(got[1, j].item(), sigma[j].item())
    spread = (f"their spread is {a} where sigma = exp(logvar / 2) is {b} (logvar "
              f"{logvar[j].item():g})" if off_spread[j] > 0.1 else "their spread is right (sigma)")
    return f"over {DRAWS:,} draws, {mean}, and {spread}"


REPARAMETERIZE = Exercise(
    "reparameterize", "3", "z = mu + sigma * eps, with sigma = exp(logvar / 2)",
    lambda mu, logvar: VAE.reparameterize(None, mu, logvar),   # it does not use self
    _reparam_cases, _run_reparam,
    {
        "logvar-as-sigma": ("log-variance is used as sigma: logvar is log sigma², so sigma = "
                            "torch.exp(0.5 * logvar)", lambda mu, logvar: mu + logvar * torch.randn_like(mu)),
        "missing-half": ("the ½ is missing: exp(logvar) is the variance sigma², and sigma is "
                         "torch.exp(0.5 * logvar)",
                         lambda mu, logvar: mu + logvar.exp() * torch.randn_like(mu)),
        "no-sigma": ("every z gets the same spread (1): multiply the noise by sigma",
                     lambda mu, logvar: mu + torch.randn_like(mu)),
        "no-noise": ("z is always mu: add sigma times noise from torch.randn_like(mu)",
                     lambda mu, logvar: mu + 0 * logvar),
        "no-mu": ("z is centred on 0, not on mu: add mu to sigma * eps",
                  lambda mu, logvar: (0.5 * logvar).exp() * torch.randn_like(mu)),
        "uniform": ("the noise is uniform on [0, 1) (torch.rand), so z's average and spread are "
                    "both off: eps comes from N(0, 1), torch.randn_like(mu)",
                    lambda mu, logvar: mu + (0.5 * logvar).exp() * torch.rand_like(mu)),
        "fixed-noise": ("z is the same at every call: the noise never changes (a seed or a "
                        "generator of its own inside the function?). Each call must draw new "
                        "noise: eps = torch.randn_like(mu)", None),
        "same-rows": ("every row of z is the same, so the draws do not spread at all: draw one "
                      "eps per number, with the shape of mu (torch.randn_like(mu))", None),
        "no-gradient": ("z is drawn right, but no gradient reaches mu and logvar (torch.normal, "
                        "NumPy, or a detached tensor samples without a path back): compute "
                        "mu + sigma * eps from eps = torch.randn_like(mu)", None),
    },
    "z ~ N(mu, sigma²), new at every call, and gradients reach mu and log sigma².",
    compare=_same_distribution, describe=_describe_draws, spot=_spot_reparam, gradient=(0, 1))


# --------------------------------------------------------------------------- 04: log-mean-exp
# Log weights of real images lie hundreds of nats below zero: exp() of them is 0 in float32
# (below about -104) and, far enough down, in float64 too (below about -745). The rows lie at
# very different heights, so one largest value for all rows does not save them either.

def _lme_cases(case: int) -> tuple:
    heights = torch.tensor([-120.0, -500.0, -900.0, -2000.0])
    g = gen(case)
    return (heights[torch.randperm(4, generator=g), None] - 10 * torch.rand(4, 7, generator=g),)


def _spot_underflow(got, expected, args) -> None:
    if got.shape == expected.shape and bool((~got.isfinite() & expected.isfinite()).any()):
        raise Found("underflow")


LOG_MEAN_EXP = Exercise(
    "log_mean_exp", "4", "log (1/K) sum_k exp(log_w[:, k]) for each row, without underflow",
    likelihood.log_mean_exp, _lme_cases, call_scalar,
    {
        "log-of-sum": ("that is the log of the sum: subtract log K to make it the log of the "
                       "average", lambda log_w: torch.logsumexp(log_w, 1)),
        "mean-of-logs": ("that is the average of the log weights, the K = 1 bound (the ELBO), "
                         "not the log of the average weight", lambda log_w: log_w.mean(1)),
        "wrong-dimension": ("it averages over the images (dimension 0) instead of the samples "
                            "of each image (dimension 1)",
                            lambda log_w: torch.logsumexp(log_w, 0) - math.log(len(log_w))),
        "log-n": ("it subtracts the log of the number of images (log N), not of the samples "
                  "per image: K = log_w.shape[1]",
                  lambda log_w: torch.logsumexp(log_w, 1) - math.log(len(log_w))),
        "global-max": ("it subtracts one largest value for the whole tensor, so rows far below "
                       "it still underflow to -inf: subtract each row's own largest value "
                       "(log_w.max(dim=1, keepdim=True)), or use torch.logsumexp",
                       lambda log_w: log_w.max() + (log_w - log_w.max()).exp().mean(1).log()),
        "underflow": ("exp() of log weights this far below zero is 0, in float32 below about "
                      "-104 and even in float64 below about -745, so the log is -inf: subtract "
                      "each row's largest value first, or use torch.logsumexp", None),
    },
    "One estimate per image, and no underflow.", spot=_spot_underflow)


# --------------------------------------------------------------------------- 05: reconstruction

def loss_cases(case: int) -> tuple:
    g = gen(case)
    return 2 * torch.randn(6, 1, 28, 28, generator=g), pictures(6, g)


def squared_error(logits, x):
    return (torch.sigmoid(logits) - x) ** 2


MSE = Exercise(
    "reconstruction_loss", "5", "squared error of sigmoid(logits), summed over pixels, "
    "averaged over the batch",
    lambda logits, x: losses.reconstruction_loss(logits, x, "mse"), loss_cases, call_scalar,
    {
        "mean-over-pixels": ("it averages over the 784 pixels instead of summing them (784 times "
                             "too small, which weighs the KL 784 times too much): sum over each "
                             "image's pixels, then average over the batch",
                             lambda logits, x: F.mse_loss(torch.sigmoid(logits), x)),
        "sum-over-batch": ("it sums over the batch instead of averaging: the loss then grows "
                           "with the batch size. Divide by the number of images",
                           lambda logits, x: squared_error(logits, x).sum()),
        "batch-averaged-twice": ("the batch is averaged twice (divided by the batch size once too "
                                 "often)",
                                 lambda logits, x: squared_error(logits, x).sum() / len(x) ** 2),
        "logits": ("it compares the logits with the pixels: pass the logits through "
                   "torch.sigmoid first", lambda logits, x: (logits - x).pow(2).sum() / len(x)),
        "not-squared": ("it adds up absolute differences, not squared ones",
                        lambda logits, x: (torch.sigmoid(logits) - x).abs().sum() / len(x)),
        "per-image": ("it returns one number per image: average them over the batch (.mean())",
                      lambda logits, x: squared_error(logits, x).sum((1, 2, 3))),
        "no-gradient": (LOSS_GRADIENT, None),
    },
    "Summed over pixels, averaged over the batch: the package's convention.", gradient=(0,))


def _bce(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none")


BCE = Exercise(
    "bce", "5", "binary cross-entropy from the logits, summed over pixels, averaged over the batch",
    lambda logits, x: losses.reconstruction_loss(logits, x, "bce"), loss_cases, call_scalar,
    {
        "mean-over-pixels": ("it averages over the 784 pixels instead of summing them (784 times "
                             "too small): sum over each image's pixels, then average over the "
                             "batch",
                             lambda logits, x: F.binary_cross_entropy_with_logits(logits, x)),
        "sigmoid-twice": ("binary_cross_entropy_with_logits applies the sigmoid itself: give it "
                          "the logits, not sigmoid(logits)",
                          lambda logits, x: _bce(torch.sigmoid(logits), x).sum() / len(x)),
        "sign-flipped": ("the sign is flipped: cross-entropy is -[x log p + (1 - x) log(1 - p)], "
                         "never negative", lambda logits, x: -_bce(logits, x).sum() / len(x)),
        "swapped": ("the prediction and the target are swapped: the pixels x are the target "
                    "(the second argument)",
                    lambda logits, x: F.binary_cross_entropy(x, torch.sigmoid(logits),
                                                             reduction="sum") / len(x)),
        "sum-over-batch": ("it sums over the batch instead of averaging: divide by the number "
                           "of images", lambda logits, x: _bce(logits, x).sum()),
        "per-image": ("it returns one number per image: average them over the batch (.mean())",
                      lambda logits, x: _bce(logits, x).sum((1, 2, 3))),
        "no-gradient": (LOSS_GRADIENT, None),
    },
    "In nats per image, summed over pixels, averaged over the batch.", gradient=(0,))


# --------------------------------------------------------------------------- 06: KL divergence

def kl_cases(case: int) -> tuple:
    g = gen(case)
    return 1.5 * torch.randn(6, 5, generator=g), 4.5 * torch.rand(6, 5, generator=g) - 3


def kl_terms(mu, var, log_var):
    return 0.5 * (mu ** 2 + var - log_var - 1)


KL = Exercise(
    "kl_divergence", "6", "KL(N(mu, sigma²) || N(0, 1)), summed over the latent dimensions, "
    "averaged over the batch",
    losses.kl_divergence, kl_cases, call_scalar,
    {
        "sign-flipped": ("the sign is flipped: a KL divergence is never negative. It is "
                         "+½ (mu² + sigma² - log sigma² - 1)",
                         lambda mu, lv: -kl_terms(mu, lv.exp(), lv).sum(1).mean()),
        "missing-half": ("the ½ in front is missing (twice the KL): "
                         "½ (mu² + sigma² - log sigma² - 1)",
                         lambda mu, lv: (mu ** 2 + lv.exp() - lv - 1).sum(1).mean()),
        "logvar-as-sigma": ("logvar is used as sigma: it is log sigma², so sigma² = exp(logvar) "
                            "and log sigma² = logvar",
                            lambda mu, lv: kl_terms(mu, lv ** 2, torch.log(lv ** 2)).sum(1).mean()),
        "logvar-as-log-sigma": ("logvar is read as log sigma, but it is log sigma²: "
                                "sigma² = exp(logvar), not exp(2 * logvar)",
                                lambda mu, lv: kl_terms(mu, (2 * lv).exp(), 2 * lv).sum(1).mean()),
        "no-minus-one": ("the -1 is missing, so the KL is not 0 at mu = 0, sigma = 1",
                         lambda mu, lv: (0.5 * (mu ** 2 + lv.exp() - lv)).sum(1).mean()),
        "mean-over-latent": ("it averages over the latent dimensions instead of summing them",
                             lambda mu, lv: kl_terms(mu, lv.exp(), lv).mean()),
        "sum-over-batch": ("it sums over the batch instead of averaging: divide by the number "
                           "of images", lambda mu, lv: kl_terms(mu, lv.exp(), lv).sum()),
        "batch-averaged-twice": ("the batch is averaged twice (divided by the batch size once "
                                 "too often)",
                                 lambda mu, lv: kl_terms(mu, lv.exp(), lv).sum(1).mean() / len(mu)),
        "per-image": ("it returns one number per image: average them over the batch (.mean())",
                      lambda mu, lv: kl_terms(mu, lv.exp(), lv).sum(1)),
        "no-gradient": (LOSS_GRADIENT, None),
    },
    "In nats per image, 0 exactly when mu = 0 and sigma = 1.", gradient=(0, 1))
