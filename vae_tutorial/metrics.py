"""The article's claims, measured.

- "Encodings of the same digit cluster": k-nearest-neighbour digit accuracy in the latent
  space, the silhouette score of the digit clusters, and how far apart two encodings of the
  same digit are compared with two encodings of different digits.
- "Some generated digits are clear, some questionable": a small classifier trained on real
  images judges each sample; confidence >= 0.9 counts as clear. :func:`clear_share` is the
  one definition the whole book uses: 1,000 latent points, seed 0, threshold 0.9.
- Where the codes live: their spread, the gaps between random prior points and the nearest
  real encoding (:func:`prior_gaps`), and a Gaussian fitted to a model's own codes as the
  fair place to sample a plain autoencoder from (:func:`latent_points`).
- Which pair of 6s to show (:func:`median_pair`), whether questionable samples sit between
  two digit regions (:func:`between_regions`), and the floor under the BCE of grey pictures
  (:func:`bce_floor`).
- "Draw me a 7": whether a conditional VAE draws the digit it is asked for (:func:`read_as_asked`).
- "Is this even a digit?": how well a model's log p(x) tells its own data from other data
  (:func:`auroc`, :func:`detection_report`) and how complex an image is (:func:`ink`,
  :func:`png_nats`), for the input-complexity correction of Serrà et al. (2020).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import torch

from .data import ImageData
from .latent import decode, encodings, latent_points, prior_radius
from .models import Classifier, ModelConfig
from .support import inputs
from .support.errors import ConfigError
from .support.runs import train_or_load
from .train import TrainConfig, evaluate_loss

# The book's one definition of "clear share": 1,000 random latent points (seed 0), decoded,
# and a sample counts as clear when the judge is at least 90% sure of it.
CLEAR_N, CLEAR_SEED, CLEAR_THRESHOLD = 1000, 0, 0.9
JUDGED_CLASSES = 10   # the judge's classes (models.Classifier): digits or garments


def _codes_and_labels(codes, labels, what: str = "encodings",
                      dim: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The adapter's checks for codes (N, d), at least one, and their labels (N,), together."""
    c = inputs.points(codes, what, dim=dim)
    return c, inputs.labels(labels, len(c), f"labels of the {what}")


def _subset(n: int, max_points: int, seed: int) -> np.ndarray:
    """A seeded choice of at most ``max_points`` of ``n`` indices."""
    inputs.count(max_points, "max_points", low=2)
    return np.random.default_rng(inputs.seed(seed)).permutation(n)[:max_points]


def knn_accuracy(train_enc, train_labels, test_enc, test_labels, k: int = 5) -> float:
    """Share of held-out encodings whose k nearest training encodings vote for the right digit."""
    from sklearn.neighbors import KNeighborsClassifier

    tr, tr_y = _codes_and_labels(train_enc, train_labels, what="training encodings")
    te, te_y = _codes_and_labels(test_enc, test_labels, what="held-out encodings", dim=tr.shape[1])
    if not (inputs._whole(k, 1) and k <= len(tr)):
        raise ConfigError(f"k (neighbours) must be a whole number from 1 to the {len(tr)} training "
                          f"encodings, got {k!r}")
    clf = KNeighborsClassifier(n_neighbors=k).fit(tr.numpy(), tr_y.numpy())
    return float(clf.score(te.numpy(), te_y.numpy()))


def silhouette(enc, labels, max_points: int = 2000, seed: int = 0) -> float:
    """Silhouette score of the digit clusters in [-1, 1]: higher means tighter, better separated."""
    from sklearn.metrics import silhouette_score

    c, y = _codes_and_labels(enc, labels)
    keep = _subset(len(c), max_points, seed)
    classes = len(torch.unique(y[keep]))
    if not 2 <= classes <= len(keep) - 1:
        raise ConfigError(f"a silhouette needs at least two classes and more points than classes; "
                          f"got {len(keep)} point(s) of {classes} class(es)")
    return float(silhouette_score(c[keep].numpy(), y[keep].numpy()))


def _pairs(enc, labels, max_points: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances (n, n) between up to ``max_points`` encodings (a seeded subset), and the
    (n, n) mask of pairs of *different* classes."""
    c, y = _codes_and_labels(enc, labels)
    keep = torch.from_numpy(_subset(len(c), max_points, seed))
    e, y = c[keep], y[keep]
    different = y[:, None] != y[None, :]
    if not bool(different.any()):
        raise ConfigError(f"the {len(e)} encodings here are all of one class; distances between "
                          f"classes need encodings of at least two")
    return torch.cdist(e, e), different


def same_vs_different(enc, labels, max_points: int = 2000, seed: int = 0) -> float:
    """Mean distance between two encodings of the same digit divided by the mean distance
    between encodings of different digits. Scale-free; 1.0 means "no clustering at all"."""
    d, different = _pairs(enc, labels, max_points, seed)
    same = ~different & ~torch.eye(len(d), dtype=torch.bool)
    if not bool(same.any()):
        raise ConfigError("no two encodings here share a class, so there is no distance within a "
                          "class to compare; pass more encodings")
    return float(d[same].mean() / d[different].mean())


def mean_distance_between_classes(codes, labels, max_points: int = 2000, seed: int = 0) -> float:
    """Mean distance between two encodings of *different* classes: the unit in which the
    chapters compare distances across models whose codes have different scales."""
    d, different = _pairs(codes, labels, max_points, seed)
    return float(d[different].mean())


def cluster_report(models: dict, data: ImageData, max_train: int = 10000,
                   max_test: int = 2000) -> "pandas.DataFrame":  # noqa: F821
    """Do encodings of the same digit sit together? One row per model: kNN accuracy (the
    neighbours are the first ``max_train`` training images, the queries the first
    ``max_test`` held-out images), and the silhouette and same / different distance ratio of
    those held-out encodings. All three are blind to scale: they compare codes with codes."""
    import pandas as pd

    inputs.image_data(data, "cluster_report")
    rows = []
    for name, model in inputs.named(models, "cluster_report").items():
        tr = encodings(model, data.train_images[:max_train])
        te, y = encodings(model, data.test_images[:max_test]), data.test_labels[:max_test]
        rows.append({
            "model": name,
            "kNN accuracy (k=5)": knn_accuracy(tr, data.train_labels[:max_train], te, y),
            "silhouette": silhouette(te, y),
            "same / different distance": same_vs_different(te, y),
        })
    return pd.DataFrame(rows).set_index("model").round(3)


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


def prior_report(models: dict, data: ImageData, judge: "Judge", n: int = CLEAR_N,
                 seed: int = CLEAR_SEED, n_codes: int = 1000) -> "pandas.DataFrame":  # noqa: F821
    """Where do the codes live, and what lies between them? One row per model, computed from
    the encodings of the first ``n_codes`` held-out images (the same images for every model),
    with the columns of ``PRIOR_REPORT_ROWS``: spread and centre of the codes, the gaps random
    N(0, I) points find (:func:`prior_gaps`), and the clear share of decoded random points
    drawn from N(0, I) and from the Gaussian fitted to the model's own codes
    (:func:`clear_share`). Distances are in each model's own latent units; the two
    "gap / spacing" columns and "covered" are scale-free, so they compare models fairly.
    """
    import pandas as pd

    inputs.image_data(data, "prior_report")
    rows = []
    for name, model in inputs.named(models, "prior_report").items():
        codes = encodings(model, data.test_images[:n_codes])
        gaps = prior_gaps(codes, n, seed)
        rows.append({
            "model": name, "spread": gaps.spread, "centre": float(codes.double().mean(0).norm()),
            "gap": gaps.gap, "gap / spacing": gaps.gap_ratio, "covered": gaps.covered,
            "gap / spacing, fitted": prior_gaps(codes, n, seed, fit_to=codes).gap_ratio,
            "clear, N(0, I)": clear_share(model, judge, n, seed).share,
            "clear, fitted": clear_share(model, judge, n, seed, fit_to=codes).share,
        })
    return pd.DataFrame(rows).set_index("model")


# --------------------------------------------------------------------------- a VAE's checkup

def checkup(models: dict, data: ImageData, judge: "Judge", in_use: float = 0.01) -> "pandas.DataFrame":  # noqa: F821
    """What chapter 10 measures of each VAE (one row per model, on ``data``'s held-out images):

    - the held-out negative ELBO in nats (BCE + KL, always measured the correct way);
    - the KL in nats per image, and how many latent numbers are in use (their KL, averaged over
      the images, above ``in_use`` nats: below it, mu and sigma hardly depend on the image);
    - the spread of the codes (mu; N(0, I) has 1) and the average sigma;
    - the share of reconstructions (decoded from mu) the judge reads as the digit that went in;
    - the clear share of random samples (:func:`clear_share`).
    """
    import pandas as pd

    from .likelihood import kl_per_dimension

    inputs.image_data(data, "checkup")
    x, rows = data.images("test"), []
    for name, model in inputs.named(models, "checkup", "name -> VAE").items():
        inputs.vae(model, "checkup")
        kl = kl_per_dimension(model, x)
        codes = encodings(model, x)
        with torch.no_grad():
            sigma = torch.cat([(0.5 * model.encode(b.to(next(model.parameters()).device))[1]).exp().cpu()
                               for b in x.split(2000)])
        read, _ = judge.read(decode(model, codes))
        rows.append({"model": name,
                     "held-out -ELBO": evaluate_loss(model, data.test_images, elbo=True).total,
                     "KL (nats)": float(kl.sum()), "latent numbers in use": int((kl > in_use).sum()),
                     "spread of mu": float(codes.std(0).mean()), "mean sigma": float(sigma.mean()),
                     "reconstructions read right": float((read == data.test_labels).float().mean()),
                     "clear samples": clear_share(model, judge).share})
    return pd.DataFrame(rows).set_index("model")


# --------------------------------------------------------------------------- words of degree
# What the book's words of degree mean: one range each. Chapter 1 ("How to read the numbers")
# prints this table, tests/test_claims.py checks every sentence against the same ranges, and
# benchmarks/claims_robustness.py reports how far inside its range each claim stays.

@dataclass(frozen=True)
class Degree:
    """A word of degree: it fits a measured ``value`` when ``low <= value <= high``. ``of``
    says what the value is: "ratio", the larger of two positive figures divided by the smaller
    (or the first by the second, as the sentence orders them), or "share", a part of a whole
    between 0 and 1."""

    means: str
    of: str
    low: float = -math.inf
    high: float = math.inf


DEGREES: dict[str, Degree] = {
    "about": Degree("the two differ by less than 10% (ratio below 1.1)", "ratio", high=1.1),
    "far more": Degree("at least twice as much (far fewer, far below: at most half)", "ratio", low=2.0),
    "several times": Degree("at least three times as much", "ratio", low=3.0),
    "almost none": Degree("at most 5%", "share", high=0.05),
    "a minority": Degree("less than half", "share", high=0.5),
    "most": Degree("more than half", "share", low=0.5),
}


def degree(word: str, value: float) -> float:
    """How far ``value`` (a ratio or a share, see :class:`Degree`) lies inside the range that
    ``word`` stands for (``DEGREES``), in the value's own units: >= 0 when the word fits,
    negative when it does not. E.g. ``degree("far more", 2.5) == 0.5``."""
    if word not in DEGREES:
        raise ConfigError(f"no word of degree {word!r}; the book defines {', '.join(DEGREES)}")
    d, value = DEGREES[word], inputs.number(value, f"the value for {word!r}", infinite=True)
    return min(value - d.low, d.high - value)


def ratio(a: float, b: float) -> float:
    """a / b for two positive figures (infinite when b is 0 and a is not)."""
    a, b = inputs.number(a, "a (of a / b)", at_least=0), inputs.number(b, "b (of a / b)", at_least=0)
    return a / b if b else (math.inf if a else 1.0)


def degree_table() -> "pandas.DataFrame":  # noqa: F821
    """The words of degree and what each means in this book, as a table to show."""
    import pandas as pd

    return pd.DataFrame({"word": list(DEGREES), "means": [d.means for d in DEGREES.values()]}
                        ).set_index("word")


# --------------------------------------------------------------------------- the judge

@dataclass
class Judge:
    """The judge of one dataset: a small classifier (``models.Classifier``) trained on its real
    training images by the same ``train.fit`` as the VAEs, and its accuracy on the held-out
    images. It reads images (:meth:`read`); the clear share counts the ones it is sure of."""

    model: Classifier
    accuracy: float
    class_names: tuple[str, ...]

    @torch.no_grad()
    def probabilities(self, images) -> torch.Tensor:
        """(N, 1, 28, 28) images -> (N, classes) class probabilities, on the CPU."""
        self.model.eval()
        probabilities = self.model(inputs.images(images, self.model)).softmax(1).cpu()
        return inputs.finite_result(probabilities, "judge's probabilities")

    def read(self, images) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1, 28, 28) images -> the class it reads in each (N,) and its confidence (N,)."""
        confidence, predicted = self.probabilities(images).max(1)
        return predicted, confidence


def judge_config(data: ImageData, epochs: int | None = None, seed: int = 0) -> TrainConfig:
    """The judge's recipe: 784 -> 256 -> 10, Adam 1e-3, batches of 128; 4 epochs over a full
    training set, 25 over the 4,000 offline digits (about the same number of steps)."""
    inputs.image_data(data, "the judge")
    return TrainConfig(model=ModelConfig(kind="classifier", hidden_dims=(256,)), dataset=data.name,
                       epochs=epochs or (4 if data.is_full else 25), seed=seed)


def judge_for(data: ImageData, epochs: int | None = None, seed: int = 0) -> Judge:
    """The judge for ``data``: from the one cache of trained models (the shipped weights, then
    this machine's), else trained now on ``data``'s real training images (``epochs``, ``seed``:
    other than the recipe's). Its accuracy is measured on ``data``'s held-out images every time."""
    trained = train_or_load(judge_config(data, epochs, seed), data, verbose=False)
    judge = Judge(trained.model, 0.0, tuple(data.class_names))
    predicted, _ = judge.read(data.images("test"))
    judge.accuracy = float((predicted == data.test_labels).float().mean())
    return judge


def judge_samples(judge: "Judge", images: torch.Tensor, threshold: float = CLEAR_THRESHOLD) -> dict:
    """Classify generated images: predicted class, confidence, and the share that is "clear"
    (confidence >= ``threshold``) vs "questionable"."""
    inputs.number(threshold, "threshold (confidence)", above=0, at_most=1)
    pred, conf = judge.read(inputs.images(images, allow_empty=False))
    clear = conf >= threshold
    return {"pred": pred, "confidence": conf, "clear": clear, "clear_share": float(clear.float().mean())}


# --------------------------------------------------------------------------- clear or questionable

@dataclass
class ClearShare:
    """What :func:`clear_share` measured. ``share``: the clear share in [0, 1];
    ``z``: (n, latent) the points decoded; ``images``: (n, 1, 28, 28); ``verdict``: as
    :func:`judge_samples` returns it (pred, confidence, clear, clear_share)."""

    share: float
    z: torch.Tensor
    images: torch.Tensor
    verdict: dict

    def __float__(self) -> float:
        return self.share

    def first(self, k: int) -> tuple[torch.Tensor, dict]:
        """The first ``k`` images and their verdict, e.g. to show a grid of a few of them
        (``plots.judged_grid(*result.first(100))``); the share stays that of all ``n``."""
        inputs.count(k, "k (how many images)", low=1)
        verdict = {key: v[:k] for key, v in self.verdict.items() if isinstance(v, torch.Tensor)}
        verdict["clear_share"] = float(verdict["clear"].float().mean())
        return self.images[:k], verdict


@torch.no_grad()
def clear_share(model, judge: "Judge", n: int = CLEAR_N, seed: int = CLEAR_SEED, fit_to=None,
                threshold: float = CLEAR_THRESHOLD) -> ClearShare:
    """Decode ``n`` random latent points (see :func:`latent_points`; N(0, I) unless
    ``fit_to`` codes are given) and let ``judge`` call each image: the share it recognises with
    confidence >= ``threshold`` is the clear share. Same arguments, same number: every chapter
    calls this with the defaults, so each model has one clear share in the whole book."""
    inputs.latent_model(model, "clear_share")
    inputs.count(n, "n (how many random points)", low=1)
    z = latent_points(model.latent_dim, n, seed, fit_to)
    images = decode(model, z)
    verdict = judge_samples(judge, images, threshold)
    return ClearShare(verdict["clear_share"], z, images, verdict)


# --------------------------------------------------------------------------- where the codes live

def nearest_distance(points, codes, chunk: int = 1000) -> torch.Tensor:
    """(N,) Euclidean distance from each of ``points`` (N, d) to the nearest of ``codes`` (M, d)."""
    c = inputs.points(codes, "codes")
    p = inputs.points(points, "points", least=0, dim=c.shape[1])
    inputs.count(chunk, "chunk", low=1)
    parts = [torch.cdist(p[i:i + chunk], c).min(1).values for i in range(0, len(p), chunk)]
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64)


@torch.no_grad()
def nearest_training(images, data: ImageData, chunk: int = 10000) -> tuple[torch.Tensor, torch.Tensor]:
    """For each of ``images`` ((N, 1, 28, 28) in [0, 1], or uint8): the Euclidean distance, over
    the 784 pixels, to the nearest of ``data``'s training images, and that image's index:
    (N,) and (N,). Distance 0 is an exact copy; how far held-out digits are from their
    nearest training digit says what "new handwriting" looks like (chapter 1's exercise)."""
    inputs.image_data(data, "nearest_training")
    inputs.count(chunk, "chunk", low=1)
    x = inputs.images(images, what="images").flatten(1)                  # (N, 784)
    best = torch.full((len(x),), float("inf"))
    index = torch.zeros(len(x), dtype=torch.long)
    for start in range(0, len(data.train_images), chunk):
        train = data.train_images[start:start + chunk].flatten(1).float() / 255   # (chunk, 784)
        d, i = torch.cdist(x, train).min(1)
        closer = d < best
        best[closer], index[closer] = d[closer], i[closer] + start
    return best, index


def code_spacing(codes, chunk: int = 1000) -> torch.Tensor:
    """(M,) distance from each code to its nearest *other* code: how tightly the codes sit."""
    c = inputs.points(codes, "codes", least=2)
    inputs.count(chunk, "chunk", low=1)
    out = []
    for i in range(0, len(c), chunk):
        d = torch.cdist(c[i:i + chunk], c)
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


def inside_prior(codes, mass: float = 0.95) -> float:
    """Share of ``codes`` (N, d) inside the ball around the origin that holds ``mass`` of
    N(0, I) in d dimensions (radius 2.45 for 95% in 2-D): where random latent points fall."""
    c = inputs.points(codes, "codes")
    return float((c.norm(dim=1) <= prior_radius(c.shape[1], mass)).double().mean())


def prior_gaps(codes, n: int = CLEAR_N, seed: int = CLEAR_SEED, fit_to=None) -> Gaps:
    """How well the codes (M, d) fill the region random latent points come from: draw ``n``
    points as :func:`clear_share` does (N(0, I), or the Gaussian fitted to ``fit_to``) and
    measure how far each is from the nearest code, in absolute units and relative to the
    codes' own spacing (see :class:`Gaps`). Use the same number of codes for models you
    compare: spacing shrinks as codes are added."""
    c = inputs.points(codes, "codes", least=2)
    points = latent_points(c.shape[1], inputs.count(n, "n (how many random points)", low=1), seed, fit_to)
    gaps, spacing = nearest_distance(points, c), code_spacing(c)
    gap, space = float(gaps.quantile(0.5)), float(spacing.quantile(0.5))
    return Gaps(spread=float(c.std(0).mean()), gap=gap, spacing=space, gap_ratio=gap / space,
                covered=float((gaps <= space).double().mean()))


def median_pair(points) -> tuple[int, int, float]:
    """The pair of rows of ``points`` (N, ...) whose Euclidean distance is the median of all
    N(N-1)/2 pairwise distances: a typical pair, neither twins nor opposites. Returns
    (i, j, distance) with i < j. Pass images (flattened or not) to pick by pixels."""
    p = inputs.points(points, "points to pick a pair from", least=0, flatten=True)
    if len(p) < 2:
        raise ConfigError(f"median_pair needs at least two points to pick a pair from, got {len(p)}")
    d = torch.cdist(p, p)
    i, j = torch.triu_indices(len(p), len(p), offset=1)
    pair = d[i, j]
    # the lower median, so the pair is one that exists (the mean of two middles may not)
    k = int(pair.argsort()[(len(pair) - 1) // 2])
    return int(i[k]), int(j[k]), float(pair[k])


def relative_distances(model, images: torch.Tensor, reference: torch.Tensor, labels) -> torch.Tensor:
    """(k, k) distances between the encodings of ``images`` (k, 1, 28, 28), in units of the
    mean distance between encodings of different classes among ``reference`` images with
    ``labels`` (see :func:`mean_distance_between_classes`). 1.0 is "as far apart as two
    different digits usually are", whatever the scale of the model's codes."""
    reference_codes = encodings(model, reference)
    unit = mean_distance_between_classes(reference_codes, inputs.labels(labels, len(reference_codes)))
    codes = encodings(model, images).double()
    return torch.cdist(codes, codes) / unit


# --------------------------------------------------------------------------- why questionable?

def between_regions(z, codes, labels, confidence, threshold: float = CLEAR_THRESHOLD) -> dict:
    """Do questionable samples come from between two class regions?

    Each class's region is summarised by its centre, the mean of its ``codes`` (M, d) with
    ``labels`` (M,). For each latent point ``z`` (N, d), ``betweenness`` = distance to the
    nearest centre / distance to the second nearest, in (0, 1]: near 1 the point is about
    equally far from two classes, near 0 it sits at one class's centre. Returns per-point
    ``betweenness`` (N,), ``gap`` (N,) (distance to the nearest code), and the medians of
    both for clear (``confidence`` >= ``threshold``) and questionable points: NaN when there is
    no clear, or no questionable, point.
    """
    c, y = _codes_and_labels(codes, labels, what="codes")
    z = inputs.points(z, "latent points", dim=c.shape[1])
    classes = torch.unique(y)
    if len(classes) < 2:
        raise ConfigError("between_regions needs codes of at least two classes: a point lies "
                          "between two regions or nowhere")
    confidence = inputs.values(confidence, len(z), "confidence (one per latent point)")
    threshold = inputs.number(threshold, "threshold (confidence)", above=0, at_most=1)
    centres = torch.stack([c[y == k].mean(0) for k in classes])
    two = torch.cdist(z, centres).topk(2, largest=False).values  # (N, 2), ascending
    betweenness = two[:, 0] / two[:, 1]
    gap = nearest_distance(z, c)
    clear = confidence >= threshold
    out = {"betweenness": betweenness, "gap": gap, "clear": clear}
    for name, sel in (("clear", clear), ("questionable", ~clear)):
        out[f"{name} betweenness"] = float(betweenness[sel].quantile(0.5)) if sel.any() else float("nan")
        out[f"{name} gap"] = float(gap[sel].quantile(0.5)) if sel.any() else float("nan")
    return out


def top_two_share(judge: "Judge", images: torch.Tensor) -> torch.Tensor:
    """(N,) the judge's probability mass on its two best guesses: near 1 when it hesitates
    between two classes only, lower when it sees no class it knows."""
    return judge.probabilities(images).topk(2, dim=1).values.sum(1)


def hesitations(judge: "Judge", images: torch.Tensor, top: int = 3) -> list[tuple[str, str, int]]:
    """The pairs of classes the judge most often hesitates between in ``images`` (N, 1, 28, 28):
    each image's two best guesses, as an unordered pair; the ``top`` most common pairs as
    (class, class, how many images), most common first."""
    from collections import Counter

    inputs.count(top, "top (how many pairs)", low=1)
    best_two = judge.probabilities(images).topk(2, dim=1).indices.sort(dim=1).values
    counts = Counter(map(tuple, best_two.tolist()))
    names = judge.class_names
    return [(names[a], names[b], n) for (a, b), n in counts.most_common(top)]


def class_split(verdict: dict, classes) -> tuple[float, float]:
    """Of the questionable and of the clear samples in ``verdict`` (see :func:`judge_samples`),
    the share the judge assigns to one of ``classes`` (class numbers, e.g. pullover, coat and
    shirt: 2, 4, 6): (share among questionable, share among clear), each NaN when there is no
    such sample."""
    if not isinstance(verdict, dict) or not {"pred", "clear"} <= set(verdict):
        raise ConfigError("verdict must be what metrics.judge_samples returns (a dict with 'pred' "
                          "and 'clear')")
    wanted = list(classes) if not isinstance(classes, (str, torch.Tensor, np.ndarray)) else classes
    chosen = torch.isin(verdict["pred"], inputs.labels(wanted, len(wanted), "classes", JUDGED_CLASSES))
    clear = verdict["clear"]
    share = lambda sel: float(chosen[sel].float().mean()) if sel.any() else float("nan")  # noqa: E731
    return share(~clear), share(clear)


# --------------------------------------------------------------------------- where the error sits

def stroke_edges(images) -> torch.Tensor:
    """(N, 1, 28, 28) bool: the pixels on the edge of a stroke, those whose 3 x 3 neighbourhood
    holds both stroke (>= 0.5) and background (< 0.5). ``images``: (N, 1, 28, 28) in [0, 1]."""
    stroke = (inputs.images(images) >= 0.5).float()
    grown = torch.nn.functional.max_pool2d(stroke, 3, stride=1, padding=1)
    shrunk = -torch.nn.functional.max_pool2d(-stroke, 3, stride=1, padding=1)
    return grown != shrunk


def edge_share(originals, rebuilt) -> float:
    """Of the squared error between ``originals`` and ``rebuilt`` (both (N, 1, 28, 28) in
    [0, 1]), the share that lies on the edges of the originals' strokes (:func:`stroke_edges`)."""
    x, r = inputs.images(originals, what="originals", allow_empty=False), inputs.images(rebuilt, what="rebuilt")
    if r.shape != x.shape:
        raise ConfigError(f"rebuilt must hold one image per original ({len(x)}), got {len(r)}")
    err = (x - r).pow(2)
    if not err.sum():
        raise ConfigError("rebuilt equals originals: there is no error whose share to measure")
    return float(err[stroke_edges(x)].sum() / err.sum())


# --------------------------------------------------------------------------- grey pictures

def bce_floor(images) -> float:
    """The lowest binary cross-entropy any reconstruction can reach on ``images``, in nats
    per image: sum over pixels of the binary entropy H(x) = -x log x - (1 - x) log(1 - x).

    BCE(x, x̂) = H(x) + KL(Bernoulli(x) || Bernoulli(x̂)) >= H(x), with equality for a perfect
    reconstruction. The floor is 0 for pure black-and-white pictures and grows with every
    grey pixel. ``images``: (N, 28, 28) uint8 or (N, 1, 28, 28) floats in [0, 1].
    """
    x = inputs.images(torch.as_tensor(np.asarray(images)) if not isinstance(images, torch.Tensor) else images,
                      allow_empty=False).double()
    h = -(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x))
    return float(h.flatten(1).sum(1).mean())


# --------------------------------------------------------------------------- digits against clothes

def dataset_report(rows: dict) -> "pandas.DataFrame":  # noqa: F821
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
    for name, (model, data, judge) in inputs.named(rows, "dataset_report", "name -> (model, data, judge)").items():
        elbo = evaluate_loss(model, data.test_images, "bce", elbo=True).total
        floor = bce_floor(data.test_images)
        real = judge_samples(judge, data.images("test"))["clear_share"]
        generated = clear_share(model, judge).share
        out.append({"data": name, "held-out -ELBO": elbo, "BCE floor": floor, "-ELBO above floor": elbo - floor,
                    "judge accuracy": judge.accuracy, "clear, real images": real,
                    "clear, samples": generated,
                    "samples / real": generated / real if real else float("nan")})
    return pd.DataFrame(out).set_index("data")


# --------------------------------------------------------------------------- asking for a digit

@dataclass
class AskedFor:
    """What :func:`read_as_asked` measured. ``images``: (classes, n, 1, 28, 28), row k the n
    latent points decoded as class k (the same points in every row); ``read``: (classes, n) the
    class the judge reads in each; ``share``: (classes,) the share of row k read as k."""

    images: torch.Tensor
    read: torch.Tensor
    share: torch.Tensor

    @property
    def overall(self) -> float:
        return float(self.share.mean())


@torch.no_grad()
def read_as_asked(model, judge: "Judge", n: int = 100, seed: int = CLEAR_SEED, z=None) -> AskedFor:
    """Ask a conditional VAE for every class: ``n`` random points from N(0, I) (seed ``seed``,
    as :func:`latent_points` draws them), or the latent points ``z`` (n, latent) given (e.g. the
    encodings of held-out images), each decoded under every label; the judge reads them all.
    The share of each row read as the class asked for is the model's answer to "draw me a 7"."""
    inputs.latent_model(model, "read_as_asked")
    inputs.model_labels(0, 1, model, "read_as_asked's labels")   # refuses a model that takes no labels
    z = latent_points(model.latent_dim, n, seed) if z is None else inputs.latents(z, model).cpu()
    classes = len(judge.class_names)
    images = torch.stack([decode(model, z, k) for k in range(classes)])     # (classes, n, 1, 28, 28)
    read = judge.read(images.flatten(0, 1))[0].view(classes, len(z))
    share = (read == torch.arange(classes)[:, None]).float().mean(1)
    return AskedFor(images, read, share)


# --------------------------------------------------------------------------- what log p(x) knows
# Scores come as nested dicts: model name -> data set name -> (N,) one score per image, higher
# meaning "more likely under this model".

def log_likelihoods(models: dict, sets: dict, k: int = 100, seed: int = 0) -> dict:
    """log p(x) of every image of every set under every model, in nats: the importance-sampled
    estimate of ``likelihood`` with ``k`` samples per image. ``models``: name -> VAE;
    ``sets``: name -> (N, 1, 28, 28) images. Returns {model: {set: (N,)}}."""
    from .likelihood import importance_sampled_log_likelihood

    inputs.named(sets, "log_likelihoods", "data set name -> images")
    return {m: {s: importance_sampled_log_likelihood(model, x, k=k, seed=seed)
                for s, x in sets.items()}
            for m, model in inputs.named(models, "log_likelihoods", "name -> VAE").items()}


def auroc(inside, outside) -> float:
    """How well a score tells ``inside`` (N,) from ``outside`` (M,), when it should be higher for
    inside: the area under the ROC curve, which is the chance that a random inside score beats
    a random outside one (ties count half). 1.0 separates them perfectly, 0.5 is a coin toss,
    and below 0.5 the score ranks them the wrong way round."""
    a, b = inputs.values(inside, None, "inside scores"), inputs.values(outside, None, "outside scores")
    if not len(a) or not len(b):
        raise ConfigError("auroc needs at least one inside and one outside score")
    beats = (a[:, None] > b[None, :]).double().mean() + 0.5 * (a[:, None] == b[None, :]).double().mean()
    return float(beats)


def own_data_auroc(scores: dict, own: str) -> float:
    """One model's scores ({set: (N,)}): how well they tell its own held-out data, the set named
    ``own``, from every other set pooled (:func:`auroc`)."""
    inputs.named(scores, "own_data_auroc", "set -> scores")
    others = [torch.as_tensor(v) for name, v in scores.items() if name != own]
    if own not in scores or not others:
        raise ConfigError(f"own_data_auroc needs the scores of {own!r} and of at least one other "
                          f"set; got {', '.join(scores)}")
    return auroc(scores[own], torch.cat(others))


def detection_report(scores: dict, own: dict) -> "pandas.DataFrame":  # noqa: F821
    """One row per kind of score ({row: {model: {set: (N,)}}}), one column per model: the
    AUROC of "is this from the model's own data?" (:func:`own_data_auroc`), ``own`` naming each
    model's data set."""
    import pandas as pd

    inputs.named(scores, "detection_report", "row -> {model: {set: scores}}")
    lacking = {m for per_model in scores.values() for m in per_model} - set(own)
    if lacking:
        raise ConfigError(f"own must name each model's own data set; it names none for "
                          f"{', '.join(map(str, lacking))}")
    table = {row: {model: own_data_auroc(per_set, own[model]) for model, per_set in per_model.items()}
             for row, per_model in scores.items()}
    return pd.DataFrame(table).T


def _uint8(images) -> np.ndarray:
    """Images as (N, 28, 28) uint8 0-255, from uint8 or from floats in [0, 1]."""
    x = images if isinstance(images, torch.Tensor) else torch.as_tensor(np.asarray(images))
    x = inputs.images(x).mul(255).round().to(torch.uint8)                # checked, uint8 too
    return x.reshape(len(x), 28, 28).numpy()


def ink(images) -> torch.Tensor:
    """(N,) how much ink each image holds: the sum of its pixel values in [0, 1] (a black pixel
    counts 1, a mid-grey one 0.5)."""
    return inputs.images(images).double().flatten(1).sum(1)


def png_nats(images, black_and_white: bool = False, draws: int = 8, seed: int = 0) -> torch.Tensor:
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
        return sizes(_uint8(images), "L")
    inputs.count(draws, "draws", low=1)
    x = inputs.images(images).double().reshape(-1, 28, 28)
    gen = torch.Generator().manual_seed(inputs.seed(seed))
    copies = [(torch.rand(x.shape, generator=gen, dtype=torch.float64) < x).numpy() for _ in range(draws)]
    return torch.stack([sizes(c.astype(np.uint8) * 255, "1") for c in copies]).mean(0)


def complexity_corrected(log_px: dict, lengths: dict) -> dict:
    """Serrà et al.'s input-complexity correction, as a score that is higher for "more like the
    model's own data": log p(x) + L(x), with L(x) the image's compressed length in nats
    (:func:`png_nats`). It is minus their S(x) = -log p(x) - L(x): how many nats the model saves
    over a generic compressor, a likelihood ratio against the compressor. ``log_px``:
    {model: {set: (N,)}}; ``lengths``: {set: (N,)}. Returns {model: {set: (N,)}}."""
    lengths = inputs.scores(lengths, "lengths")
    inputs.named(log_px, "complexity_corrected", "model -> {set: log p(x)}")
    return {m: {s: v + lengths[s] for s, v in inputs.scores(per, f"log p(x) under {m!r}", like=lengths).items()}
            for m, per in log_px.items()}


def complexity_correlations(scores: dict, measures: dict) -> "pandas.DataFrame":  # noqa: F821
    """How closely each model's log p(x) follows how complex an image is: Spearman's rank
    correlation (-1 to 1) over all images of all sets together. ``scores``: {model: {set: (N,)}};
    ``measures``: {measure name: {set: (N,)}} (e.g. :func:`ink`, :func:`png_nats`). One row
    per model, one column per measure."""
    import pandas as pd
    from scipy.stats import spearmanr

    inputs.named(measures, "complexity_correlations", "measure -> {set: values}")
    measures = {name: inputs.scores(per, f"measure {name!r}") for name, per in measures.items()}
    rows = {}
    for model, per_set in inputs.named(scores, "complexity_correlations", "model -> {set: log p(x)}").items():
        rows[model] = {}
        for measure, per in measures.items():
            ours = inputs.scores(per_set, f"log p(x) under {model!r}", like=per)
            x, y = torch.cat(list(ours.values())), torch.cat([per[n] for n in ours])
            if x.min() == x.max() or y.min() == y.max():
                raise ConfigError(f"log p(x) under {model!r} or {measure!r} is the same for every image: "
                                  f"no ranking to correlate")
            rows[model][measure] = float(spearmanr(x, y).statistic)
    return pd.DataFrame(rows).T
