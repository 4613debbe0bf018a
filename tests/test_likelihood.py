"""The importance-sampled log-likelihood against an answer computed another way: a VAE with a
one-number latent space, whose log p(x) = log ∫ p(x|z) p(z) dz a fine grid integrates."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from vae_tutorial import likelihood, models
from vae_tutorial.losses import vae_loss
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.runs import build

GRID = torch.linspace(-12, 12, 24001, dtype=torch.float64)


def _linears(module: nn.Module) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def tiny_vae(mu: float, sigma: float, seed: int = 0) -> models.VAE:
    """latent 1, one hidden node: logits = a + b * z per pixel (the hidden ReLU sees z + 20,
    positive over the whole grid), and an encoder that proposes q(z|x) = N(mu, sigma^2) for
    every image."""
    vae = build(models.ModelConfig(kind="vae", latent_dim=1, hidden_dims=(1,)), seed=seed)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for head, value in ((vae.fc_mu, mu), (vae.fc_logvar, 2 * math.log(sigma))):
            head.weight.zero_()
            head.bias.fill_(value)
        hidden, out = _linears(vae.decode_logits)
        hidden.weight.fill_(1.0)
        hidden.bias.fill_(20.0)
        out.weight.copy_(0.08 * torch.randn(784, 1, generator=g))
        out.bias.copy_(torch.randn(784, generator=g) - 20.0 * out.weight[:, 0])
    return vae.eval()


def binary_images(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 1, 28, 28, generator=g) < 0.3).float()


@torch.no_grad()
def by_quadrature(vae: models.VAE, x: torch.Tensor, mu: float, sigma: float) -> tuple[float, float]:
    """(log p(x), ELBO) for one image, integrated on GRID."""
    logits = vae.decode_logits(GRID.float()[:, None]).double()                 # (G, 1, 28, 28)
    log_px_z = (x.double() * logits - nn.functional.softplus(logits)).flatten(1).sum(1)
    log_pz = -0.5 * (math.log(2 * math.pi) + GRID ** 2)
    dz = float(GRID[1] - GRID[0])
    log_px = (torch.logsumexp(log_px_z + log_pz, 0) + math.log(dz)).item()
    q = torch.exp(-0.5 * ((GRID - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    kl = 0.5 * (mu ** 2 + sigma ** 2 - 2 * math.log(sigma) - 1)
    return log_px, (q * log_px_z).sum().item() * dz - kl


@pytest.fixture(scope="module")
def case():
    """A proposal that is off-centre and too wide, so the ELBO sits clearly below log p(x)
    (by 0.55 to 0.8 nats) while importance sampling still converges."""
    mu, sigma = -0.5, 1.2
    vae = tiny_vae(mu, sigma)
    x = binary_images(3, seed=1)
    truth = [by_quadrature(vae, x[i:i + 1], mu, sigma) for i in range(len(x))]
    return vae, x, torch.tensor([t[0] for t in truth]), torch.tensor([t[1] for t in truth])


def test_the_estimate_matches_numerical_integration(case):
    vae, x, log_px, elbo = case
    assert (log_px - elbo).min() > 0.3  # a gap worth closing: the test could fail
    # 20,000 draws: the error is about 0.01 nats (0.04 at 2,000)
    estimate = likelihood.importance_sampled_log_likelihood(vae, x, k=20000, seed=0)
    assert estimate.shape == (3,) and estimate.dtype == torch.float64
    assert torch.allclose(estimate, log_px.double(), atol=0.03), (estimate, log_px)


def test_the_elbo_matches_numerical_integration(case):
    vae, x, _, elbo = case
    assert torch.allclose(likelihood.elbo_per_image(vae, x, k=10000, seed=0), elbo.double(), atol=0.1)


def test_the_elbo_is_the_books_negative_elbo_with_its_sign_flipped():
    vae = tiny_vae(0.3, 0.7)
    x = binary_images(400, seed=2)
    ours = likelihood.elbo_per_image(vae, x, k=1, seed=0).mean()
    torch.manual_seed(1)
    with torch.no_grad():
        logits, mu, logvar = vae(x)
        books = vae_loss(logits, x, mu, logvar, "bce", beta=1.0).total
    assert abs(ours.item() + books.item()) < 0.5  # two single-sample averages over 400 images


def test_one_sample_is_the_elbo_in_expectation_and_more_samples_climb_towards_log_px(case):
    vae, x, log_px, elbo = case
    weights = likelihood.log_weights(vae, x, k=4000, seed=3)
    one_sample = weights.log_w.mean(1)            # the average of 4,000 K = 1 estimates
    assert torch.allclose(one_sample, elbo.double(), atol=0.1)
    bounds = [likelihood.iwae_bound(weights.log_w, k) for k in (1, 10, 100, 1000)]
    averages = [b.mean().item() for b in bounds]
    assert averages == sorted(averages) and averages[-1] - averages[0] > 0.3
    assert (bounds[-1] <= log_px.double() + 0.1).all()  # a lower bound, up to sampling noise


def test_log_mean_exp_is_stable_far_from_zero():
    log_w = torch.tensor([[-1000.0, -1000.0], [-1000.0, -1001.0]], dtype=torch.float64)
    out = likelihood.log_mean_exp(log_w)
    assert torch.isfinite(out).all()
    assert out[0].item() == pytest.approx(-1000.0)
    assert out[1].item() == pytest.approx(-1000.0 + math.log((1 + math.exp(-1)) / 2))
    assert likelihood.log_mean_exp(log_w, k=1).tolist() == [-1000.0, -1000.0]
    with pytest.raises(ConfigError, match="k must be a whole number from 1 to 2, got 3"):
        likelihood.log_mean_exp(log_w, k=3)


def test_the_grouped_bound_averages_disjoint_groups():
    log_w = torch.tensor([[0.0, 1.0, 2.0, 3.0, 9.0]], dtype=torch.float64)
    expected = (math.log((1 + math.e) / 2) + math.log((math.e ** 2 + math.e ** 3) / 2)) / 2
    assert likelihood.iwae_bound(log_w, 2).item() == pytest.approx(expected)  # the 5th draw is left out
    assert likelihood.iwae_bound(log_w, 1).item() == pytest.approx(3.0)


def test_the_bound_table_reads_one_set_of_draws(case):
    vae, x, _, _ = case
    table = likelihood.bound_table(vae, x, ks=(1, 10, 100), seed=0)
    weights = likelihood.log_weights(vae, x, k=100, seed=0)
    assert list(table.estimates) == [1, 10, 100]
    assert table.estimates[100] == pytest.approx(likelihood.log_mean_exp(weights.log_w).mean().item())
    assert table.estimates[1] == pytest.approx(weights.log_w.mean().item())  # all 100 draws count
    assert table.elbo == pytest.approx(likelihood.elbo(weights).mean().item())
    assert table.gap == pytest.approx(table.estimates[100] - table.elbo)


def test_the_bound_tables_estimate_never_falls_with_k_and_starts_at_the_elbo(case):
    """Chapter 4's table: with one set of draws, the estimate for a larger K averages groups that
    are unions of the smaller K's groups, so by Jensen's inequality it can only rise (a property
    of the code, not a finding); at K = 1 it is the ELBO up to the sampling noise of its KL."""
    vae, x, _, _ = case
    for seed in range(3):
        table = likelihood.bound_table(vae, x, ks=(1, 10, 100, 1000), seed=seed)
        estimates = list(table.estimates.values())
        assert estimates == sorted(estimates), estimates
        assert abs(table.estimates[1] - table.elbo) < 0.05


def test_a_seed_fixes_the_draws():
    vae, x = tiny_vae(0.0, 1.0), binary_images(4, seed=5)
    a = likelihood.importance_sampled_log_likelihood(vae, x, k=20, batch_size=3, seed=7)
    b = likelihood.importance_sampled_log_likelihood(vae, x, k=20, batch_size=3, seed=7)
    c = likelihood.importance_sampled_log_likelihood(vae, x, k=20, batch_size=3, seed=8)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_bad_input_says_what_to_do():
    vae, x = tiny_vae(0.0, 1.0), binary_images(2, seed=0)
    ae = models.Autoencoder()
    with pytest.raises(ConfigError, match="model must be a VAE, got an Autoencoder"):
        likelihood.importance_sampled_log_likelihood(ae, x)
    with pytest.raises(ConfigError, match="k must be a whole number >= 1, got 0"):
        likelihood.importance_sampled_log_likelihood(vae, x, k=0)
    with pytest.raises(ConfigError, match=r"floats in .0, 1. or uint8 0-255.*got an int64 tensor.*x.float\(\) / 255"):
        likelihood.importance_sampled_log_likelihood(vae, x.long())
    with pytest.raises(ConfigError, match="images must be .*at least 1, got a float32 tensor of shape .0, 1, 28, 28."):
        likelihood.bound_table(vae, x[:0])
    with pytest.raises(ConfigError, match="k must be at most about .* here .the work must fit in"):
        likelihood.importance_sampled_log_likelihood(vae, x, k=10**9)     # before anything is drawn
    for bad in (float("nan"), float("inf"), -float("inf")):               # NaN or infinite log weights
        with pytest.raises(ConfigError, match="log_w must be points .* holding NaN or infinite values"):
            likelihood.log_mean_exp(torch.tensor([[0.0, bad]]))
        with pytest.raises(ConfigError, match="log_w must be points .* holding NaN or infinite values"):
            likelihood.iwae_bound(torch.tensor([[0.0, bad]]), 1)
    uint8 = likelihood.importance_sampled_log_likelihood(vae, (x * 255).to(torch.uint8), k=5)
    torch.testing.assert_close(uint8, likelihood.importance_sampled_log_likelihood(vae, x, k=5))


def test_the_bound_figure_draws_an_estimate_and_an_elbo_per_model():
    import matplotlib
    matplotlib.use("Agg")
    from vae_tutorial import plots

    tables = {"a": likelihood.BoundTable(-130.0, {1: -130.1, 10: -128.0, 100: -127.5}),
              "b": likelihood.BoundTable(-125.0, {1: -125.0, 10: -124.0, 100: -123.8})}
    fig = plots.bound_curves(tables, title="t")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a: estimate", "a: ELBO", "b: estimate", "b: ELBO"]
    assert list(lines[2].get_ydata()) == [-125.0, -124.0, -123.8] and lines[3].get_ydata()[0] == -125.0
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["1", "10", "100"]
    fig.canvas.draw()   # the legend sits beside the axes, where it can cover no line
    renderer = fig.canvas.get_renderer()
    legend = fig.axes[0].get_legend().get_window_extent(renderer)
    assert legend.x0 >= fig.axes[0].get_window_extent(renderer).x1
    assert legend.x1 <= fig.bbox.x1 + 1   # and inside the figure
    matplotlib.pyplot.close(fig)


def test_kl_per_dimension_adds_up_to_the_kl_and_finds_an_unused_dimension():
    from vae_tutorial.losses import kl_divergence

    vae = build(models.ModelConfig(kind="vae", latent_dim=3, hidden_dims=(8,)), seed=0)
    with torch.no_grad():  # dimension 2 (row 2 of both heads) ignores the image: N(0, 1)
        for head in (vae.fc_mu, vae.fc_logvar):
            head.weight[2] = 0.0
            head.bias[2] = 0.0
    x = binary_images(50, seed=3)
    per_dim = likelihood.kl_per_dimension(vae, x, batch_size=16)
    mu, logvar = vae.encode(x)
    assert per_dim.shape == (3,)
    assert per_dim.sum().item() == pytest.approx(kl_divergence(mu, logvar).item(), rel=1e-5)
    assert per_dim[2].item() == pytest.approx(0.0, abs=1e-9) and (per_dim[:2] > 1e-3).all()
