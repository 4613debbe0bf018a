"""The chapters' exercises: check a function you wrote against the book's own.

    from vae_tutorial import exercises
    exercises.check("kl_divergence", my_kl)    # prints one line: right, or what it looks like

``check`` runs your function and the package's own code (``losses.kl_divergence`` here) on the
same random inputs. When the two agree it says so. When they do not, it runs the mistakes VAE
learners make most (a flipped sign, a mean where the book sums, log-variance used as sigma, the
missing ½, the batch averaged twice, ...) on the same inputs, and names the one your function
matches, with how to fix it. ``EXERCISES`` lists what can be checked, each with its chapter.
It prints plain text, so it works the same in Jupyter, Colab and Binder.
"""

from __future__ import annotations

import copy
import math
import textwrap
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from . import latent, likelihood, losses, metrics
from .models import VAE, Autoencoder
from .support.errors import ConfigError
from .train import vae_step

__all__ = ["check", "diagnose", "Verdict", "EXERCISES"]

CASES = 3   # random input sets each function is tried on


@dataclass(frozen=True)
class Verdict:
    """What :func:`diagnose` found: ``ok``; ``mistake``, the key of the known mistake the
    function matched (None when right or unrecognised); ``message``, the one line ``check``
    prints."""

    exercise: str
    ok: bool
    mistake: str | None
    message: str

    def __str__(self) -> str:
        return self.message


class Found(Exception):
    """Raised inside an exercise's ``run`` when a mistake shows before any comparison (weights
    of the wrong shape, no gradient): ``key`` names it in the exercise's ``mistakes``."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Exercise:
    """One checkable exercise.

    ``run(fn, case)`` calls a function written for the exercise on one random input set and
    returns what is compared (a tensor); ``reference`` is the book's own function, and each of
    ``mistakes`` maps a key to (the line a reader is shown, that mistake written out as a
    function the same ``run`` can call, or None for mistakes that ``run`` finds itself by
    raising :class:`Found`)."""

    name: str
    chapter: str
    task: str
    reference: Callable
    cases: Callable[[int], tuple]
    run: Callable[[Callable, tuple], torch.Tensor]
    mistakes: dict[str, tuple[str, Callable | None]]
    right: str
    rtol: float = 1e-4
    atol: float = 1e-5
    compare: Callable | None = None   # (got, expected) -> bool, when closeness is not enough
    extra: Callable | None = field(default=None)   # (fn) -> mistake key or None, once right


def _as_tensor(value) -> torch.Tensor | None:
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.detach().double()
    return torch.as_tensor(value, dtype=torch.float64)


def _close(ex: Exercise, got: torch.Tensor, expected: torch.Tensor) -> bool:
    if got.shape != expected.shape:
        return False
    if ex.compare is not None:
        return bool(ex.compare(got, expected))
    both_nan = torch.isnan(got) & torch.isnan(expected)
    return bool((torch.isclose(got, expected, rtol=ex.rtol, atol=ex.atol, equal_nan=True)
                 | both_nan).all())


def _shape(t: torch.Tensor) -> str:
    return "a single number" if t.dim() == 0 else f"shape {tuple(t.shape)}"


def _describe(got: torch.Tensor, expected: torch.Tensor) -> str:
    if got.shape != expected.shape:
        return f"yours gives {_shape(got)}, the book's {_shape(expected)}"
    if got.numel() == 1:
        return f"yours gives {got.item():.4g}, the book's {expected.item():.4g} on the same inputs"
    worst = (got - expected).abs().max().item()
    return f"on the same inputs yours differs from the book's by up to {worst:.3g}"


def diagnose(name: str, fn: Callable) -> Verdict:
    """Check ``fn`` for exercise ``name`` (a key of :data:`EXERCISES`) and return the verdict
    without printing it."""
    if name not in EXERCISES:
        raise ConfigError(f"no exercise {name!r}; the exercises are {', '.join(EXERCISES)}")
    if not callable(fn):
        raise ConfigError(f"check({name!r}, ...) needs your function itself (its name, without "
                          f"brackets), got {type(fn).__name__}")
    ex = EXERCISES[name]

    def verdict(key: str | None, text: str) -> Verdict:
        return Verdict(name, False, key, f"✗ {name}: {text}")

    for case in range(CASES):
        args = ex.cases(case)
        try:
            got = ex.run(fn, copy.deepcopy(args))
        except Found as found:
            return verdict(found.key, ex.mistakes[found.key][0])
        except Exception as err:  # the reader's code failed: say how, in one line
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            return verdict(None, f"your function raised {type(err).__name__}: {first}")
        if got is None:
            return verdict(None, "your function returned nothing (None): finish it with `return ...`")
        expected = ex.run(ex.reference, copy.deepcopy(args))
        if _close(ex, got, expected):
            continue
        for key, (hint, version) in ex.mistakes.items():
            if version is None:
                continue
            try:
                if _close(ex, got, ex.run(version, copy.deepcopy(args))):
                    return verdict(key, hint)
            except Found:
                continue
        return verdict(None, f"not what the book's code gives ({_describe(got, expected)}), and "
                             f"not one of the usual mistakes. Compare it with the code shown in "
                             f"chapter {ex.chapter}.")
    if ex.extra is not None:
        key = ex.extra(fn)
        if key is not None:
            return verdict(key, ex.mistakes[key][0])
    return Verdict(name, True, None, f"✓ {name}: right. {ex.right}")


def check(name: str, fn: Callable) -> None:
    """Run your function ``fn`` for exercise ``name`` against the book's own code on random
    inputs and print its verdict: ✓, or ✗ with the known mistake it looks like (one
    message, wrapped to fit the exercise boxes of the book)."""
    print(textwrap.fill(diagnose(name, fn).message, 72, subsequent_indent="  "))


# =========================================================================== the exercises
# Each exercise: random inputs (seeded by the case number), how a function is run on them, the
# book's function, and the known mistakes written out the way learners write them.

def _gen(case: int) -> torch.Generator:
    return torch.Generator().manual_seed(1000 + case)


# --------------------------------------------------------------------------- 01: nearest image

def _nearest_cases(case: int) -> tuple:
    g = _gen(case)
    images = torch.rand(50, 1, 28, 28, generator=g)
    image = (images[7 + case] + 0.1 * torch.rand(1, 28, 28, generator=g)).clamp(0, 1)
    return image, images


def _nearest_reference(image, images):
    return metrics.nearest_distance(image.flatten()[None], images.flatten(1))[0]


def _call_scalar(fn, args):
    return _as_tensor(fn(*args))


def _sq_distances(image, images):
    return ((images - image) ** 2).sum((1, 2, 3))


NEAREST = Exercise(
    "nearest_distance", "1", "the Euclidean distance from one image to the nearest of many",
    _nearest_reference, _nearest_cases, _call_scalar,
    {
        "squared": ("that is the squared distance: take its square root (torch.sqrt) at the end",
                    lambda image, images: _sq_distances(image, images).min()),
        "farthest": ("that is the distance to the farthest image: take the minimum, not the "
                     "maximum", lambda image, images: _sq_distances(image, images).max().sqrt()),
        "not-squared": ("the differences are added without squaring them, so dark and bright "
                        "pixels cancel out: square each difference before summing",
                        lambda image, images: (images - image).sum((1, 2, 3)).abs().min()),
        "mean-over-pixels": ("that is the distance averaged over the 784 pixels (28 times too "
                             "small): sum the squared differences over the pixels, do not average them",
                             lambda image, images: (images - image).pow(2).mean((1, 2, 3)).min().sqrt()),
    },
    "Distance 0 would be an exact copy.")


# --------------------------------------------------------------------------- 02: the encoder

def _encoder_cases(case: int) -> tuple:
    return (2 + 3 * case, torch.rand(4, 1, 28, 28, generator=_gen(case)))


def _reference_encoder(latent_dim: int) -> torch.nn.Module:
    ae = Autoencoder(latent_dim)
    return torch.nn.Sequential(ae.encoder, ae.fc_z)


def _run_encoder(make, args):
    """Build the reader's encoder, copy the book's weights into it (so the two can be compared
    number for number) and encode the images."""
    latent_dim, x = args
    with torch.random.fork_rng():     # building layers draws weights: not from the reader's stream
        module = make(latent_dim)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"make_encoder should return a torch module (nn.Sequential), got "
                        f"{type(module).__name__}")
    with torch.random.fork_rng():
        torch.manual_seed(latent_dim)
        book = _reference_encoder(latent_dim)
    theirs, ours = list(module.parameters()), list(book.parameters())
    if [p.shape for p in theirs] != [p.shape for p in ours]:
        raise Found("widths")
    with torch.no_grad():
        for mine, source in zip(theirs, ours):
            mine.copy_(source)
        try:
            return _as_tensor(module(x))
        except RuntimeError as err:
            if "shapes cannot be multiplied" in str(err):
                raise Found("no-flatten") from None
            raise


def _encoder_layers(relu_at_end=False, relus=True, flatten=True):
    def make(latent_dim):
        layers = [torch.nn.Flatten()] if flatten else []
        for n_in, n_out in [(784, 256), (256, 128)]:
            layers += [torch.nn.Linear(n_in, n_out)] + ([torch.nn.ReLU()] if relus else [])
        layers.append(torch.nn.Linear(128, latent_dim))
        return torch.nn.Sequential(*layers, *([torch.nn.ReLU()] if relu_at_end else []))
    return make


ENCODER = Exercise(
    "make_encoder", "2", "the autoencoder's encoder: 784 -> 256 -> 128 -> latent",
    _reference_encoder, _encoder_cases, _run_encoder,
    {
        "widths": ("its layers do not have the book's sizes: Linear(784, 256), Linear(256, 128) "
                   "and a head Linear(128, latent_dim), in that order", None),
        "no-flatten": ("the first Linear gets a 28 x 28 image instead of a row of 784 numbers: "
                       "start with nn.Flatten()", None),
        "relu-after-head": ("there is a ReLU after the last Linear, so no latent number can be "
                            "negative: the head gives any real number", _encoder_layers(relu_at_end=True)),
        "no-relu": ("there is no ReLU between the layers, so the whole encoder is one linear "
                    "map: put nn.ReLU() after each hidden Linear", _encoder_layers(relus=False)),
    },
    "With the book's weights copied in, it gives the book's latent points.")


# --------------------------------------------------------------------------- 03: reparameterise
# A right answer is any z ~ N(mu, sigma²) through which gradients reach mu and logvar, so
# z is compared in distribution: the mean and standard deviation of many draws.

DRAWS = 4000


def _reparam_cases(case: int) -> tuple:
    g = _gen(case)
    mu = torch.randn(1, 6, generator=g) * 2
    logvar = torch.tensor([[-2.0, -1.0, -0.4, 0.3, 1.0, 1.6]])[:, torch.randperm(6, generator=g)]
    return mu, logvar


def _run_reparam(fn, args):
    mu, logvar = (a.expand(DRAWS, -1) for a in args)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        z = fn(mu, logvar)
    if z is None:
        return None
    z = _as_tensor(z)
    if z.shape != mu.shape:
        return z
    return torch.stack([z.mean(0), z.std(0)])      # (2, d): mean and spread of the draws


def _same_distribution(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Means within 5 standard errors and spreads within 10% (4,000 draws)."""
    sigma = expected[1]
    mean_ok = ((got[0] - expected[0]).abs() <= 5 * sigma / math.sqrt(DRAWS) + 1e-6).all()
    std_ok = ((got[1] - sigma).abs() <= 0.1 * sigma + 1e-6).all()
    return bool(mean_ok and std_ok)


def _reparam_gradient(fn) -> str | None:
    mu = torch.zeros(3, 4, requires_grad=True)
    logvar = torch.zeros(3, 4, requires_grad=True)
    with torch.random.fork_rng():
        z = fn(mu, logvar)
    if not isinstance(z, torch.Tensor) or not z.requires_grad:
        return "no-gradient"
    z.pow(2).sum().backward()
    if mu.grad is None or logvar.grad is None or not logvar.grad.abs().sum() > 0:
        return "no-gradient"
    return None


def _noise(like):
    return torch.randn_like(like)


REPARAMETERIZE = Exercise(
    "reparameterize", "3", "z = mu + sigma * eps, with sigma = exp(logvar / 2)",
    lambda mu, logvar: VAE.reparameterize(None, mu, logvar),   # it does not use self
    _reparam_cases, _run_reparam,
    {
        "logvar-as-sigma": ("log-variance is used as sigma: logvar is log sigma², so sigma = "
                            "torch.exp(0.5 * logvar)", lambda mu, logvar: mu + logvar * _noise(mu)),
        "missing-half": ("the ½ is missing: exp(logvar) is the variance sigma², and sigma is "
                         "torch.exp(0.5 * logvar)", lambda mu, logvar: mu + logvar.exp() * _noise(mu)),
        "no-sigma": ("every z gets the same spread (1): multiply the noise by sigma",
                     lambda mu, logvar: mu + _noise(mu)),
        "no-noise": ("z is always mu: add sigma times noise from torch.randn_like(mu)",
                     lambda mu, logvar: mu + 0 * logvar),
        "no-mu": ("z is centred on 0, not on mu: add mu to sigma * eps",
                  lambda mu, logvar: (0.5 * logvar).exp() * _noise(mu)),
        "no-gradient": ("z is drawn right, but no gradient reaches mu and logvar (torch.normal, "
                        "or a detached tensor, samples without a path back): compute "
                        "mu + sigma * eps from eps = torch.randn_like(mu)", None),
    },
    "z ~ N(mu, sigma²), and gradients reach mu and log sigma².",
    compare=_same_distribution, extra=_reparam_gradient)


# --------------------------------------------------------------------------- 04: log-mean-exp

def _lme_cases(case: int) -> tuple:
    # log weights of real digits are hundreds of nats below zero: exp() of them is 0 in float32
    return (-150 - 10 * torch.rand(4, 7, generator=_gen(case)),)


LOG_MEAN_EXP = Exercise(
    "log_mean_exp", "4", "log (1/K) sum_k exp(log_w[:, k]) for each row, without underflow",
    likelihood.log_mean_exp, _lme_cases, _call_scalar,
    {
        "underflow": ("exp() of log weights this far below zero is 0 in float32, so the log is "
                      "-inf: subtract each row's largest value first, or use torch.logsumexp",
                      lambda log_w: log_w.exp().mean(1).log()),
        "log-of-sum": ("that is the log of the sum: subtract log K to make it the log of the "
                       "average", lambda log_w: torch.logsumexp(log_w, 1)),
        "mean-of-logs": ("that is the average of the log weights, the K = 1 bound (the ELBO), "
                         "not the log of the average weight", lambda log_w: log_w.mean(1)),
        "wrong-dimension": ("it averages over the images (dimension 0) instead of the samples "
                            "of each image (dimension 1)",
                            lambda log_w: torch.logsumexp(log_w, 0) - math.log(len(log_w))),
    },
    "One estimate per image, and no underflow.")


# --------------------------------------------------------------------------- 05: reconstruction

def _pictures(n: int, g: torch.Generator) -> torch.Tensor:
    """(n, 1, 28, 28) in [0, 1], like digits: mostly background, some full ink, some grey."""
    u = torch.rand(n, 1, 28, 28, generator=g)
    grey = torch.rand(n, 1, 28, 28, generator=g)
    return torch.where(u < 0.6, 0.0, torch.where(u < 0.7, 1.0, grey))


def _loss_cases(case: int) -> tuple:
    g = _gen(case)
    return 2 * torch.randn(6, 1, 28, 28, generator=g), _pictures(6, g)


def _sq(logits, x):
    return (torch.sigmoid(logits) - x) ** 2


MSE = Exercise(
    "reconstruction_loss", "5", "squared error of sigmoid(logits), summed over pixels, "
    "averaged over the batch",
    lambda logits, x: losses.reconstruction_loss(logits, x, "mse"), _loss_cases, _call_scalar,
    {
        "mean-over-pixels": ("it averages over the 784 pixels instead of summing them (784 times "
                             "too small, which weighs the KL 784 times too much): sum over each "
                             "image's pixels, then average over the batch",
                             lambda logits, x: F.mse_loss(torch.sigmoid(logits), x)),
        "sum-over-batch": ("it sums over the batch instead of averaging: the loss then grows "
                           "with the batch size. Divide by the number of images",
                           lambda logits, x: _sq(logits, x).sum()),
        "batch-averaged-twice": ("the batch is averaged twice (divided by the batch size once too "
                                 "often)", lambda logits, x: _sq(logits, x).sum() / len(x) ** 2),
        "logits": ("it compares the logits with the pixels: pass the logits through "
                   "torch.sigmoid first", lambda logits, x: (logits - x).pow(2).sum() / len(x)),
        "not-squared": ("it adds up absolute differences, not squared ones",
                        lambda logits, x: (torch.sigmoid(logits) - x).abs().sum() / len(x)),
        "per-image": ("it returns one number per image: average them over the batch (.mean())",
                      lambda logits, x: _sq(logits, x).sum((1, 2, 3))),
    },
    "Summed over pixels, averaged over the batch: the package's convention.")


def _bce(logits, x):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none")


BCE = Exercise(
    "bce", "5", "binary cross-entropy from the logits, summed over pixels, averaged over the batch",
    lambda logits, x: losses.reconstruction_loss(logits, x, "bce"), _loss_cases, _call_scalar,
    {
        "mean-over-pixels": ("it averages over the 784 pixels instead of summing them (784 times "
                             "too small): sum over each image's pixels, then average over the batch",
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
    },
    "In nats per image, summed over pixels, averaged over the batch.")


# --------------------------------------------------------------------------- 06: KL divergence

def _kl_cases(case: int) -> tuple:
    g = _gen(case)
    return 1.5 * torch.randn(6, 5, generator=g), 4.5 * torch.rand(6, 5, generator=g) - 3


def _kl_terms(mu, var, log_var):
    return 0.5 * (mu ** 2 + var - log_var - 1)


KL = Exercise(
    "kl_divergence", "6", "KL(N(mu, sigma²) || N(0, 1)), summed over the latent dimensions, "
    "averaged over the batch",
    losses.kl_divergence, _kl_cases, _call_scalar,
    {
        "sign-flipped": ("the sign is flipped: a KL divergence is never negative. It is "
                         "+½ (mu² + sigma² - log sigma² - 1)",
                         lambda mu, lv: -_kl_terms(mu, lv.exp(), lv).sum(1).mean()),
        "missing-half": ("the ½ in front is missing (twice the KL): "
                         "½ (mu² + sigma² - log sigma² - 1)",
                         lambda mu, lv: (mu ** 2 + lv.exp() - lv - 1).sum(1).mean()),
        "logvar-as-sigma": ("logvar is used as sigma: it is log sigma², so sigma² = exp(logvar) "
                            "and log sigma² = logvar",
                            lambda mu, lv: _kl_terms(mu, lv ** 2, torch.log(lv ** 2)).sum(1).mean()),
        "logvar-as-log-sigma": ("logvar is read as log sigma, but it is log sigma²: "
                                "sigma² = exp(logvar), not exp(2 * logvar)",
                                lambda mu, lv: _kl_terms(mu, (2 * lv).exp(), 2 * lv).sum(1).mean()),
        "no-minus-one": ("the -1 is missing, so the KL is not 0 at mu = 0, sigma = 1",
                         lambda mu, lv: (0.5 * (mu ** 2 + lv.exp() - lv)).sum(1).mean()),
        "mean-over-latent": ("it averages over the latent dimensions instead of summing them",
                             lambda mu, lv: _kl_terms(mu, lv.exp(), lv).mean()),
        "sum-over-batch": ("it sums over the batch instead of averaging: divide by the number "
                           "of images", lambda mu, lv: _kl_terms(mu, lv.exp(), lv).sum()),
        "batch-averaged-twice": ("the batch is averaged twice (divided by the batch size once "
                                 "too often)",
                                 lambda mu, lv: _kl_terms(mu, lv.exp(), lv).sum(1).mean() / len(mu)),
        "per-image": ("it returns one number per image: average them over the batch (.mean())",
                      lambda mu, lv: _kl_terms(mu, lv.exp(), lv).sum(1)),
    },
    "In nats per image, 0 exactly when mu = 0 and sigma = 1.")


# --------------------------------------------------------------------------- 07: one training step

_STEP_MODEL = {"latent_dim": 3, "hidden_dims": (32, 16)}


def _step_cases(case: int) -> tuple:
    return case, _pictures(8, _gen(case))


def _run_step(step, args):
    """Two steps of ``step(model, optimizer, x)`` from the same start: the two losses it
    returns and every weight afterwards."""
    case, x = args
    with torch.random.fork_rng():
        torch.manual_seed(case)
        model = VAE(**_STEP_MODEL)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        returned = [_as_tensor(step(model, optimizer, x)) for _ in range(2)]
    if any(r is None for r in returned):
        return None
    weights = torch.cat([p.detach().double().flatten() for p in model.parameters()])
    return torch.cat([torch.stack([r.reshape(()) for r in returned]), weights])


def _book_step(model, optimizer, x, loss=None):
    """The book's step (train.train_epoch's loop body): steps 1-4 in vae_step, then step 5."""
    terms = (loss or vae_step)(model, x, None)
    optimizer.zero_grad()
    terms.total.backward()
    optimizer.step()
    return terms.total.item()


def _step_with(loss, zero_grad=True, update=True):
    def step(model, optimizer, x):
        logits, mu, logvar = model(x)
        total = loss(logits, x, mu, logvar)
        if zero_grad:
            optimizer.zero_grad()
        if update:
            total.backward()
            optimizer.step()
        return total.item()
    return step


def _mse(logits, x):
    return losses.reconstruction_loss(logits, x, "mse")


def _decoded_mu(model, optimizer, x):
    mu, logvar = model.encode(x)
    total = _mse(model.decode_logits(mu), x) + losses.kl_divergence(mu, logvar)
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    return total.item()


TRAIN_STEP = Exercise(
    "train_step", "7", "one training step: encode, sample, decode, both losses, update",
    _book_step, _step_cases, _run_step,
    {
        "no-zero-grad": ("the gradients are never reset, so each step adds to the last one's: "
                         "call optimizer.zero_grad() before loss.backward()",
                         _step_with(lambda l, x, m, v: _mse(l, x) + losses.kl_divergence(m, v),
                                    zero_grad=False)),
        "weights-unchanged": ("the weights never change: call loss.backward(), then "
                              "optimizer.step() (after zero_grad, not between the two)",
                              _step_with(lambda l, x, m, v: _mse(l, x) + losses.kl_divergence(m, v),
                                         update=False)),
        "decoded-mu": ("the decoder gets mu, not a sampled z: step 2 draws z = mu + sigma * eps "
                       "(model(x) does all three steps)", _decoded_mu),
        "kl-sign-flipped": ("the KL is subtracted: the loss is reconstruction + KL",
                            _step_with(lambda l, x, m, v: _mse(l, x) - losses.kl_divergence(m, v))),
        "mean-over-pixels": ("the reconstruction loss is averaged over pixels, which weighs the "
                             "KL 784 times too much: sum over pixels (losses.reconstruction_loss)",
                             _step_with(lambda l, x, m, v: F.mse_loss(torch.sigmoid(l), x)
                                        + losses.kl_divergence(m, v))),
    },
    "Same loss and same weights as train.train_epoch's step, twice in a row.",
    rtol=1e-3, atol=1e-5)


# --------------------------------------------------------------------------- 08: interpolation

def _interp_cases(case: int) -> tuple:
    g = _gen(case)
    with torch.random.fork_rng():
        torch.manual_seed(case)
        model = VAE(latent_dim=4, hidden_dims=(32, 16)).eval()
    a, b = _pictures(2, g)
    return model, a, b, 5 + case


def _run_interp(fn, args):
    model, a, b, steps = args
    paths = []
    for seed in (0, 1):    # a path must not change from one run to the next
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(seed)
            paths.append(fn(model, a, b, steps))
    if paths[0] is None:
        return None
    first, second = (_as_tensor(p) for p in paths)
    if first.shape == second.shape and not torch.allclose(first, second):
        raise Found("sampled-z")
    return first


def _mu(model, image):
    return model.encode(image[None])[0]


def _interp_with(decode=None, t=None):
    def interpolate(model, a, b, steps):
        ts = (torch.linspace(0, 1, steps) if t is None else t(steps))[:, None]
        z = (1 - ts) * _mu(model, a) + ts * _mu(model, b)
        return (decode or model.decode)(z)
    return interpolate


INTERPOLATE = Exercise(
    "interpolate", "8", "decode evenly spaced points on the line from a's encoding to b's",
    latent.interpolate, _interp_cases, _run_interp,
    {
        "pixels": ("that is a cross-fade of the two pictures: interpolate between their "
                   "encodings (mu) and decode those points",
                   lambda model, a, b, steps: torch.stack([(1 - t) * a + t * b
                                                           for t in torch.linspace(0, 1, steps)])),
        "sampled-z": ("the path changes from one run to the next: it starts from sampled "
                      "latent points. Use the encodings mu (model.encode(x)[0])", None),
        "endpoints": ("the path should start exactly at a's encoding and end at b's: "
                      "torch.linspace(0, 1, steps)",
                      _interp_with(t=lambda steps: torch.linspace(0, 1, steps + 2)[1:-1])),
        "logits": ("these are logits, not images: decode with model.decode (which applies "
                   "the sigmoid), not model.decode_logits",
                   lambda model, a, b, steps: _interp_with(decode=model.decode_logits)(model, a, b, steps)),
        "reversed": ("the path runs from b to a: start at the first image",
                     lambda model, a, b, steps: _interp_with()(model, b, a, steps)),
    },
    "A smooth path of images from a's encoding to b's.")


# --------------------------------------------------------------------------- 09: the BCE floor

def _floor_cases(case: int) -> tuple:
    return (_pictures(5, _gen(case)),)


def _entropy(x, log=torch.log):
    return -(x * log(x) + (1 - x) * log(1 - x))


BCE_FLOOR = Exercise(
    "bce_floor", "9", "the binary entropy of every pixel, summed over pixels, averaged over "
    "the images: nats per image",
    metrics.bce_floor, _floor_cases, _call_scalar,
    {
        "nan": ("pure black and white pixels give 0 * log 0, which is NaN in PyTorch but 0 in "
                "the formula: use torch.special.xlogy(x, x), or clamp x away from 0 and 1",
                lambda x: _entropy(x).sum((1, 2, 3)).mean()),
        "bits": ("that is in bits (log base 2): the book counts nats (the natural log)",
                 lambda x: -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x)).sum((1, 2, 3)).mean()
                 / math.log(2)),
        "one-term": ("only -x log x is there: the entropy also has -(1 - x) log(1 - x)",
                     lambda x: -torch.special.xlogy(x, x).sum((1, 2, 3)).mean()),
        "mean-over-pixels": ("it averages over the 784 pixels instead of summing them",
                             lambda x: -(torch.special.xlogy(x, x)
                                         + torch.special.xlogy(1 - x, 1 - x)).mean()),
        "sum-over-images": ("it sums over the images instead of averaging: divide by their number",
                            lambda x: -(torch.special.xlogy(x, x)
                                        + torch.special.xlogy(1 - x, 1 - x)).sum()),
    },
    "Nats per image: 0 for pure black and white, more for every grey pixel.")


# --------------------------------------------------------------------------- 10: the whole loss

def _vae_loss_cases(case: int) -> tuple:
    logits, x = _loss_cases(case)
    mu, logvar = _kl_cases(case)
    return logits, x, mu, logvar


def _rec(logits, x):
    return _sq(logits, x).sum((1, 2, 3))        # (B,)


def _kl(mu, lv):
    return _kl_terms(mu, lv.exp(), lv).sum(1)   # (B,)


VAE_LOSS = Exercise(
    "vae_loss", "10", "summed squared error + KL, each summed per image, averaged over the batch",
    lambda logits, x, mu, logvar: losses.vae_loss(logits, x, mu, logvar, "mse").total,
    _vae_loss_cases, _call_scalar,
    {
        "mean-over-pixels": ("the reconstruction loss is averaged over the 784 pixels while the "
                             "KL is summed: the KL weighs 784 times too much (posterior collapse)",
                             lambda logits, x, mu, lv: F.mse_loss(torch.sigmoid(logits), x) + _kl(mu, lv).mean()),
        "kl-sign-flipped": ("the KL is subtracted: the loss is reconstruction + KL",
                            lambda logits, x, mu, lv: (_rec(logits, x) - _kl(mu, lv)).mean()),
        "missing-half": ("the KL's ½ is missing (twice the KL)",
                         lambda logits, x, mu, lv: (_rec(logits, x) + 2 * _kl(mu, lv)).mean()),
        "logvar-as-sigma": ("the KL uses logvar as sigma: sigma² = exp(logvar)",
                            lambda logits, x, mu, lv: (_rec(logits, x) + _kl_terms(
                                mu, lv ** 2, torch.log(lv ** 2)).sum(1)).mean()),
        "no-kl": ("there is no KL term: that is the plain autoencoder's loss",
                  lambda logits, x, mu, lv: _rec(logits, x).mean()),
        "sum-over-batch": ("it sums over the batch instead of averaging: divide by the number of "
                           "images", lambda logits, x, mu, lv: (_rec(logits, x) + _kl(mu, lv)).sum()),
        "batch-averaged-twice": ("the batch is averaged twice (divided by the batch size once "
                                 "too often)",
                                 lambda logits, x, mu, lv: (_rec(logits, x) + _kl(mu, lv)).mean() / len(x)),
    },
    "Reconstruction + KL, both per image: the negative ELBO's shape.")


def _recon_cases(case: int) -> tuple:
    model, a, b, _ = _interp_cases(case)
    return model, torch.stack([a, b])


def _run_recon(fn, args):
    model, x = args
    outs = []
    for seed in (0, 1):
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(seed)
            outs.append(fn(model, x))
    if outs[0] is None:
        return None
    first, second = (_as_tensor(o) for o in outs)
    if first.shape == second.shape and not torch.allclose(first, second):
        raise Found("sampled-z")
    return first


RECONSTRUCT = Exercise(
    "reconstruct", "10", "decode each image's mu: the reconstruction to show and measure",
    latent.reconstruct, _recon_cases, _run_recon,
    {
        "sampled-z": ("the reconstruction changes from one run to the next: it decodes a sampled "
                      "z. At test time decode mu (model.encode(x)[0])", None),
        "logits": ("these are logits, not images: decode with model.decode (which applies the "
                   "sigmoid), not model.decode_logits",
                   lambda model, x: model.decode_logits(model.encode(x)[0])),
    },
    "The same reconstruction every time, from mu.")


EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in (
    NEAREST, ENCODER, REPARAMETERIZE, LOG_MEAN_EXP, MSE, BCE, KL, TRAIN_STEP, INTERPOLATE,
    BCE_FLOOR, VAE_LOSS, RECONSTRUCT)}


# --------------------------------------------------------------------------- 13: binarise
# Its own block (registered below), so that it merges beside other chapters' exercises.

BINARY_DRAWS = 2000   # copies of one picture each binarise(...) call gets


def _binarise_cases(case: int) -> tuple:
    return (_pictures(1, _gen(case)),)


def _run_binarise(fn, args):
    """The share of ink in each pixel over BINARY_DRAWS copies of one picture (1, 28, 28)."""
    x = args[0].expand(BINARY_DRAWS, -1, -1, -1).clone()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        got = fn(x)
    if got is None:
        return None
    got = _as_tensor(got)
    if got.shape != x.shape:
        return got
    if not ((got == 0) | (got == 1)).all() and not ((got == 0) | (got == 255)).all():
        raise Found("not-binary")
    grey = (x[0] > 0.05) & (x[0] < 0.95)
    flat, ink = x.flatten(1).double(), got.flatten(1) > 0
    lowest_ink = torch.where(ink, flat, torch.inf).min(1).values
    highest_paper = torch.where(ink, -torch.inf, flat).max(1).values
    if grey.any() and torch.equal(got, got[:1].expand_as(got)):   # every copy alike
        with torch.random.fork_rng():
            torch.manual_seed(1)
            again = _as_tensor(fn(x.clone()))
        raise Found("threshold" if torch.equal(again, got) else "one-draw")
    if grey.any() and (lowest_ink >= highest_paper).all():   # ink wherever x is above a level
        raise Found("one-per-image")
    return got.mean(0)


def _same_ink(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Two shares of ink per pixel, each from BINARY_DRAWS draws, that agree: pixel by pixel
    within 6 standard errors of their difference, and summed over the pixels too (where a
    small bias in every pixel adds up)."""
    if got.shape != expected.shape:
        return False
    p = ((got + expected) / 2).clamp(0, 1)                      # pooled share of ink
    var = 2 * p * (1 - p) / BINARY_DRAWS
    pixels = ((got - expected).abs() <= 6 * var.sqrt() + 3 / BINARY_DRAWS).all()
    total = (got - expected).sum().abs() <= 6 * var.sum().sqrt() + 3 / BINARY_DRAWS
    return bool(pixels and total)


def _binarise_fresh(fn) -> str | None:
    """Once right: two calls (under two seeds) must not draw the same pixels."""
    x = torch.full((4, 1, 28, 28), 0.5)
    with torch.random.fork_rng():
        torch.manual_seed(1)
        first = _as_tensor(fn(x.clone()))
        torch.manual_seed(2)
        second = _as_tensor(fn(x.clone()))
    return "fixed-draw" if torch.equal(first, second) else None


BINARISE = Exercise(
    "binarise", "13", "each pixel 1 with its grey level as probability, else 0, drawn anew "
    "at every call",
    torch.bernoulli, _binarise_cases, _run_binarise,
    {
        "threshold": ("that is a fixed threshold (ink where x > 0.5): a pixel of 0.3 is then "
                      "never ink and one of 0.7 always. Draw each pixel with its grey level as "
                      "probability: torch.bernoulli(x)", None),
        "one-draw": ("every image gets the same pixels: draw one random number per pixel of "
                     "every image (torch.rand_like(x)), not one for all", None),
        "one-per-image": ("each image has one random number for all its pixels, so its ink is "
                          "every pixel above one level: draw one number per pixel "
                          "(torch.rand_like(x))", None),
        "not-binary": ("some pixels are neither 0 nor 1: each pixel is drawn whole, 1 (ink) with "
                       "probability x, else 0", None),
        "inverted": ("ink and paper are swapped: a pixel is ink with probability x, so compare "
                     "torch.rand_like(x) < x, not >", lambda x: torch.bernoulli(1 - x)),
        "255": ("the ink is 255: the models take pixels in [0, 1], so ink is 1",
                lambda x: torch.bernoulli(x) * 255),
        "fixed-draw": ("the draws are right, but the same at every call (a seed set inside the "
                       "function?): dynamic binarisation draws anew each time", None),
    },
    "Ink with probability x, a fresh draw every call.",
    compare=_same_ink, extra=_binarise_fresh)

EXERCISES[BINARISE.name] = BINARISE
