"""How good a model is, in the chapters' terms: where the reconstruction error sits (stroke
edges), the floor under the BCE of grey pictures, digits against clothes (:func:`dataset_report`)
and chapter 10's checkup of a VAE (:func:`checkup`)."""

from __future__ import annotations

import math

import torch

from ..data import ImageData
from ..fitting import evaluate_loss
from ..latent import decode, encodings
from ..likelihood import kl_per_dimension
from ..losses import kl_per_latent, reconstruction_loss
from ..models import one_hot
from ..support.contracts import Count, Flag, Images, Is, Model, Named, Real, Seed, TupleOf, VAEModel, checked
from ..support.errors import ConfigError
from .judge import Judge, clear_share, judge_samples


def stroke_edges(images: Images()) -> torch.Tensor:
    """(N, 1, 28, 28) bool: the pixels on the edge of a stroke, those whose 3 x 3 neighbourhood
    holds both stroke (>= 0.5) and background (< 0.5). ``images``: (N, 1, 28, 28) in [0, 1]."""
    stroke = (images >= 0.5).float()
    grown = torch.nn.functional.max_pool2d(stroke, 3, stride=1, padding=1)
    shrunk = -torch.nn.functional.max_pool2d(-stroke, 3, stride=1, padding=1)
    return grown != shrunk


def edge_share(originals: Images(least=1), rebuilt: Images(n="originals")) -> float:
    """Of the squared error between ``originals`` and ``rebuilt`` (both (N, 1, 28, 28) in
    [0, 1]), the share that lies on the edges of the originals' strokes (:func:`stroke_edges`)."""
    err = (originals - rebuilt).pow(2)
    if not err.sum():
        raise ConfigError("rebuilt equals originals: there is no error whose share to measure")
    return float(err[stroke_edges(originals)].sum() / err.sum())


def bce_floor(images: Images(least=1), per_image: Flag = False):
    """The lowest binary cross-entropy any reconstruction can reach on ``images``, in nats
    per image: sum over pixels of the binary entropy H(x) = -x log x - (1 - x) log(1 - x),
    averaged over the images (``per_image``: each image's, (N,)).

    BCE(x, x̂) = H(x) + KL(Bernoulli(x) || Bernoulli(x̂)) >= H(x), with equality for a perfect
    reconstruction. The floor is 0 for pure black-and-white pictures and grows with every
    grey pixel. ``images``: (N, 28, 28) uint8 or (N, 1, 28, 28) floats in [0, 1].
    """
    x = images.double()
    h = -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x))
    floors = h.flatten(1).sum(1)
    return floors if per_image else float(floors.mean())


def dataset_report(rows: Named(TupleOf(VAEModel, Is(ImageData), Is(Judge), what="(model, data, judge)"),
                               what="name -> (model, data, judge)")) -> "pandas.DataFrame":  # noqa: F821
    """Compare VAEs trained on different datasets on what can be compared. ``rows``: name ->
    (model, data, judge) with ``judge`` a :class:`JudgedClassifier` for that dataset. Columns:

    - the held-out negative ELBO (nats per image; BCE + KL);
    - the BCE floor of the held-out images (:func:`bce_floor`), and the ELBO above it: the
      part a better model could still win;
    - the judge's accuracy and the share of *real* held-out images it calls clear, beside the
      clear share of the model's samples (:func:`clear_share`) and the ratio of the two (NaN
      when the judge calls no real image clear).
    """
    import pandas as pd

    out = []
    for name, (model, data, judge) in rows.items():
        x = data.images("test")
        elbo = evaluate_loss(model, x, "bce", elbo=True).total
        floor = bce_floor(x)
        real = judge_samples(judge, x)["clear_share"]
        generated = clear_share(model, judge).share
        out.append({"data": name, "held-out -ELBO": elbo, "BCE floor": floor, "-ELBO above floor": elbo - floor,
                    "judge accuracy": judge.accuracy, "clear, real images": real,
                    "clear, samples": generated,
                    "samples / real": generated / real if real else float("nan")})
    return pd.DataFrame(out).set_index("data")


def checkup(models: Named(VAEModel, what="name -> VAE"), data: ImageData, judge: Judge,
            in_use: Real(at_least=0) = 0.01) -> "pandas.DataFrame":  # noqa: F821
    """What chapter 10 measures of each VAE (one row per model, on ``data``'s held-out images):

    - the held-out negative ELBO in nats (BCE + KL, always measured the correct way);
    - the KL in nats per image, and how many latent numbers are in use (their KL, averaged over
      the images, above ``in_use`` nats: below it, mu and sigma hardly depend on the image);
    - the spread of the codes (mu; N(0, I) has 1) and the average sigma;
    - the share of reconstructions (decoded from mu) the judge reads as the digit that went in;
    - the clear share of random samples (:func:`clear_share`).
    """
    import pandas as pd

    x, rows = data.images("test"), []
    for name, model in models.items():
        kl = kl_per_dimension(model, x)
        codes = encodings(model, x)
        with torch.no_grad():
            sigma = torch.cat([(0.5 * model.encode(b.to(next(model.parameters()).device))[1]).exp().cpu()
                               for b in x.split(2000)])
        read, _ = judge.read(decode(model, codes))
        rows.append({"model": name,
                     "held-out -ELBO": evaluate_loss(model, x, elbo=True).total,
                     "KL (nats)": float(kl.sum()), "latent numbers in use": int((kl > in_use).sum()),
                     "spread of mu": float(codes.std(0).mean()), "mean sigma": float(sigma.mean()),
                     "reconstructions read right": float((read == data.test_labels).float().mean()),
                     "clear samples": clear_share(model, judge).share})
    return pd.DataFrame(rows).set_index("model")


@torch.no_grad()
def label_free_elbo(model: Model("cvae"), images: Images(least=1), classes: Count(1, 10) = 10,
                    seed: Seed = 0) -> torch.Tensor:
    """A conditional VAE as a model of the images alone, so that it compares with a VAE: per
    image (N,), in nats, a lower bound on log p(x) = log sum_y p(y) p(x | y), every label equally
    likely (p(y) = 1 / ``classes``). Each ELBO(x, y), one latent point drawn per image and label
    (from ``seed``), is at most log p(x | y), so log of the mean over the labels of exp(ELBO(x, y))
    is at most log p(x). Its negative is at most the -ELBO given the true label plus log(classes)."""
    x = images
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    per_label = []
    for k in range(classes):
        y = torch.full((len(x),), k, dtype=torch.long, device=x.device)
        mu, logvar = model.encode(x, y)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen).to(x.device)
        logits = model.decode_logits(torch.cat([z, one_hot(y)], 1))
        rec = reconstruction_loss(logits, x, "bce", reduction="none")
        per_label.append(-(rec + kl_per_latent(mu, logvar).sum(1)).double().cpu())
    model.train(was_training)
    return torch.logsumexp(torch.stack(per_label), 0) - math.log(classes)


checked(globals())
