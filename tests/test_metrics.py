import numpy as np
import pytest
import torch

from vae_tutorial import data, metrics
from vae_tutorial.models import ModelConfig, build_model


def _clusters(n=300, spread=0.1, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    centres = rng.normal(size=(10, 5)) * 5
    return centres[labels] + rng.normal(size=(n, 5)) * spread, labels


def test_clustered_encodings_score_well_and_random_ones_do_not():
    enc, y = _clusters()
    noise = np.random.default_rng(1).normal(size=enc.shape)
    assert metrics.knn_accuracy(enc[:200], y[:200], enc[200:], y[200:]) == 1.0
    assert metrics.knn_accuracy(noise[:200], y[:200], noise[200:], y[200:]) < 0.4
    assert metrics.silhouette(enc, y) > 0.8 and abs(metrics.silhouette(noise, y)) < 0.1
    assert metrics.same_vs_different(enc, y) < 0.1
    assert 0.9 < metrics.same_vs_different(noise, y) < 1.1


def test_same_vs_different_is_scale_free():
    enc, y = _clusters(spread=1.0)
    assert metrics.same_vs_different(enc, y) == pytest.approx(metrics.same_vs_different(enc * 7, y))


class _FixedJudge(torch.nn.Module):
    """Logits that make image i of class i % 10 with a confidence set by its mean pixel."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # judge() reads the device from it

    def forward(self, x):
        m = x.flatten(1).mean(1)
        logits = torch.zeros(len(x), 10)
        logits[torch.arange(len(x)), torch.arange(len(x)) % 10] = m * 20
        return logits

    judge = metrics.Classifier.judge


def test_judge_samples_splits_clear_and_questionable():
    images = torch.cat([torch.ones(3, 1, 28, 28), torch.zeros(1, 1, 28, 28)])
    verdict = metrics.judge_samples(_FixedJudge(), images)
    assert verdict["clear"].tolist() == [True, True, True, False]
    assert verdict["clear_share"] == 0.75 and verdict["pred"].tolist()[:3] == [0, 1, 2]


def test_classifier_learns_and_is_cached(mnist_root, monkeypatch):
    d = data.load_mnist(mnist_root, quiet=True)
    first = metrics.train_classifier(d, epochs=30)
    assert first.test_accuracy > 0.5  # the synthetic classes are squares at different places
    monkeypatch.setattr(metrics, "make_optimizer", lambda *a: (_ for _ in ()).throw(AssertionError("retrained")))
    again = metrics.train_classifier(d, epochs=30)
    assert again.test_accuracy == first.test_accuracy


def test_cluster_report_has_a_row_per_model(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    models = {"a": build_model(ModelConfig(kind="ae", hidden_dims=(16,))),
              "b": build_model(ModelConfig(kind="vae", hidden_dims=(16,)))}
    report = metrics.cluster_report(models, d, judge=metrics.Classifier(), n_random=20)
    assert list(report.index) == ["a", "b"]
    assert {"kNN accuracy (k=5)", "silhouette", "same / different distance", "latent spread (std)",
            "clear share of random points"} == set(report.columns)
    assert ((report["kNN accuracy (k=5)"] >= 0) & (report["kNN accuracy (k=5)"] <= 1)).all()


def test_classifier_training_ignores_the_global_random_state(mnist_root, isolated_cache):
    d = data.load_mnist(mnist_root, quiet=True)
    weights = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)  # a chapter's earlier cells leave the global RNG anywhere
        for cached in (isolated_cache / "models").glob("judge-*"):
            cached.unlink()
        weights.append(metrics.train_classifier(d, epochs=3).model.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
