"""Do encodings of the same digit cluster? k-nearest-neighbour accuracy in the latent space, the
silhouette of the digit clusters, and how far apart two encodings of the same digit are compared
with two of different digits; distances in units of that spread (:func:`relative_distances`),
and a typical pair (:func:`median_pair`)."""

from __future__ import annotations

import numpy as np
import torch

from ..data import ImageData
from ..latent import encodings
from ..support import inputs
from ..support.errors import ConfigError


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


def relative_distances(model, images: torch.Tensor, reference: torch.Tensor, labels) -> torch.Tensor:
    """(k, k) distances between the encodings of ``images`` (k, 1, 28, 28), in units of the
    mean distance between encodings of different classes among ``reference`` images with
    ``labels`` (see :func:`mean_distance_between_classes`). 1.0 is "as far apart as two
    different digits usually are", whatever the scale of the model's codes."""
    reference_codes = encodings(model, reference)
    unit = mean_distance_between_classes(reference_codes, inputs.labels(labels, len(reference_codes)))
    codes = encodings(model, images).double()
    return torch.cdist(codes, codes) / unit


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
