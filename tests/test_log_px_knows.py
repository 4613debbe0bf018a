"""What log p(x) knows (chapter 12): the AUROC, how complex an image is, the ink-only model."""

import math

import pytest
import torch

from vae_tutorial import data, metrics
from vae_tutorial.models import ModelConfig
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.runs import build


def test_auroc_is_the_chance_that_an_inside_score_beats_an_outside_one():
    assert metrics.auroc([3, 4, 5], [0, 1, 2]) == 1.0
    assert metrics.auroc([0, 1, 2], [3, 4, 5]) == 0.0
    assert metrics.auroc([1, 1], [1, 1]) == 0.5                 # ties count half
    # 2 beats 1; 0 loses to 1: one of two pairs
    assert metrics.auroc(torch.tensor([2.0, 0.0]), torch.tensor([1.0])) == 0.5
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(2000, generator=gen), torch.randn(2000, generator=gen)
    assert abs(metrics.auroc(a, b) - 0.5) < 0.03
    assert metrics.auroc(a + 1, b) == pytest.approx(metrics.auroc(-b, -(a + 1)))  # symmetric
    with pytest.raises(ConfigError, match="inside must be finite numbers in a flat list, at least 1, got an empty list"):
        metrics.auroc([], [1.0])


def test_own_data_auroc_and_the_report_pool_the_other_sets():
    scores = {"mine": torch.tensor([5.0, 6.0]), "a": torch.tensor([1.0]), "b": torch.tensor([5.5])}
    assert metrics.own_data_auroc(scores, "mine") == pytest.approx(3 / 4)
    report = metrics.detection_report({"score": {"m": scores}}, {"m": "mine"})
    assert report.loc["score"].iloc[0] == pytest.approx(0.75)
    with pytest.raises(ConfigError, match="scores of 'nope'"):
        metrics.own_data_auroc(scores, "nope")


def test_ink_and_png_size_grow_with_what_is_drawn():
    blank = torch.zeros(1, 1, 28, 28)
    square = blank.clone()
    square[..., 10:18, 10:18] = 1.0
    noise = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert metrics.ink(torch.cat([blank, square])).tolist() == [0.0, 64.0]
    assert metrics.ink((square * 255).to(torch.uint8)).tolist() == [64.0]  # uint8 alike
    png = metrics.png_nats(torch.cat([blank, square, noise]))
    assert png[0] < png[1] < png[2]
    # whole bytes: a multiple of 8 ln 2 nats
    assert (png / (8 * math.log(2))).sub((png / (8 * math.log(2))).round()).abs().max() < 1e-9


def test_black_and_white_copies_draw_each_pixel_as_ink_as_often_as_it_is_grey():
    """A blank image and a black one have one black-and-white copy each; a mid-grey image's
    copies are noise, which compresses far worse; the same seed draws the same copies."""
    blank, black = torch.zeros(1, 1, 28, 28), torch.ones(1, 1, 28, 28)
    grey = torch.full((1, 1, 28, 28), 0.5)
    bw = metrics.png_nats(torch.cat([blank, black, grey]), black_and_white=True, draws=4)
    assert bw[2] > bw[0] + 200 and bw[2] > bw[1] + 200
    # the 8-bit picture of flat grey compresses as well as blank: only the copies are noisy
    grey8 = metrics.png_nats(torch.cat([blank, grey]))
    assert abs(grey8[1] - grey8[0]) < 0.1 * (bw[2] - bw[0])
    again = metrics.png_nats(grey, black_and_white=True, draws=4)
    assert again.item() == bw[2].item()


def test_log_likelihoods_and_correlations_have_one_entry_per_model_and_set():
    vae = build(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(8,)), seed=0)
    sets = {"a": torch.rand(4, 1, 28, 28), "b": torch.zeros(3, 1, 28, 28)}
    scores = metrics.log_likelihoods({"m": vae}, sets, k=2)
    assert {k: v.shape for k, v in scores["m"].items()} == {"a": (4,), "b": (3,)}
    table = metrics.complexity_correlations(scores, {"ink": {s: metrics.ink(x) for s, x in sets.items()}})
    assert list(table.index) == ["m"] and list(table.columns) == ["ink"]
    assert -1 <= table.loc["m", "ink"] <= 1
