"""The article's claims, measured.

- "Encodings of the same digit cluster": k-nearest-neighbour digit accuracy in the latent
  space, the silhouette score of the digit clusters, and how far apart two encodings of the
  same digit are compared with two encodings of different digits.
- "Some generated digits are clear, some questionable": a small classifier trained on real
  images judges each sample; confidence >= 0.9 counts as clear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import cache
from .data import ImageData
from .train import make_optimizer, pick_device


@torch.no_grad()
def encodings(model, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Deterministic encodings (z for the autoencoder, mu for the VAE) of uint8 or float images."""
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device)
        if x.dtype == torch.uint8:
            x = x.unsqueeze(1).float() / 255
        out.append(model.embed(x).cpu())
    return torch.cat(out)


def knn_accuracy(train_enc, train_labels, test_enc, test_labels, k: int = 5) -> float:
    """Share of held-out encodings whose k nearest training encodings vote for the right digit."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k).fit(np.asarray(train_enc), np.asarray(train_labels))
    return float(clf.score(np.asarray(test_enc), np.asarray(test_labels)))


def silhouette(enc, labels, max_points: int = 2000, seed: int = 0) -> float:
    """Silhouette score of the digit clusters in [-1, 1]: higher means tighter, better separated."""
    from sklearn.metrics import silhouette_score

    enc, labels = np.asarray(enc), np.asarray(labels)
    keep = np.random.default_rng(seed).permutation(len(labels))[:max_points]
    return float(silhouette_score(enc[keep], labels[keep]))


def same_vs_different(enc, labels, max_points: int = 2000, seed: int = 0) -> float:
    """Mean distance between two encodings of the same digit divided by the mean distance
    between encodings of different digits. Scale-free; 1.0 means "no clustering at all"."""
    enc, labels = np.asarray(enc, dtype=np.float64), np.asarray(labels)
    keep = np.random.default_rng(seed).permutation(len(labels))[:max_points]
    e, y = enc[keep], labels[keep]
    d = np.sqrt(((e[:, None, :] - e[None, :, :]) ** 2).sum(-1))
    same = y[:, None] == y[None, :]
    off_diag = ~np.eye(len(y), dtype=bool)
    return float(d[same & off_diag].mean() / d[~same].mean())


def cluster_report(models: dict, data: ImageData, judge: "Classifier | None" = None,
                   n_random: int = 1000, seed: int = 0) -> "pandas.DataFrame":  # noqa: F821
    """One row per model, all on held-out images (kNN neighbours come from training images):

    - kNN accuracy, silhouette, same / different distance ratio: do digits cluster?
    - latent spread: mean standard deviation of the encodings per dimension (1.0 is N(0, 1));
    - with a ``judge``: the share of decoded random N(0, I) points it calls clear, i.e. how
      well the decoder copes with the points that generation will hand it.
    """
    import pandas as pd

    rows = []
    for name, model in models.items():
        tr, te = encodings(model, data.train_images), encodings(model, data.test_images)
        row = {
            "model": name,
            "kNN accuracy (k=5)": knn_accuracy(tr, data.train_labels, te, data.test_labels),
            "silhouette": silhouette(te, data.test_labels),
            "same / different distance": same_vs_different(te, data.test_labels),
            "latent spread (std)": float(te.std(0).mean()),
        }
        if judge is not None:
            device = next(model.parameters()).device
            z = torch.randn(n_random, model.latent_dim, generator=torch.Generator().manual_seed(seed))
            with torch.no_grad():
                images = model.decode(z.to(device)).cpu()
            row["clear share of random points"] = judge_samples(judge, images)["clear_share"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("model").round(3)


# --------------------------------------------------------------------------- the judge

class Classifier(nn.Module):
    """A small MLP that recognises the 10 classes: 784 -> 256 -> 10."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                                 nn.Linear(256, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    @torch.no_grad()
    def judge(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1, 28, 28) floats -> predicted class (N,), confidence (N,) in [0, 1]."""
        self.eval()
        probs = self(images.to(next(self.parameters()).device)).softmax(1).cpu()
        conf, pred = probs.max(1)
        return pred, conf


@dataclass
class JudgedClassifier:
    model: Classifier
    test_accuracy: float


def train_classifier(data: ImageData, epochs: int | None = None, seed: int = 0,
                     device: str = "auto") -> JudgedClassifier:
    """The judge for ``data``: trained on its real training images, or loaded from the one cache
    (shipped weights first, then this machine's), keyed by these settings and the training
    data's fingerprint. Its accuracy is measured on ``data``'s held-out images every time."""
    epochs = epochs or (4 if data.is_full else 25)
    description = cache.describe("judge", data.identity(), architecture="mlp 784-256-10",
                                 epochs=epochs, seed=seed)
    label = f"judge-{data.name}"
    model = Classifier()
    found = cache.find(label, description)
    try:
        if found is None:
            raise LookupError
        model.load_state_dict(found.payload["state_dict"])
    except Exception as err:  # missing, or a file that does not fit the classifier
        if found is not None:
            cache.warn(f"Ignoring a bad cached file and training again: {found.path} ({err}).")
        dev = pick_device(device)
        # Everything random in training (initial weights, dropout masks) comes from ``seed``,
        # not from whatever the caller's global random state happens to be.
        with torch.random.fork_rng(devices=[dev.index or 0] if dev.type == "cuda" else []):
            torch.manual_seed(seed)
            model = _fit_classifier(data, epochs, seed, dev).cpu()
        cache.store(label, description, {"state_dict": model.state_dict()}, f"judge for {data.name}")
    model.eval()
    pred, _ = model.judge(data.images("test"))
    return JudgedClassifier(model, float((pred == data.test_labels).float().mean()))


def _fit_classifier(data: ImageData, epochs: int, seed: int, dev: torch.device) -> Classifier:
    model = Classifier().to(dev)
    gen = torch.Generator(device=dev).manual_seed(seed)
    x_all, y_all = data.train_images.to(dev), data.train_labels.to(dev)
    opt = make_optimizer(model, 1e-3)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y_all), generator=gen, device=dev)
        for start in range(0, len(order), 128):
            idx = order[start:start + 128]
            loss = nn.functional.cross_entropy(model(x_all[idx].unsqueeze(1).float() / 255), y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model


def judge_samples(judge: Classifier, images: torch.Tensor, threshold: float = 0.9) -> dict:
    """Classify generated images: predicted class, confidence, and the share that is "clear"
    (confidence >= ``threshold``) vs "questionable"."""
    pred, conf = judge.judge(images)
    clear = conf >= threshold
    return {"pred": pred, "confidence": conf, "clear": clear, "clear_share": float(clear.float().mean())}
