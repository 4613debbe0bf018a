"""Do encodings of the same digit cluster? k-nearest-neighbour accuracy in the latent space, the
silhouette of the digit clusters, and how far apart two encodings of the same digit are compared
with two of different digits; distances in units of that spread (:func:`relative_distances`),
and a typical pair (:func:`median_pair`)."""

from __future__ import annotations

import numpy as np
import torch

from ..data import ImageData
from ..latent import encodings
from ..support.contracts import ClassLabels, Count, Fits, Images, ImagesAlone, Named, Points, Seed, checked
from ..support.errors import ConfigError

# At most this many points are compared pair by pair (an (n, n) matrix of distances each time).
SUBSET = Count(2, fits=lambda max_points: 32 * max_points ** 2)


def _subset(n: int, max_points: int, seed: int) -> np.ndarray:
    """A seeded choice of at most ``max_points`` of ``n`` indices."""
    return np.random.default_rng(seed).permutation(n)[:max_points]


def knn_accuracy(train_enc: Points(), train_labels: ClassLabels("train_enc"), test_enc: Points(dim="train_enc"),
                 test_labels: ClassLabels("test_enc"), k: Count(1, "train_enc") = 5) -> float:
    """Share of held-out encodings whose k nearest training encodings vote for the right digit."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k).fit(train_enc.numpy(), train_labels.numpy())
    return float(clf.score(test_enc.numpy(), test_labels.numpy()))


def silhouette(enc: Points(), labels: ClassLabels("enc"), max_points: SUBSET = 2000, seed: Seed = 0) -> float:
    """Silhouette score of the digit clusters in [-1, 1]: higher means tighter, better separated."""
    from sklearn.metrics import silhouette_score

    keep = _subset(len(enc), max_points, seed)
    classes = len(torch.unique(labels[keep]))
    if not 2 <= classes <= len(keep) - 1:
        raise ConfigError(f"a silhouette needs at least two classes and more points than classes; "
                          f"got {len(keep)} point(s) of {classes} class(es)")
    return float(silhouette_score(enc[keep].numpy(), labels[keep].numpy()))


def _pairs(enc: torch.Tensor, labels: torch.Tensor, max_points: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances (n, n) between up to ``max_points`` encodings (a seeded subset), and the
    (n, n) mask of pairs of *different* classes."""
    keep = torch.from_numpy(_subset(len(enc), max_points, seed))
    e, y = enc[keep], labels[keep]
    different = y[:, None] != y[None, :]
    if not bool(different.any()):
        raise ConfigError(f"the {len(e)} encodings here are all of one class; distances between "
                          f"classes need encodings of at least two")
    return torch.cdist(e, e), different


def same_vs_different(enc: Points(), labels: ClassLabels("enc"), max_points: SUBSET = 2000,
                      seed: Seed = 0) -> float:
    """Mean distance between two encodings of the same digit divided by the mean distance
    between encodings of different digits. Scale-free; 1.0 means "no clustering at all"."""
    d, different = _pairs(enc, labels, max_points, seed)
    same = ~different & ~torch.eye(len(d), dtype=torch.bool)
    if not bool(same.any()):
        raise ConfigError("no two encodings here share a class, so there is no distance within a "
                          "class to compare; pass more encodings")
    return float(d[same].mean() / d[different].mean())


def mean_distance_between_classes(codes: Points(), labels: ClassLabels("codes"), max_points: SUBSET = 2000,
                                  seed: Seed = 0) -> float:
    """Mean distance between two encodings of *different* classes: the unit in which the
    chapters compare distances across models whose codes have different scales."""
    d, different = _pairs(codes, labels, max_points, seed)
    return float(d[different].mean())


def cluster_report(models: Named(ImagesAlone, what="name -> model"), data: ImageData,
                   max_train: Count(5) = 10000, max_test: Count(2) = 2000) -> "pandas.DataFrame":  # noqa: F821
    """Do encodings of the same digit sit together? One row per model: kNN accuracy (the
    neighbours are the first ``max_train`` training images, the queries the first
    ``max_test`` held-out images), and the silhouette and same / different distance ratio of
    those held-out encodings. All three are blind to scale: they compare codes with codes."""
    import pandas as pd

    rows = []
    train, test = data.images("train", max_train), data.images("test", max_test)
    train_y, y = data.train_labels[:max_train], data.test_labels[:max_test]
    for name, model in models.items():
        tr, te = encodings(model, train).double(), encodings(model, test).double()
        rows.append({
            "model": name,
            "kNN accuracy (k=5)": knn_accuracy(tr, train_y, te, y),
            "silhouette": silhouette(te, y),
            "same / different distance": same_vs_different(te, y),
        })
    return pd.DataFrame(rows).set_index("model").round(3)


def relative_distances(model: ImagesAlone, images: Images(), reference: Images(least=2),
                       labels: ClassLabels("reference")) -> torch.Tensor:
    """(k, k) distances between the encodings of ``images`` (k, 1, 28, 28), in units of the
    mean distance between encodings of different classes among ``reference`` images with
    ``labels`` (see :func:`mean_distance_between_classes`). 1.0 is "as far apart as two
    different digits usually are", whatever the scale of the model's codes."""
    unit = mean_distance_between_classes(encodings(model, reference).double(), labels)
    codes = encodings(model, images).double()
    return torch.cdist(codes, codes) / unit


def median_pair(points: Points(least=2, flatten=True) & Fits(lambda points: 32 * len(points) ** 2)
                ) -> tuple[int, int, float]:
    """The pair of rows of ``points`` (N, ...) whose Euclidean distance is the median of all
    N(N-1)/2 pairwise distances: a typical pair, neither twins nor opposites. Returns
    (i, j, distance) with i < j. Pass images (flattened or not) to pick by pixels."""
    d = torch.cdist(points, points)
    i, j = torch.triu_indices(len(points), len(points), offset=1)
    pair = d[i, j]
    # the lower median, so the pair is one that exists (the mean of two middles may not)
    k = int(pair.argsort()[(len(pair) - 1) // 2])
    return int(i[k]), int(j[k]), float(pair[k])


checked(globals())
