"""How good is the VAE? The field's yardstick, where the nats go, and KL warm-up (chapter 13).

- Binarised MNIST, the papers' data: :func:`binarised_step` trains on black-and-white digits drawn
  afresh from the grey ones every time a digit comes round (dynamic binarisation); :func:`binarised`
  draws the held-out digits once, so every model is scored on the same ones.
- :class:`KLWarmUp`: a training step whose beta rises from 0 (KL annealing).
- :func:`fitted_elbo`: the ELBO with q(z|x) fitted to each image alone, against the encoder's
  (the amortisation gap of Cremer, Li and Duvenaud, 2018).
- :func:`aggregate_posterior`: how far the mixture of every q(z|x) lies from the prior N(0, I).
- :func:`specks` and :func:`grey_share`: what a decoder's mean image and its drawn pixels look like.

Each section's table: :func:`table` (the yardstick, beside the papers' rows), :func:`nats`
(where the gap between the ELBO and log p(x) goes), :func:`holes` (where random points land
that encodings rarely reach) and :func:`blur` (mean images against drawn pixels).

The steps are passed in, ``book.trained("vae-bce", digits, step=yardstick.binarised_step)``, the
way chapter 10's bugs are; the book's other models never come here.
"""

from __future__ import annotations

import math
import textwrap
import weakref
from dataclasses import replace
from typing import NamedTuple

import torch
import torch.nn.functional as F

from .data import ImageData
from .fitting import evaluate_loss
from .latent import sample
from .likelihood import LogWeights, elbo, kl_per_dimension, log_mean_exp
from .losses import kl_per_latent, reconstruction_loss
from .metrics import Judge, clear_share
from .support.contracts import (IMAGE_BYTES, Count, Images, Is, Named, Real, Satisfies, Seed, VAEModel, checked,
                                contract)
from .train import vae_step

WARM_UP_BATCHES = 100   # KLWarmUp's default: beta reaches its value after this many batches
MAX_STEPS = 10_000      # Adam steps of q fitted to each image: the chapter takes 300
# n random points against every image's q(z|x): an (n, N) table of float64, and the n decoded
PAIRS = lambda n, images: 8 * n * len(images) * 3 + 4 * n * IMAGE_BYTES  # noqa: E731
# book.trained's result for a VAE (runs.TrainedModel sits a floor above: told by what it holds)
TRAINED_VAE = Satisfies(lambda t: hasattr(t, "config") and getattr(t, "model", None) is not None
                        and hasattr(t.model, "reparameterize"), "a trained VAE (book.trained's result)")


# ---------------------------------------------------------------- binarised MNIST

def binarised_step(model, x, y, kind="bce", beta=1.0):
    """train.vae_step on black-and-white digits: each pixel is ink with its
    grey level as probability, drawn again every time the digit comes round
    (dynamic binarisation)."""
    return vae_step(model, torch.bernoulli(x), y, kind, beta)


def binarise(images: Is(torch.Tensor, lambda t: t.dtype == torch.uint8 and t.dim() == 3 and t.shape[1:] == (28, 28),
                         "uint8 images (N, 28, 28), as ImageData holds them"),
             seed: Seed = 0) -> torch.Tensor:
    """uint8 images (N, 28, 28) -> the same, each pixel 255 with its grey level as probability,
    else 0: one draw, from ``seed``."""
    grey = images.float() / 255
    drawn = torch.bernoulli(grey, generator=torch.Generator().manual_seed(seed))
    return (drawn * 255).to(torch.uint8)


def binarised(data: Is(ImageData), seed: Seed = 0) -> ImageData:
    """``data`` with its held-out digits drawn once in black and white (:func:`binarise`). The
    training digits stay grey, so its models are the grey data's: ``binarised_step`` draws
    them afresh in every batch."""
    return replace(data, test_images=binarise(data.test_images, seed))


# ---------------------------------------------------------------- KL warm-up

class KLWarmUp:
    """A training step whose beta rises in a straight line from 0 to its
    full value over the first ``batches`` batches a model trains on, then
    stays there: KL annealing, or warm-up (Bowman et al., 2016; Sønderby et
    al., 2016). Early on the KL costs little, so the encoder can learn to
    say something about the image before the KL's full price is charged.

    Passed in as ``step=`` like chapter 10's steps; its name, which carries
    ``batches``, keys the cache. It counts each model's batches itself, so
    one step trains any number of models."""

    def __init__(self, batches: Count(1) = WARM_UP_BATCHES) -> None:
        self.batches = batches
        # the name runs.step_name gives it
        self.__qualname__ = f"KLWarmUp({self.batches})"
        self._seen: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def beta(self, batch: int, beta: float = 1.0) -> float:
        """The KL's weight at ``batch`` (counted from 0) when the full
        weight is ``beta``."""
        return beta * min(1.0, batch / self.batches)

    def __call__(self, model, x, y, kind="mse", beta=1.0):
        batch = self._seen.get(model, 0)
        self._seen[model] = batch + 1
        return vae_step(model, x, y, kind, self.beta(batch, beta))


warm_up_step = KLWarmUp()


# ---------------------------------------------------------------- where the nats go

def _scores(model, x, mu, logvar, k: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """For q = N(mu, exp(logvar)) of each image x (N, 1, 28, 28), from ``k`` draws of q: the
    ELBO (its reconstruction term averaged over the draws, the KL exact) and the importance-
    sampled estimate of log p(x) with q as the proposal, both (N,) in nats."""
    log_px_z, log_w = [], []
    for start in range(0, k, 100):
        n = min(100, k - start)
        eps = torch.randn((n, *mu.shape), generator=gen).to(mu.device)
        z = mu + (0.5 * logvar).exp() * eps                      # (n, N, d)
        logits = model.decode_logits(z.flatten(0, 1))            # (n * N, 1, 28, 28)
        target = x.expand(n, *x.shape).flatten(0, 1)
        rec = -reconstruction_loss(logits, target, "bce", reduction="none").view(n, len(x))
        log_pz = -0.5 * (math.log(2 * math.pi) + z ** 2).sum(-1)
        log_qz = -0.5 * (math.log(2 * math.pi) + logvar + eps ** 2).sum(-1)
        log_px_z.append(rec.double().cpu())
        log_w.append((rec + log_pz - log_qz).double().cpu())
    elbo_ = torch.cat(log_px_z).mean(0) - kl_per_latent(mu, logvar).sum(1).double().cpu()
    return elbo_, torch.logsumexp(torch.cat(log_w), 0) - math.log(k)


class FittedElbo(NamedTuple):
    """Per image (N,), nats: the ELBO with the encoder's q(z|x), the ELBO with q fitted to the
    image alone, and log p(x) estimated with that fitted q as the proposal."""

    encoder: torch.Tensor
    fitted: torch.Tensor
    log_px: torch.Tensor


def fitted_elbo(model: VAEModel, images: Images(least=1), steps: Count(0, MAX_STEPS) = 300, samples: Count(1, 1000) = 10,
                lr: Real(above=0) = 0.01, k: Count(1, fits=lambda k: 4 * k * IMAGE_BYTES) = 1000,
                seed: Seed = 0) -> FittedElbo:
    """The ELBO of ``images`` (N, 1, 28, 28) in [0, 1] with the encoder's q(z|x), and with a
    Gaussian q fitted to each image alone: its mu and log sigma² start at the encoder's and take
    ``steps`` Adam steps on that image's ELBO (``samples`` draws a step), the decoder fixed. The
    difference is the *amortisation gap*: what one encoder for every image costs (Cremer, Li and
    Duvenaud, 2018). Both ELBOs are scored with ``k`` draws per image, and the fitted q's draws
    also estimate log p(x) (a better proposal than the encoder's when the encoder misses)."""
    x = images
    gen = torch.Generator().manual_seed(seed)
    was_training, grads = model.training, [p.requires_grad for p in model.parameters()]
    model.eval().requires_grad_(False)          # the decoder stays as it is
    try:
        with torch.no_grad():
            mu0, logvar0 = model.encode(x)
            encoder, _ = _scores(model, x, mu0, logvar0, k, torch.Generator().manual_seed(seed))
        mu, logvar = mu0.clone().requires_grad_(), logvar0.clone().requires_grad_()
        optimizer = torch.optim.Adam([mu, logvar], lr=lr)
        with torch.enable_grad():
            for _ in range(steps):
                eps = torch.randn((samples, *mu.shape), generator=gen).to(mu.device)
                z = mu + (0.5 * logvar).exp() * eps                       # (S, N, d)
                logits = model.decode_logits(z.flatten(0, 1))
                target = x.expand(samples, *x.shape).flatten(0, 1)
                rec = reconstruction_loss(logits, target, "bce", reduction="none")
                kl = kl_per_latent(mu, logvar).sum(1)
                loss = (rec.view(samples, len(x)).mean(0) + kl).sum()   # each image its own q
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            fitted, log_px = _scores(model, x, mu, logvar, k, torch.Generator().manual_seed(seed))
    finally:
        for p, grad in zip(model.parameters(), grads):
            p.requires_grad_(grad)
        model.train(was_training)
    return FittedElbo(encoder, fitted, log_px)


# ---------------------------------------------------------------- the aggregate posterior

class Aggregate(NamedTuple):
    """How the mixture of every image's q(z|x), q(z), compares with the prior N(0, I) (nats):

    - ``kl``: the ELBO's KL term, KL(q(z|x) || N(0, I)) averaged over the images;
    - ``marginal_kl``: KL(q(z) || N(0, I)), estimated from draws of q(z) (the mixture's
      density summed over every image's q);
    - ``information``: ``kl - marginal_kl``, how much the code says about which image it came
      from (at most log N for N images). The KL term is the two together (Hoffman and Johnson,
      2016, "ELBO surgery");
    - ``mean``, ``variance``: q(z)'s mean and variance per latent number (N(0, I): 0 and 1);
    - ``moment_kl``: KL from the Gaussian with q(z)'s mean and covariance to N(0, I), a lower
      bound of ``marginal_kl`` that needs no sampling."""

    kl: float
    marginal_kl: float
    information: float
    mean: torch.Tensor
    variance: torch.Tensor
    moment_kl: float


@torch.no_grad()
def _encode_all(model, x, batch: int = 2000):
    parts = [model.encode(x[i:i + batch]) for i in range(0, len(x), batch)]
    return (torch.cat([p[0] for p in parts]).double().cpu(),
            torch.cat([p[1] for p in parts]).double().cpu())


def log_aggregate_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                          chunk: int = 200) -> torch.Tensor:
    """log q(z) for points ``z`` (M, d), q the mixture of N(mu_n, exp(logvar_n)) over the
    N images: (M,)."""
    var = logvar.exp()
    out = []
    for i in range(0, len(z), chunk):
        zz = z[i:i + chunk, None, :]                                   # (m, 1, d)
        log_q = -0.5 * (math.log(2 * math.pi) + logvar + (zz - mu) ** 2 / var).sum(-1)
        out.append(torch.logsumexp(log_q, 1) - math.log(len(mu)))      # (m,)
    return torch.cat(out)


def _log_prior(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * (math.log(2 * math.pi) + z ** 2).sum(-1)


def aggregate_posterior(model: VAEModel, images: Images(least=1), n: Count(1, fits=PAIRS) = 2000,
                        seed: Seed = 0) -> Aggregate:
    """q(z), the mixture of q(z|x) over ``images`` (N, 1, 28, 28), against N(0, I) (see
    :class:`Aggregate`); ``n`` draws of q(z), from ``seed``, estimate its KL."""
    mu, logvar = _encode_all(model, images)
    kl = float(kl_per_latent(mu, logvar).sum(1).mean())
    gen = torch.Generator().manual_seed(seed)
    pick = torch.randint(len(mu), (n,), generator=gen)
    z = mu[pick] + (0.5 * logvar[pick]).exp() * torch.randn(n, mu.shape[1], generator=gen,
                                                             dtype=torch.float64)
    marginal = float((log_aggregate_density(z, mu, logvar) - _log_prior(z)).mean())
    mean = mu.mean(0)
    cov = torch.cov(mu.T).reshape(mu.shape[1], mu.shape[1]) + torch.diag(logvar.exp().mean(0))
    moment = 0.5 * float(torch.trace(cov) + mean @ mean - mu.shape[1] - torch.logdet(cov))
    return Aggregate(kl, marginal, kl - marginal, mean, cov.diagonal(), moment)


def prior_coverage(model: VAEModel, images: Images(least=1), n: Count(1, fits=PAIRS) = 1000,
                   seed: Seed = 0) -> torch.Tensor:
    """For ``n`` random points z ~ N(0, I) (the book's latent points of ``seed``), how much
    more or less often q(z), the mixture of q(z|x) over ``images``, lands there than the prior
    does: log q(z) - log p(z), (n,). Below 0: a hole, where random points fall more often than
    any encoding; log(1/10) and below: a place hardly any encoding reaches."""
    from .latent import latent_points

    mu, logvar = _encode_all(model, images)
    z = latent_points(mu.shape[1], n, seed).double()
    return (log_aggregate_density(z, mu, logvar) - _log_prior(z)).float()


# ---------------------------------------------------------------- mean images and drawn pixels

def draw_pixels(means: Images(), seed: Seed = 0) -> torch.Tensor:
    """Pixels drawn from a Bernoulli decoder's means (N, 1, 28, 28) in [0, 1]: each pixel ink
    (1) with its mean as probability, independently of every other, from ``seed``."""
    return torch.bernoulli(means.float(), generator=torch.Generator().manual_seed(seed))


def grey_share(images: Images(least=1), low: Real(at_least=0, at_most=1) = 0.25,
               high: Real(at_least=0, at_most=1) = 0.75) -> float:
    """Of the pixels with any ink (above 0.1), the share that are grey: between ``low`` and
    ``high``, neither clearly ink nor clearly paper."""
    x = images.float().flatten()
    ink = x > 0.1
    return float(((x >= low) & (x <= high) & ink).sum() / ink.sum().clamp(min=1))


def specks(images: Images()) -> torch.Tensor:
    """Ink pixels with no ink among their four neighbours, per black-and-white image (N,
    1, 28, 28) of 0s and 1s: (N,)."""
    x = (images > 0.5).float()
    neighbours = F.conv2d(x, torch.tensor([[[[0., 1., 0.], [1., 0., 1.], [0., 1., 0.]]]]),
                          padding=1)
    return ((x > 0) & (neighbours == 0)).flatten(1).sum(1)


# ---------------------------------------------------------------- the chapter's tables

# Burda, Grosse and Salakhutdinov, "Importance weighted autoencoders" (ICLR 2016), Table 1: MNIST
# binarised anew every time a digit is given to the model, one layer of 50 latent numbers between
# two layers of 200 tanh units each way, 3,280 passes over MNIST's training digits (3^i epochs at
# each of 8 learning rates, i = 0..7), -log p(x) of its 10,000 test digits from 5,000 importance
# samples each. (github.com/yburda/iwae: the first version used 59,600 training digits.)
_PAPER = {"layers": "784-200-200-50, tanh", "latent numbers (in use)": "50",
          "training": "3,280 passes over MNIST's training set"}
PUBLISHED = [{"model": "VAE (Burda et al., 2015)", **_PAPER, "-log p(x)": 86.76},
             {"model": "IWAE, k = 50 (Burda et al., 2015)", **_PAPER, "-log p(x)": 84.78}]
IN_USE = 0.01   # nats: a latent number whose KL, averaged over the digits, is below this is unused


def table(trained: Named(TRAINED_VAE, what="name -> trained VAE"), data: Is(ImageData),
          weights: Named(Is(LogWeights), what="name -> likelihood.log_weights(...)", keys_of="trained")):
    """The yardstick (a DataFrame, one row per model, nats per digit), beside :data:`PUBLISHED`.

    ``trained``: name -> a trained VAE (``book.trained``'s result) of the binarised digits;
    ``data``: their held-out digits, black and white (:func:`binarised`); ``weights``: name ->
    ``likelihood.log_weights`` of the same few held-out digits for each model. The -ELBO is
    measured on every held-out digit; the K-sample estimate lies a gap above the ELBO, and that
    gap, measured on the few digits (with its standard error), gives -log p(x) of them all."""
    import pandas as pd

    rows = []
    for name, t in trained.items():
        model, w = t.model, weights[name]
        gap = (log_mean_exp(w.log_w) - elbo(w)).double()              # (n,) nats
        minus_elbo = evaluate_loss(model, data.images("test"), elbo=True).total
        used = int((kl_per_dimension(model, data.images("test")) > IN_USE).sum())
        rows.append({
            "model": f"the book's VAE, {model.latent_dim} latent numbers",
            "layers": f"784-256-128-{model.latent_dim}, ReLU",
            "latent numbers (in use)": f"{model.latent_dim} ({used})",
            "training": f"{t.config.epochs} passes over {len(data.train_labels):,} digits",
            "-ELBO": minus_elbo, "gap": float(gap.mean()),
            "-log p(x)": minus_elbo - float(gap.mean()),
            "±": float(gap.std() / math.sqrt(len(gap))) if len(gap) > 1 else float("nan")})
    return pd.DataFrame(rows + PUBLISHED).set_index("model")


def comparable(data: Is(ImageData)) -> str:
    """One sentence, wrapped to the notebook's width: whether -log p(x) of ``data``'s held-out
    digits compares with the papers'."""
    n_train, n_test = len(data.train_labels), len(data.test_labels)
    if not data.is_full:
        said = (f"Not comparable with the papers: these are {n_train:,} training digits and "
                f"{n_test:,} held out, not MNIST's 60,000 and its 10,000 test digits.")
    elif n_train == 60000 and n_test == 10000:
        said = ("Comparable with the papers: MNIST's 60,000 training digits and its 10,000 test "
                "digits, binarised as theirs were.")
    else:
        said = (f"Close to the papers' setting, not the same: {n_train:,} training digits and "
                f"{n_test:,} held out; the papers train on MNIST's 60,000 training digits and "
                f"test on its 10,000 test digits.")
    return textwrap.fill(said, 76)


def nats(model: VAEModel, images: Images(least=1), weights: Is(LogWeights), steps: Count(0, MAX_STEPS) = 300,
         lr: Real(above=0) = 0.01):
    """Where the nats between -log p(x) and the -ELBO go, averaged over ``images`` (the digits
    ``weights`` scored): -log p(x), the *approximation gap* (what the best Gaussian q of each
    digit still misses), the *amortisation gap* (what one encoder for all digits costs:
    :func:`fitted_elbo`) and their sum, the -ELBO. log p(x) of each digit is the larger of two
    estimates, each a lower bound: ``weights`` (draws from the encoder's q) and the fitted q's
    own draws. A DataFrame, nats per digit."""
    import pandas as pd

    fit = fitted_elbo(model, images, steps=steps, lr=lr)
    log_px = torch.maximum(log_mean_exp(weights.log_w), fit.log_px)   # two lower bounds: the closer
    encoder = elbo(weights)
    rows = {"-log p(x)": -log_px.mean(),
            "approximation gap": (log_px - fit.fitted).mean(),
            "amortisation gap": (fit.fitted - encoder).mean(),
            "-ELBO": -encoder.mean()}
    return pd.DataFrame({"nats per digit": {k: float(v) for k, v in rows.items()}})


def holes(model: VAEModel, images: Images(least=1), judge: Is(Judge), n: Count(1, fits=PAIRS) = 1000,
          seed: Seed = 0):
    """The book's ``n`` random points of ``seed`` (those :func:`metrics.clear_share` decodes),
    grouped by how often encodings of ``images`` land there against how often random points do
    (:func:`prior_coverage`): the share of the points in each group, and the share of their
    decoded images the judge calls clear. A DataFrame."""
    import pandas as pd

    ratio = prior_coverage(model, images, n, seed)
    clear = clear_share(model, judge, n, seed).verdict["clear"]
    low = math.log(0.1)
    groups = {"q(z) < p(z) / 10": ratio < low,
              "p(z) / 10 <= q(z) < p(z)": (ratio >= low) & (ratio < 0),
              "q(z) >= p(z)": ratio >= 0,
              "all": torch.ones_like(clear)}
    return pd.DataFrame({name: {"share of random points": float(g.float().mean()),
                                "clear share": float(clear[g].float().mean()) if g.any() else float("nan")}
                         for name, g in groups.items()}).T


def blur(model: VAEModel, data: Is(ImageData), binary: Is(ImageData),
         n: Count(1, fits=lambda n: 4 * n * IMAGE_BYTES) = 1000, seed: Seed = 0):
    """What a Bernoulli decoder's samples look like, against real digits (``n`` of each): the
    share of ink pixels that are grey (:func:`grey_share`) and the specks per image
    (:func:`specks`), for grey held-out digits, the same binarised, the decoded means of ``n``
    random points (``latent.sample``) and pixels drawn from those means. A DataFrame."""
    import pandas as pd

    means = sample(model, n, seed)
    rows = {"grey digits": data.images("test")[:n], "binarised digits": binary.images("test")[:n],
            "decoded means": means, "pixels drawn from them": draw_pixels(means, seed)}
    return pd.DataFrame({name: {"grey share of the ink": grey_share(x),
                                "specks per image": float(specks(x).float().mean())}
                         for name, x in rows.items()}).T


KLWarmUp.__init__ = contract(KLWarmUp.__init__, "yardstick.KLWarmUp")
checked(globals())
