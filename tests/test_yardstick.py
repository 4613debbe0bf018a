"""Chapter 13's helpers: binarised digits, KL warm-up as a step passed in, the fitted ELBO, the
aggregate posterior and the blur measures, each checked against numbers worked out by hand or
against what must hold whatever the model (a bound above a bound, a KL split into two parts)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from vae_tutorial import book, data, likelihood, yardstick
from vae_tutorial.models import VAE, ModelConfig
from vae_tutorial.runs import checkpoint_path, describe, step_name, train_or_load
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.train import TrainConfig, vae_step


def _vae(seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return VAE(latent_dim=2, hidden_dims=(16,)).eval()


def test_binarise_draws_each_pixel_from_its_grey_once_per_seed():
    grey = torch.zeros(4000, 28, 28, dtype=torch.uint8)
    grey[:, 0, :4] = torch.tensor([0, 77, 128, 255], dtype=torch.uint8)
    drawn = yardstick.binarise(grey, seed=3)
    assert drawn.dtype == torch.uint8 and set(drawn.unique().tolist()) <= {0, 255}
    assert torch.equal(drawn, yardstick.binarise(grey, seed=3))     # one draw per seed
    assert not torch.equal(drawn, yardstick.binarise(grey, seed=4))
    ink = (drawn[:, 0, :4] == 255).float().mean(0)                  # pixels 0, 77, 128, 255
    assert ink[0] == 0 and ink[3] == 1
    assert abs(ink[1] - 77 / 255) < 0.03 and abs(ink[2] - 128 / 255) < 0.03


def test_binarised_data_keeps_its_training_digits_and_so_its_models(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    binary = yardstick.binarised(digits)
    assert torch.equal(binary.train_images, digits.train_images)
    assert binary.identity() == digits.identity()                   # the same cache keys
    assert set(binary.test_images.unique().tolist()) <= {0, 255}
    config = book.config("vae-bce", digits)
    assert checkpoint_path(config, binary) == checkpoint_path(config, digits)


def test_the_binarised_step_is_the_vae_step_on_drawn_pixels():
    model, x = _vae(), torch.rand(5, 1, 28, 28)
    torch.manual_seed(7)
    got = yardstick.binarised_step(model, x, None)
    torch.manual_seed(7)
    expected = vae_step(model, torch.bernoulli(x), None, "bce")
    assert torch.allclose(got.total, expected.total)


def test_warm_up_raises_beta_in_a_straight_line_then_holds_it():
    warm = yardstick.KLWarmUp(100)
    assert [warm.beta(b, 10.0) for b in (0, 25, 50, 100, 500)] == [0.0, 2.5, 5.0, 10.0, 10.0]
    assert step_name(warm) == "vae_tutorial.yardstick.KLWarmUp(100)"
    assert step_name(yardstick.warm_up_step) == f"vae_tutorial.yardstick.KLWarmUp({yardstick.WARM_UP_BATCHES})"
    with pytest.raises(ConfigError, match="batches"):
        yardstick.KLWarmUp(0)


def test_warm_up_counts_each_models_batches_on_its_own():
    """The first batch of every model is charged no KL at all (beta 0), however many batches
    another model has trained before; then beta rises by beta / batches a batch."""
    warm, x = yardstick.KLWarmUp(4), torch.rand(3, 1, 28, 28)
    first, second = _vae(0), _vae(1)
    charged = []
    for model in (first, first, second, first):
        torch.manual_seed(0)
        terms = warm(model, x, None, "bce", 8.0)
        charged.append(float(((terms.total - terms.reconstruction) / terms.kl).detach()))
    assert charged == pytest.approx([0.0, 2.0, 0.0, 4.0], rel=1e-3)


def test_a_warm_up_model_has_a_cache_key_of_its_own_and_trains(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    config = TrainConfig(model=ModelConfig(latent_dim=2, hidden_dims=(16,)), beta=10.0, epochs=1,
                         batch_size=32)
    warm = yardstick.KLWarmUp(3)
    keys = {checkpoint_path(config, digits), checkpoint_path(config, digits, step=warm),
            checkpoint_path(config, digits, step=yardstick.KLWarmUp(4))}
    assert len(keys) == 3
    trained = train_or_load(config, digits, progress=False, verbose=False, step=warm)
    again = train_or_load(config, digits, progress=False, verbose=False, step=yardstick.KLWarmUp(3))
    assert trained.origin == "trained" and again.origin == "cache"
    assert "trained by KLWarmUp(3)" in describe(config, trained.step)
    assert trained.history.step_kl[0] > 0           # the KL is reported, though beta was 0


def test_the_fitted_elbo_is_above_the_encoders_and_leaves_the_model_as_it_was():
    model, x = _vae(), torch.rand(6, 1, 28, 28).round()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fit = yardstick.fitted_elbo(model, x, steps=100, lr=0.05, k=200)
    assert fit.fitted.shape == fit.encoder.shape == fit.log_px.shape == (6,)
    assert (fit.fitted > fit.encoder - 0.5).all() and fit.fitted.mean() > fit.encoder.mean()
    assert (fit.log_px > fit.fitted - 0.5).all()    # log p(x) lies above the ELBO (up to noise)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert all(p.requires_grad for p in model.parameters()) and not model.training


def test_nats_add_up_to_the_elbo():
    model, x = _vae(), torch.rand(4, 1, 28, 28).round()
    weights = likelihood.log_weights(model, x, k=50)
    split = yardstick.nats(model, x, weights, steps=20)["nats per digit"]
    assert split["-log p(x)"] + split["approximation gap"] + split["amortisation gap"] == \
        pytest.approx(split["-ELBO"])
    assert split["-ELBO"] == pytest.approx(-float(likelihood.elbo(weights).mean()))


class _Prior(VAE):
    """An encoder that gives every image q(z|x) = N(0, I): the aggregate is the prior itself."""

    def encode(self, x):
        return torch.zeros(len(x), self.latent_dim), torch.zeros(len(x), self.latent_dim)


def test_the_aggregate_of_prior_encodings_is_the_prior():
    model = _Prior(latent_dim=3, hidden_dims=(8,))
    a = yardstick.aggregate_posterior(model, torch.rand(20, 1, 28, 28))
    assert a.kl == pytest.approx(0) and a.marginal_kl == pytest.approx(0, abs=1e-9)
    assert a.moment_kl == pytest.approx(0, abs=1e-9) and torch.allclose(a.variance, torch.ones(3, dtype=a.variance.dtype))
    ratio = yardstick.prior_coverage(model, torch.rand(5, 1, 28, 28), n=10)
    assert torch.allclose(ratio, torch.zeros(10), atol=1e-5)


def test_the_kl_term_splits_into_information_and_the_aggregates_kl():
    model, x = _vae(), torch.rand(30, 1, 28, 28)
    a = yardstick.aggregate_posterior(model, x, n=500)
    assert a.information + a.marginal_kl == pytest.approx(a.kl)
    assert a.information <= math.log(30) + 0.3          # at most log N, up to sampling noise
    assert a.marginal_kl >= a.moment_kl - 0.05 >= -0.05  # the moments' Gaussian: a lower bound


def test_the_density_of_one_standard_component_is_the_prior():
    z = torch.randn(7, 4, dtype=torch.float64)
    log_q = yardstick.log_aggregate_density(z, torch.zeros(1, 4, dtype=torch.float64),
                                            torch.zeros(1, 4, dtype=torch.float64))
    assert torch.allclose(log_q, -0.5 * (math.log(2 * math.pi) + z ** 2).sum(1))


def test_specks_are_ink_pixels_with_no_ink_beside_them():
    x = torch.zeros(2, 1, 28, 28)
    x[0, 0, 5, 5] = 1                        # one speck
    x[0, 0, 10, 10] = x[0, 0, 11, 11] = 1    # diagonal neighbours only: two specks
    x[1, 0, 3:6, 3:6] = 1                    # a block: none
    assert yardstick.specks(x).tolist() == [3, 0]


def test_the_grey_share_counts_ink_that_is_neither_black_nor_white():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 0, :6] = torch.tensor([0.0, 0.05, 0.2, 0.5, 0.7, 1.0])
    assert yardstick.grey_share(x) == pytest.approx(2 / 4)  # ink: 0.2, 0.5, 0.7, 1; grey: 0.5, 0.7


def test_the_tables_have_the_chapters_rows(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    binary = yardstick.binarised(digits)
    model = _vae()
    trained = {2: SimpleNamespace(model=model, config=SimpleNamespace(epochs=1))}
    x = binary.images("test")[:4]
    table = yardstick.table(trained, binary, {2: likelihood.log_weights(model, x, k=20)})
    row = table.loc["the book's VAE, 2 latent numbers"]
    assert row["-log p(x)"] == pytest.approx(row["-ELBO"] - row["gap"])
    assert list(table.index[-2:]) == [p["model"] for p in yardstick.PUBLISHED]
    assert "not the same: 96 training digits" in " ".join(yardstick.comparable(binary).split())
    assert yardstick.comparable(data.load_mnist(quiet=True)).startswith("Not comparable")   # offline
    blur = yardstick.blur(model, digits, binary, n=8)
    assert blur.loc["binarised digits", "grey share of the ink"] == 0
    assert blur.loc["pixels drawn from them", "grey share of the ink"] == 0
