"""What log p(x) knows ("Is this even a digit?"): how well a model's log p(x) tells its own data
from other data (:func:`auroc`, :func:`detection_report`), how complex an image is (:func:`ink`,
:func:`png_nats`), and the input-complexity correction of Serrà et al. (2020).

Scores come as nested dicts: model name -> data set name -> (N,) one score per image, higher
meaning "more likely under this model".
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch

from ..likelihood import _weights_bytes, importance_sampled_log_likelihood
from ..support.contracts import Count, Fits, Flag, Images, Named, Numbers, Scores, Seed, Text, VAEModel, checked
from ..support.errors import ConfigError

SCORED = Named(Scores(), what="model -> {set: scores}")    # {model: {data set: (N,) scores}}


def log_likelihoods(models: Named(VAEModel, what="name -> VAE"),
                    sets: Named(Images(least=1), what="data set name -> images"),
                    k: Count(1, fits=lambda k, sets: _weights_bytes(k, 20, max(map(len, sets.values())))) = 100,
                    seed: Seed = 0) -> dict:
    """log p(x) of every image of every set under every model, in nats: the importance-sampled
    estimate of ``likelihood`` with ``k`` samples per image. ``models``: name -> VAE;
    ``sets``: name -> (N, 1, 28, 28) images. Returns {model: {set: (N,)}}."""
    return {m: {s: importance_sampled_log_likelihood(model, x, k=k, seed=seed) for s, x in sets.items()}
            for m, model in models.items()}


def auroc(inside: Numbers(least=1),
          outside: Numbers(least=1) & Fits(lambda outside, inside: 24 * len(inside) * len(outside))) -> float:
    """How well a score tells ``inside`` (N,) from ``outside`` (M,), when it should be higher for
    inside: the area under the ROC curve, which is the chance that a random inside score beats
    a random outside one (ties count half). 1.0 separates them perfectly, 0.5 is a coin toss,
    and below 0.5 the score ranks them the wrong way round."""
    a, b = inside, outside
    beats = (a[:, None] > b[None, :]).double().mean() + 0.5 * (a[:, None] == b[None, :]).double().mean()
    return float(beats)


def own_data_auroc(scores: Scores(), own: Text) -> float:
    """One model's scores ({set: (N,)}): how well they tell its own held-out data, the set named
    ``own``, from every other set pooled (:func:`auroc`)."""
    others = [v for name, v in scores.items() if name != own]
    if own not in scores or not others:
        raise ConfigError(f"own_data_auroc needs the scores of {own!r} and of at least one other "
                          f"set; got {', '.join(scores)}")
    return auroc(scores[own], torch.cat(others))


def detection_report(scores: Named(SCORED, what="row -> {model: {set: scores}}"),
                     own: Named(Text, what="model -> its own data set")) -> "pandas.DataFrame":  # noqa: F821
    """One row per kind of score ({row: {model: {set: (N,)}}}), one column per model: the
    AUROC of "is this from the model's own data?" (:func:`own_data_auroc`), ``own`` naming each
    model's data set."""
    import pandas as pd

    lacking = {m for per_model in scores.values() for m in per_model} - set(own)
    if lacking:
        raise ConfigError(f"own must name each model's own data set; it names none for "
                          f"{', '.join(map(str, lacking))}")
    table = {row: {model: own_data_auroc(per_set, own[model]) for model, per_set in per_model.items()}
             for row, per_model in scores.items()}
    return pd.DataFrame(table).T


def ink(images: Images()) -> torch.Tensor:
    """(N,) how much ink each image holds: the sum of its pixel values in [0, 1] (a black pixel
    counts 1, a mid-grey one 0.5)."""
    return images.double().flatten(1).sum(1)


def png_nats(images: Images(), black_and_white: Flag = False,
             draws: Count(1, fits=lambda draws, images: 9 * 784 * draws * len(images)) = 8,
             seed: Seed = 0) -> torch.Tensor:
    """(N,) each image's compressed length in nats: the size of the PNG file Pillow writes at its
    strongest compression, in bytes times 8 ln 2. How complex an image is, as Serrà et al. (2020)
    measure it: a generic compressor that knows nothing of digits or clothes (the PNG header adds
    the same to every image).

    By default the 8-bit greyscale picture, every grey level paid for. With ``black_and_white``,
    the mean over ``draws`` black-and-white copies in which each pixel is ink with probability
    its grey value (drawn from ``seed``): the pictures the VAE's Bernoulli decoder scores (it
    reads a grey pixel as a coin that lands ink that often), so the length counts what log p(x)
    counts."""
    from PIL import Image

    def sizes(pictures: np.ndarray, mode: str) -> torch.Tensor:
        out = []
        for picture in pictures:
            buf = io.BytesIO()
            Image.fromarray(picture, mode="L").convert(mode).save(buf, format="PNG", optimize=True)
            out.append(len(buf.getvalue()))
        return torch.tensor(out, dtype=torch.float64) * 8 * math.log(2)

    if not black_and_white:
        return sizes(images.mul(255).round().to(torch.uint8).reshape(-1, 28, 28).numpy(), "L")
    x = images.double().reshape(-1, 28, 28)
    gen = torch.Generator().manual_seed(seed)
    copies = [(torch.rand(x.shape, generator=gen, dtype=torch.float64) < x).numpy() for _ in range(draws)]
    return torch.stack([sizes(c.astype(np.uint8) * 255, "1") for c in copies]).mean(0)


def complexity_corrected(log_px: Named(Scores(like="lengths"), what="model -> {set: log p(x)}"),
                         lengths: Scores()) -> dict:
    """Serrà et al.'s input-complexity correction, as a score that is higher for "more like the
    model's own data": log p(x) + L(x), with L(x) the image's compressed length in nats
    (:func:`png_nats`). It is minus their S(x) = -log p(x) - L(x): how many nats the model saves
    over a generic compressor, a likelihood ratio against the compressor. ``log_px``:
    {model: {set: (N,)}}; ``lengths``: {set: (N,)}. Returns {model: {set: (N,)}}."""
    return {m: {s: v + lengths[s] for s, v in per.items()} for m, per in log_px.items()}


def complexity_correlations(scores: SCORED, measures: Named(Scores(), what="measure -> {set: values}")
                            ) -> "pandas.DataFrame":  # noqa: F821
    """How closely each model's log p(x) follows how complex an image is: Spearman's rank
    correlation (-1 to 1) over all images of all sets together. ``scores``: {model: {set: (N,)}};
    ``measures``: {measure name: {set: (N,)}} (e.g. :func:`ink`, :func:`png_nats`). One row
    per model, one column per measure."""
    import pandas as pd
    from scipy.stats import spearmanr

    rows = {}
    for model, ours in scores.items():
        rows[model] = {}
        for measure, per in measures.items():
            if any(name not in per or len(per[name]) != len(v) for name, v in ours.items()):
                raise ConfigError(f"measure {measure!r} must score every image of every set of {model!r}")
            x, y = torch.cat(list(ours.values())), torch.cat([per[n] for n in ours])
            if x.min() == x.max() or y.min() == y.max():
                raise ConfigError(f"log p(x) under {model!r} or {measure!r} is the same for every image: "
                                  f"no ranking to correlate")
            rows[model][measure] = float(spearmanr(x, y).statistic)
    return pd.DataFrame(rows).T


def complexity_report(models: Named(VAEModel, what="name -> VAE"),
                      sets: Named(Images(least=1), what="data set name -> images"),
                      own: Named(Text, what="model -> its own data set"),
                      k: Count(1) = 100) -> "pandas.DataFrame":  # noqa: F821
    """The likelihood chapter's table for other images: the AUROC of each model's log p(x)
    (:func:`log_likelihoods`, ``k`` samples), and of log p(x) plus the PNG size, 8-bit and black
    and white (:func:`complexity_corrected`). ``models``: name -> VAE; ``sets``: name -> images;
    ``own``: model name -> the name of its own set."""
    log_px = log_likelihoods(models, sets, k=k)
    png = {name: png_nats(x) for name, x in sets.items()}
    bw = {name: png_nats(x, black_and_white=True) for name, x in sets.items()}
    return detection_report({"log p(x)": log_px,
                             "log p(x) + PNG size, 8-bit": complexity_corrected(log_px, png),
                             "log p(x) + PNG size, black and white": complexity_corrected(log_px, bw)}, own)


checked(globals())
