"""The exercises' checks: every chapter's solutions pass, and every mistake a check names is
recognised in a wrong answer written the way learners write it (not the check's own version)."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vae_tutorial import exercises
from vae_tutorial.support.errors import ConfigError

BOOK = Path(__file__).resolve().parents[1] / "book"


# --------------------------------------------------------------------------- wrong answers
# One learner-style wrong answer per mistake each check names: {exercise: {mistake: function}}.

def _encoder(flatten=True, relus=True, head_relu=False, widths=(256, 128)):
    def make_encoder(latent_dim):
        layers = [nn.Flatten()] if flatten else []
        sizes = [784, *widths]
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()] if relus else [nn.Linear(a, b)]
        layers.append(nn.Linear(sizes[-1], latent_dim))
        if head_relu:
            layers.append(nn.ReLU())
        return nn.Sequential(*layers)
    return make_encoder


def _step(loss_fn=None, zero_grad=True, backward=True, step=True, use_mu=False):
    def train_step(model, optimizer, x):
        if use_mu:
            mu, logvar = model.encode(x)
            logits = model.decode_logits(mu)
        else:
            logits, mu, logvar = model(x)
        rec = F.mse_loss(torch.sigmoid(logits), x, reduction="sum") / len(x)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(x)
        loss = loss_fn(logits, x, rec, kl) if loss_fn else rec + kl
        if zero_grad:
            optimizer.zero_grad()
        if backward:
            loss.backward()
        if step:
            optimizer.step()
        return loss.item()
    return train_step


def _sampled_interpolate(model, a, b, steps):
    za, zb = (model.reparameterize(*model.encode(img.unsqueeze(0))) for img in (a, b))
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return model.decode(za + t * (zb - za))


def _mu_path(model, a, b, t):
    za, zb = model.encode(a.unsqueeze(0))[0], model.encode(b.unsqueeze(0))[0]
    return za + t.unsqueeze(1) * (zb - za)


WRONG = {
    "nearest_distance": {
        "squared": lambda image, images: ((images - image) ** 2).flatten(1).sum(1).min(),
        "farthest": lambda image, images: torch.cdist(image.reshape(1, -1), images.flatten(1)).max(),
        "not-squared": lambda image, images: (images - image).flatten(1).sum(1).abs().min(),
        "mean-over-pixels": lambda image, images: torch.sqrt(((images - image) ** 2).mean((1, 2, 3))).min(),
    },
    "make_encoder": {
        "widths": _encoder(widths=(512, 128)),
        "no-flatten": _encoder(flatten=False),
        "relu-after-head": _encoder(head_relu=True),
        "no-relu": _encoder(relus=False),
    },
    "reparameterize": {
        "logvar-as-sigma": lambda mu, logvar: mu + logvar * torch.randn_like(mu),
        "missing-half": lambda mu, logvar: mu + torch.exp(logvar) * torch.randn_like(mu),
        "no-sigma": lambda mu, logvar: mu + torch.randn(mu.shape),
        "no-noise": lambda mu, logvar: mu.clone(),
        "no-mu": lambda mu, logvar: torch.randn_like(mu) * torch.exp(logvar / 2),
        "no-gradient": lambda mu, logvar: torch.normal(mu, torch.exp(0.5 * logvar)).detach(),
    },
    "log_mean_exp": {
        "underflow": lambda log_w: torch.log(torch.mean(torch.exp(log_w), dim=1)),
        "log-of-sum": lambda log_w: torch.logsumexp(log_w, dim=1),
        "mean-of-logs": lambda log_w: torch.mean(log_w, dim=1),
        "wrong-dimension": lambda log_w: torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0]),
    },
    "reconstruction_loss": {
        "mean-over-pixels": lambda logits, x: ((torch.sigmoid(logits) - x) ** 2).mean(),
        "sum-over-batch": lambda logits, x: F.mse_loss(torch.sigmoid(logits), x, reduction="sum"),
        "batch-averaged-twice": lambda logits, x: (((torch.sigmoid(logits) - x) ** 2).sum((1, 2, 3))
                                                   / len(x)).mean(),
        "logits": lambda logits, x: F.mse_loss(logits, x, reduction="sum") / len(x),
        "not-squared": lambda logits, x: F.l1_loss(torch.sigmoid(logits), x, reduction="sum") / len(x),
        "per-image": lambda logits, x: ((torch.sigmoid(logits) - x) ** 2).flatten(1).sum(1),
    },
    "bce": {
        "mean-over-pixels": lambda logits, x: F.binary_cross_entropy(torch.sigmoid(logits), x),
        "sigmoid-twice": lambda logits, x: F.binary_cross_entropy_with_logits(
            torch.sigmoid(logits), x, reduction="sum") / len(x),
        "sign-flipped": lambda logits, x: (x * F.logsigmoid(logits)
                                           + (1 - x) * F.logsigmoid(-logits)).sum() / len(x),
        "swapped": lambda logits, x: F.binary_cross_entropy(x, torch.sigmoid(logits),
                                                            reduction="sum") / x.shape[0],
        "sum-over-batch": lambda logits, x: F.binary_cross_entropy_with_logits(logits, x, reduction="sum"),
        "per-image": lambda logits, x: F.binary_cross_entropy_with_logits(
            logits, x, reduction="none").flatten(1).sum(1),
    },
    "kl_divergence": {
        "sign-flipped": lambda mu, lv: (0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp(), 1)).mean(),
        "missing-half": lambda mu, lv: -torch.sum(1 + lv - mu ** 2 - lv.exp(), 1).mean(),
        "logvar-as-sigma": lambda mu, lv: (0.5 * (mu ** 2 + lv ** 2 - torch.log(lv ** 2) - 1)).sum(1).mean(),
        "logvar-as-log-sigma": lambda mu, lv: (0.5 * (mu ** 2 + torch.exp(lv) ** 2 - 2 * lv - 1)).sum(1).mean(),
        "no-minus-one": lambda mu, lv: (0.5 * (mu ** 2 + lv.exp() - lv)).sum(1).mean(),
        "mean-over-latent": lambda mu, lv: torch.mean(-0.5 * (1 + lv - mu ** 2 - lv.exp())),
        "sum-over-batch": lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp()),
        "batch-averaged-twice": lambda mu, lv: (-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())
                                                / len(mu)) / mu.size(0),
        "per-image": lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp(), dim=1),
    },
    "train_step": {
        "no-zero-grad": _step(zero_grad=False),
        "weights-unchanged": _step(step=False),
        "decoded-mu": _step(use_mu=True),
        "kl-sign-flipped": _step(lambda logits, x, rec, kl: rec - kl),
        "mean-over-pixels": _step(lambda logits, x, rec, kl: F.mse_loss(torch.sigmoid(logits), x) + kl),
    },
    "interpolate": {
        "pixels": lambda model, a, b, steps: torch.stack(
            [a + t * (b - a) for t in torch.linspace(0, 1, steps)]),
        "sampled-z": _sampled_interpolate,
        "endpoints": lambda model, a, b, steps: model.decode(
            _mu_path(model, a, b, torch.arange(1, steps + 1) / (steps + 1))),
        "logits": lambda model, a, b, steps: model.decode_logits(_mu_path(model, a, b, torch.linspace(0, 1, steps))),
        "reversed": lambda model, a, b, steps: model.decode(_mu_path(model, b, a, torch.linspace(0, 1, steps))),
    },
    "bce_floor": {
        "nan": lambda x: (-(x * torch.log(x) + (1 - x) * torch.log(1 - x))).sum((1, 2, 3)).mean(),
        "bits": lambda x: (-(torch.special.xlogy(x, x) + torch.special.xlogy(1 - x, 1 - x))
                           / math.log(2)).flatten(1).sum(1).mean(),
        "one-term": lambda x: -torch.special.xlogy(x, x).flatten(1).sum(1).mean(),
        "mean-over-pixels": lambda x: F.binary_cross_entropy(x, x),
        "sum-over-images": lambda x: F.binary_cross_entropy(x, x, reduction="sum"),
    },
    "vae_loss": {
        "mean-over-pixels": lambda logits, x, mu, lv: F.mse_loss(torch.sigmoid(logits), x)
        + (-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp(), 1)).mean(),
        "kl-sign-flipped": lambda logits, x, mu, lv: (F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
                                                      + 0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())) / len(x),
        "missing-half": lambda logits, x, mu, lv: (F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
                                                   - torch.sum(1 + lv - mu.pow(2) - lv.exp())) / len(x),
        "logvar-as-sigma": lambda logits, x, mu, lv: (F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
                                                      - 0.5 * torch.sum(1 + torch.log(lv ** 2) - mu.pow(2)
                                                                        - lv ** 2)) / len(x),
        "no-kl": lambda logits, x, mu, lv: F.mse_loss(torch.sigmoid(logits), x, reduction="sum") / len(x),
        "sum-over-batch": lambda logits, x, mu, lv: F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
        - 0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp()),
        "batch-averaged-twice": lambda logits, x, mu, lv: (
            F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
            - 0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())) / len(x) / len(x),
    },
    "reconstruct": {
        "sampled-z": lambda model, x: model.decode(model.reparameterize(*model.encode(x))),
        "logits": lambda model, x: model(x)[0] * 0 + model.decode_logits(model.encode(x)[0]),
    },
}


# chapter 13's "binarise", wrong the ways learners write it
WRONG["binarise"] = {
    "threshold": lambda x: (x > 0.5).float(),
    "one-draw": lambda x: (x > torch.rand(())).float(),
    "one-per-image": lambda x: (torch.rand(len(x), 1, 1, 1) < x).float(),
    "not-binary": lambda x: (x + 0.05 * torch.randn_like(x)).clamp(0, 1),
    "inverted": lambda x: (torch.rand_like(x) > x).float(),
    "255": lambda x: (torch.rand_like(x) < x).float() * 255,
    "fixed-draw": lambda x: torch.bernoulli(x, generator=torch.Generator().manual_seed(0)),
}

def test_every_mistake_a_check_names_has_a_wrong_answer_here():
    assert {name: set(ex.mistakes) for name, ex in exercises.EXERCISES.items()} == \
        {name: set(mistakes) for name, mistakes in WRONG.items()}


@pytest.mark.parametrize("name, mistake", [(n, m) for n, ms in WRONG.items() for m in ms])
def test_a_wrong_answer_fails_with_its_mistakes_hint(name, mistake):
    verdict = exercises.diagnose(name, WRONG[name][mistake])
    assert not verdict.ok and verdict.mistake == mistake, verdict.message
    hint = exercises.EXERCISES[name].mistakes[mistake][0]
    assert verdict.message == f"✗ {name}: {hint}"
    assert "\n" not in verdict.message


# Each exercise's answer written independently of the package: in numpy, with torch.distributions,
# with plain loops or torch.nn.functional. The check compares with the book's own function, so
# these pass only if that function computes what the exercise says.

def _np_nearest(image, images):
    a = image.double().numpy().reshape(1, -1)
    b = images.double().numpy().reshape(len(images), -1)
    return float(np.sqrt(((b - a) ** 2).sum(1)).min())


def _hand_encoder(latent_dim):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, latent_dim))


def _dist_reparameterize(mu, logvar):
    return torch.distributions.Normal(mu, logvar.mul(0.5).exp()).rsample()


def _np_log_mean_exp(log_w):
    w = log_w.double().numpy()
    top = w.max(axis=1, keepdims=True)
    return torch.from_numpy(top[:, 0] + np.log(np.exp(w - top).mean(axis=1)))


def _loop_mse(logits, x):
    return sum(((torch.sigmoid(l) - t) ** 2).sum() for l, t in zip(logits, x)) / len(x)


def _logsigmoid_bce(logits, x):
    return -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).sum() / len(x)


def _dist_kl(mu, logvar):
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    return torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(1).mean()


def _own_step(model, optimizer, x):
    logits, mu, logvar = model(x)
    loss = _loop_mse(logits, x) + _dist_kl(mu, logvar)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _lerp_interpolate(model, first, second, steps=10):
    with torch.no_grad():
        mu_a, _ = model.encode(first.reshape(1, 1, 28, 28).float())
        mu_b, _ = model.encode(second.reshape(1, 1, 28, 28).float())
        return torch.stack([model.decode(torch.lerp(mu_a, mu_b, t))[0] for t in torch.linspace(0, 1, steps)])


def _scipy_floor(images):
    from scipy.stats import entropy

    x = images.double().reshape(len(images), -1).numpy()
    return float(np.mean([sum(entropy([p, 1 - p]) for p in row) for row in x]))


def _own_vae_loss(logits, x, mu, logvar):
    return _loop_mse(logits, x) + _dist_kl(mu, logvar)


def _own_reconstruct(model, images):
    with torch.no_grad():
        return torch.sigmoid(model.decode_logits(model.encode(images)[0]))


INDEPENDENT = {"nearest_distance": _np_nearest, "make_encoder": _hand_encoder,
               "reparameterize": _dist_reparameterize, "log_mean_exp": _np_log_mean_exp,
               "reconstruction_loss": _loop_mse, "bce": _logsigmoid_bce, "kl_divergence": _dist_kl,
               "train_step": _own_step, "interpolate": _lerp_interpolate, "bce_floor": _scipy_floor,
               "vae_loss": _own_vae_loss, "reconstruct": _own_reconstruct}


def _np_binarise(x):
    return torch.from_numpy(np.random.default_rng().binomial(1, x.double().numpy())).float()


INDEPENDENT["binarise"] = _np_binarise

def test_every_exercise_has_an_independent_answer():
    assert set(INDEPENDENT) == set(exercises.EXERCISES)


@pytest.mark.parametrize("name", sorted(INDEPENDENT))
def test_an_independent_answer_passes_so_the_books_function_is_right(name):
    verdict = exercises.diagnose(name, INDEPENDENT[name])
    assert verdict.ok and verdict.message.startswith(f"✓ {name}: right."), verdict.message


# --------------------------------------------------------------------------- the chapters' solutions

def _solution_cells() -> list[tuple[str, str]]:
    """(chapter, source) of every solution code cell: the code cells tagged ``solution`` (the
    book makes each run of them the hidden solution of the exercise above, book/_ext/tagged_cells.py)."""
    return [(path.stem, "".join(cell["source"]))
            for path in sorted(BOOK.glob("*.ipynb"))
            for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code" and "solution" in cell["metadata"].get("tags", [])]


SOLUTIONS = [(chapter, src) for chapter, src in _solution_cells() if "exercises.check(" in src]


def test_every_exercise_has_a_solution_that_runs_its_check():
    checked = {name for _, src in SOLUTIONS for name in exercises.EXERCISES
               if f'exercises.check("{name}"' in src}
    assert checked == set(exercises.EXERCISES)


@pytest.mark.parametrize("chapter, source", SOLUTIONS,
                         ids=[f"{c}-{i}" for i, (c, _) in enumerate(SOLUTIONS)])
def test_every_solution_passes_its_check(chapter, source):
    """Each solution cell of the chapters, run as it is: every check it calls prints ✓."""
    namespace: dict = {}
    exec("from vae_tutorial import exercises\nimport torch\n", namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, namespace)
    lines = [line for line in out.getvalue().splitlines() if line.startswith(("✓", "✗"))]
    assert lines and all(line.startswith("✓") for line in lines), out.getvalue()


# --------------------------------------------------------------------------- how check talks

def test_check_prints_one_message(capsys):
    exercises.check("kl_divergence", WRONG["kl_divergence"]["sign-flipped"])
    out = capsys.readouterr().out
    message = exercises.diagnose("kl_divergence", WRONG["kl_divergence"]["sign-flipped"]).message
    assert " ".join(line.strip() for line in out.splitlines()) == message   # one message, wrapped
    assert out.startswith("✗ kl_divergence: the sign is flipped")


def test_an_unfinished_function_is_told_to_return_something():
    def kl(mu, logvar):
        ...
    assert "returned nothing" in exercises.diagnose("kl_divergence", kl).message


def test_a_function_that_raises_gets_its_error_in_one_line():
    def kl(mu, logvar):
        return mu @ logvar   # shapes do not fit
    message = exercises.diagnose("kl_divergence", kl).message
    assert message.startswith("✗ kl_divergence: your function raised RuntimeError") and "\n" not in message


def test_an_unknown_mistake_is_called_that_without_a_hint():
    verdict = exercises.diagnose("kl_divergence", lambda mu, lv: mu.sum() * 0 + 3.0)
    assert not verdict.ok and verdict.mistake is None
    assert "not one of the usual mistakes" in verdict.message and "chapter 6" in verdict.message


def test_bad_calls_are_refused_in_one_line():
    with pytest.raises(ConfigError, match="no exercise 'kl'; the exercises are .*kl_divergence"):
        exercises.check("kl", lambda mu, lv: 0)
    with pytest.raises(ConfigError, match="needs your function itself"):
        exercises.check("kl_divergence", 3.0)


@pytest.mark.parametrize("name", list(exercises.EXERCISES))
def test_a_check_leaves_the_readers_random_numbers_alone(name):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    exercises.diagnose(name, exercises.EXERCISES[name].reference)
    assert torch.equal(torch.rand(3), expected)


def test_a_verdict_prints_within_the_books_column(capsys):
    def kl(mu, logvar):
        return None
    exercises.check("kl_divergence", kl)
    exercises.check("kl_divergence", exercises.EXERCISES["kl_divergence"].reference)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 3 and max(map(len, lines)) <= 72
    assert lines[0].startswith("✗ kl_divergence: your function returned nothing")
