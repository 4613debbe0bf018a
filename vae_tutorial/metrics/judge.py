"""What the judge reads: a small classifier trained on real images calls each generated image.

"Some generated digits are clear, some questionable": confidence >= 0.9 counts as clear, and
:func:`clear_share` is the one definition the whole book uses (1,000 latent points, seed 0,
threshold 0.9). Also what the judge hesitates between, and whether a conditional VAE draws the
digit it is asked for (:func:`read_as_asked`). ``book.judge(data)`` gives the judge of a data set.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch

from ..latent import decode, latent_points
from ..models import Classifier
from ..support.contracts import (IMAGE_BYTES, ClassLabels, Count, Finite, Flags, Images, ImagesAlone,
                                 Latents, Model, Points, Real, Fields, Seed, checked)


# The book's one definition of "clear share": 1,000 random latent points (seed 0), decoded,
# and a sample counts as clear when the judge is at least 90% sure of it.
CLEAR_N, CLEAR_SEED, CLEAR_THRESHOLD = 1000, 0, 0.9
JUDGED_CLASSES = 10   # the judge's classes (models.Classifier): digits or garments
SAMPLES = Count(1, fits=lambda n: 4 * n * IMAGE_BYTES)   # images decoded and judged at once
THRESHOLD = Real(above=0, at_most=1)


@dataclass
class Judge:
    """The judge of one dataset: a small classifier (``models.Classifier``) trained on its real
    training images by the same ``fitting.fit`` as the VAEs, and its accuracy on the held-out
    images. It reads images (:meth:`read`); the clear share counts the ones it is sure of."""

    model: Classifier
    accuracy: float
    class_names: tuple[str, ...]

    @classmethod
    def measured(cls, model: Classifier, data) -> "Judge":
        """The judge ``model`` of ``data``, with its accuracy on ``data``'s held-out images."""
        judge = cls(model, 0.0, tuple(data.class_names))
        predicted, _ = judge.read(data.images("test"))
        judge.accuracy = float((predicted == data.test_labels).float().mean())
        return judge

    @torch.no_grad()
    def probabilities(self, images: Images(like="self.model")) -> Finite("judge's probabilities"):
        """(N, 1, 28, 28) images -> (N, classes) class probabilities, on the CPU."""
        self.model.eval()
        return self.model(images.to(next(self.model.parameters()).device)).softmax(1).cpu()

    def read(self, images: Images(like="self.model")) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1, 28, 28) images -> the class it reads in each (N,) and its confidence (N,)."""
        confidence, predicted = self.probabilities(images).max(1)
        return predicted, confidence


def judge_samples(judge: Judge, images: Images(least=1), threshold: THRESHOLD = CLEAR_THRESHOLD) -> dict:
    """Classify generated images: predicted class, confidence, and the share that is "clear"
    (confidence >= ``threshold``) vs "questionable"."""
    pred, conf = judge.read(images)
    clear = conf >= threshold
    return {"pred": pred, "confidence": conf, "clear": clear, "clear_share": float(clear.float().mean())}


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

    def first(self, k: Count(1)) -> tuple[torch.Tensor, dict]:
        """The first ``k`` images and their verdict, e.g. to show a grid of a few of them
        (``plots.judged_grid(*result.first(100))``); the share stays that of all ``n``."""
        verdict = {key: v[:k] for key, v in self.verdict.items() if isinstance(v, torch.Tensor)}
        verdict["clear_share"] = float(verdict["clear"].float().mean())
        return self.images[:k], verdict


@torch.no_grad()
def clear_share(model: ImagesAlone, judge: Judge, n: SAMPLES = CLEAR_N, seed: Seed = CLEAR_SEED,
                fit_to: Points(least=2, dim="model.latent_dim") = None, threshold: THRESHOLD = CLEAR_THRESHOLD
                ) -> ClearShare:
    """Decode ``n`` random latent points (see :func:`latent_points`; N(0, I) unless
    ``fit_to`` codes are given) and let ``judge`` call each image: the share it recognises with
    confidence >= ``threshold`` is the clear share. Same arguments, same number: every chapter
    calls this with the defaults, so each model has one clear share in the whole book."""
    z = latent_points(model.latent_dim, n, seed, fit_to)
    images = decode(model, z)
    verdict = judge_samples(judge, images, threshold)
    return ClearShare(verdict["clear_share"], z, images, verdict)


def top_two_share(judge: Judge, images: Images()) -> torch.Tensor:
    """(N,) the judge's probability mass on its two best guesses: near 1 when it hesitates
    between two classes only, lower when it sees no class it knows."""
    return judge.probabilities(images).topk(2, dim=1).values.sum(1)


def hesitations(judge: Judge, images: Images(), top: Count(1) = 3) -> list[tuple[str, str, int]]:
    """The pairs of classes the judge most often hesitates between in ``images`` (N, 1, 28, 28):
    each image's two best guesses, as an unordered pair; the ``top`` most common pairs as
    (class, class, how many images), most common first."""
    best_two = judge.probabilities(images).topk(2, dim=1).indices.sort(dim=1).values
    counts = Counter(map(tuple, best_two.tolist()))
    names = judge.class_names
    return [(names[a], names[b], n) for (a, b), n in counts.most_common(top)]


def class_split(verdict: Fields("what metrics.judge_samples returns", pred=ClassLabels(classes=JUDGED_CLASSES),
                                clear=Flags()), classes: ClassLabels(classes=JUDGED_CLASSES)) -> tuple[float, float]:
    """Of the questionable and of the clear samples in ``verdict`` (see :func:`judge_samples`),
    the share the judge assigns to one of ``classes`` (class numbers, e.g. pullover, coat and
    shirt: 2, 4, 6): (share among questionable, share among clear), each NaN when there is no
    such sample."""
    chosen = torch.isin(verdict["pred"], classes)
    clear = verdict["clear"]
    share = lambda sel: float(chosen[sel].float().mean()) if sel.any() else float("nan")  # noqa: E731
    return share(~clear), share(clear)


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
def read_as_asked(model: Model("cvae"), judge: Judge, n: Count(1, fits=lambda n: 10 * 2 * n * IMAGE_BYTES) = 100,
                  seed: Seed = CLEAR_SEED, z: Latents() = None) -> AskedFor:
    """Ask a conditional VAE for every class: ``n`` random points from N(0, I) (seed ``seed``,
    as :func:`latent_points` draws them), or the latent points ``z`` (n, latent) given (e.g. the
    encodings of held-out images), each decoded under every label; the judge reads them all.
    The share of each row read as the class asked for is the model's answer to "draw me a 7"."""
    z = latent_points(model.latent_dim, n, seed) if z is None else z
    classes = len(judge.class_names)
    images = torch.stack([decode(model, z, torch.full((len(z),), k)) for k in range(classes)])  # (classes, n, ...)
    read = judge.read(images.flatten(0, 1))[0].view(classes, len(z))
    share = (read == torch.arange(classes)[:, None]).float().mean(1)
    return AskedFor(images, read, share)


checked(globals())
