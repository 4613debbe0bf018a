"""Where the codes live: their spread, the gaps between random prior points and the nearest real
encoding (:func:`prior_gaps`), whether questionable samples sit between two digit regions
(:func:`between_regions`), and how far an image is from its nearest training image."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data import ImageData
from ..latent import encodings, latent_points, prior_radius
from ..support.contracts import (ClassLabels, Count, Images, ImagesAlone, Named, Numbers, Points,
                                 Real, Seed, checked)
from ..support.errors import ConfigError
from .judge import CLEAR_N, CLEAR_SEED, CLEAR_THRESHOLD, SAMPLES, Judge, clear_share

# Distances are computed ``chunk`` rows at a time: (chunk, M) doubles each.
CHUNK = Count(1, fits=lambda chunk, codes: 8 * chunk * len(codes))


def nearest_distance(points: Points(least=0, dim="codes"), codes: Points(), chunk: CHUNK = 1000) -> torch.Tensor:
    """(N,) Euclidean distance from each of ``points`` (N, d) to the nearest of ``codes`` (M, d)."""
    parts = [torch.cdist(points[i:i + chunk], codes).min(1).values for i in range(0, len(points), chunk)]
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64)


def code_spacing(codes: Points(least=2), chunk: CHUNK = 1000) -> torch.Tensor:
    """(M,) distance from each code to its nearest *other* code: how tightly the codes sit."""
    out = []
    for i in range(0, len(codes), chunk):
        d = torch.cdist(codes[i:i + chunk], codes)
        d[torch.arange(len(d)), torch.arange(i, i + len(d))] = float("inf")  # not itself
        out.append(d.min(1).values)
    return torch.cat(out)


@dataclass
class Gaps:
    """What :func:`prior_gaps` measured (distances in latent units unless said otherwise).

    - ``spread``: standard deviation of the codes, averaged over dimensions (N(0, I): 1.0);
    - ``gap``: median distance from a random point to the nearest code;
    - ``spacing``: median distance from a code to the nearest other code;
    - ``gap_ratio``: gap / spacing. Scale-free: about 1 when random points fall among the
      codes as densely as the codes sit among themselves, well above 1 when they land in holes;
    - ``covered``: share of random points whose nearest code is within ``spacing``.
    """

    spread: float
    gap: float
    spacing: float
    gap_ratio: float
    covered: float


def inside_prior(codes: Points(), mass: Real(above=0, below=1) = 0.95) -> float:
    """Share of ``codes`` (N, d) inside the ball around the origin that holds ``mass`` of
    N(0, I) in d dimensions (radius 2.45 for 95% in 2-D): where random latent points fall."""
    return float((codes.norm(dim=1) <= prior_radius(codes.shape[1], mass)).double().mean())


def prior_gaps(codes: Points(least=2), n: Count(1, fits=lambda n, codes: 8 * n * (3 * codes.shape[1] + 2)) = CLEAR_N,
               seed: Seed = CLEAR_SEED, fit_to: Points(least=2, dim="codes") = None) -> Gaps:
    """How well the codes (M, d) fill the region random latent points come from: draw ``n``
    points as :func:`clear_share` does (N(0, I), or the Gaussian fitted to ``fit_to``) and
    measure how far each is from the nearest code, in absolute units and relative to the
    codes' own spacing (see :class:`Gaps`). Use the same number of codes for models you
    compare: spacing shrinks as codes are added."""
    points = latent_points(codes.shape[1], n, seed, fit_to).double()
    gaps, spacing = nearest_distance(points, codes), code_spacing(codes)
    gap, space = float(gaps.quantile(0.5)), float(spacing.quantile(0.5))
    return Gaps(spread=float(codes.std(0).mean()), gap=gap, spacing=space, gap_ratio=gap / space,
                covered=float((gaps <= space).double().mean()))


PRIOR_REPORT_ROWS = {  # column of prior_report -> a row label for the chapter's table
    "spread": "spread (N(0, I) has 1)",
    "centre": "centre: distance from 0",
    "gap": "gap: N(0, I) point to nearest code",
    "gap / spacing": "gap / spacing",
    "covered": "covered (share of N(0, I) points)",
    "gap / spacing, fitted": "gap / spacing, fitted Gaussian",
    "clear, N(0, I)": "clear share, N(0, I)",
    "clear, fitted": "clear share, fitted Gaussian",
}


def prior_report(models: Named(ImagesAlone, what="name -> model"), data: ImageData, judge: Judge,
                 n: SAMPLES = CLEAR_N, seed: Seed = CLEAR_SEED,
                 n_codes: Count(2) = 1000) -> "pandas.DataFrame":  # noqa: F821
    """Where do the codes live, and what lies between them? One row per model, computed from
    the encodings of the first ``n_codes`` held-out images (the same images for every model),
    with the columns of ``PRIOR_REPORT_ROWS``: spread and centre of the codes, the gaps random
    N(0, I) points find (:func:`prior_gaps`), and the clear share of decoded random points
    drawn from N(0, I) and from the Gaussian fitted to the model's own codes
    (:func:`clear_share`). Distances are in each model's own latent units; the two
    "gap / spacing" columns and "covered" are scale-free, so they compare models fairly.
    """
    import pandas as pd

    rows, images = [], data.images("test", n_codes)
    for name, model in models.items():
        codes = encodings(model, images).double()
        gaps = prior_gaps(codes, n, seed)
        rows.append({
            "model": name, "spread": gaps.spread, "centre": float(codes.double().mean(0).norm()),
            "gap": gaps.gap, "gap / spacing": gaps.gap_ratio, "covered": gaps.covered,
            "gap / spacing, fitted": prior_gaps(codes, n, seed, fit_to=codes).gap_ratio,
            "clear, N(0, I)": clear_share(model, judge, n, seed).share,
            "clear, fitted": clear_share(model, judge, n, seed, fit_to=codes).share,
        })
    return pd.DataFrame(rows).set_index("model")


def between_regions(z: Points(dim="codes"), codes: Points(), labels: ClassLabels("codes"),
                    confidence: Numbers("z"), threshold: Real(above=0, at_most=1) = CLEAR_THRESHOLD) -> dict:
    """Do questionable samples come from between two class regions?

    Each class's region is summarised by its centre, the mean of its ``codes`` (M, d) with
    ``labels`` (M,). For each latent point ``z`` (N, d), ``betweenness`` = distance to the
    nearest centre / distance to the second nearest, in (0, 1]: near 1 the point is about
    equally far from two classes, near 0 it sits at one class's centre. Returns per-point
    ``betweenness`` (N,), ``gap`` (N,) (distance to the nearest code), and the medians of
    both for clear (``confidence`` >= ``threshold``) and questionable points: NaN when there is
    no clear, or no questionable, point.
    """
    classes = torch.unique(labels)
    if len(classes) < 2:
        raise ConfigError("between_regions needs codes of at least two classes: a point lies "
                          "between two regions or nowhere")
    centres = torch.stack([codes[labels == k].mean(0) for k in classes])
    two = torch.cdist(z, centres).topk(2, largest=False).values  # (N, 2), ascending
    betweenness = two[:, 0] / two[:, 1]
    gap = nearest_distance(z, codes)
    clear = confidence >= threshold
    out = {"betweenness": betweenness, "gap": gap, "clear": clear}
    for name, sel in (("clear", clear), ("questionable", ~clear)):
        out[f"{name} betweenness"] = float(betweenness[sel].quantile(0.5)) if sel.any() else float("nan")
        out[f"{name} gap"] = float(gap[sel].quantile(0.5)) if sel.any() else float("nan")
    return out


@torch.no_grad()
def nearest_training(images: Images(), data: ImageData,
                     chunk: Count(1, fits=lambda chunk, images: chunk * (2 * 784 * 4 + 4 * len(images))) = 10000
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """For each of ``images`` ((N, 1, 28, 28) in [0, 1], or uint8): the Euclidean distance, over
    the 784 pixels, to the nearest of ``data``'s training images, and that image's index:
    (N,) and (N,). Distance 0 is an exact copy; how far held-out digits are from their
    nearest training digit says what "new handwriting" looks like (chapter 1's exercise)."""
    x = images.flatten(1)                                                # (N, 784)
    best = torch.full((len(x),), float("inf"))
    index = torch.zeros(len(x), dtype=torch.long)
    for start in range(0, len(data.train_images), chunk):
        train = data.train_images[start:start + chunk].flatten(1).float() / 255   # (chunk, 784)
        d, i = torch.cdist(x, train).min(1)
        closer = d < best
        best[closer], index[closer] = d[closer], i[closer] + start
    return best, index


checked(globals())
