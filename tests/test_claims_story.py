"""The comparative claims of the chapters 02, 04, 05, 06 and 07, each computed the way its
chapter computes it (same package function, seed and number of images) on the book's cached
models, and asserted with the margin the prose implies. If a change of recipe flips a claim,
its test fails and the sentence must change.

They run on the offline digits always and, when ``$VAE_TUTORIAL_FULL_DATA`` names a folder of
full-size MNIST (torchvision's layout), on it too. The models come from the book's cache
(``$VAE_TUTORIAL_CACHE`` as it was when pytest started, else the default cache folder), not
from the empty per-test cache of conftest: a cold cache means they are trained first, which
takes minutes.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os

import pytest
import torch

from vae_tutorial import book, data, likelihood, losses, metrics, models
from vae_tutorial.train import evaluate_loss

BOOK_CACHE = os.environ.get("VAE_TUTORIAL_CACHE")   # read before conftest isolates each test
FULL_DATA = os.environ.get("VAE_TUTORIAL_FULL_DATA")


class Book:
    """The digits and the book's trained models for one data variant, loaded once."""

    def __init__(self, variant: str) -> None:
        self.variant = variant

    @contextlib.contextmanager
    def environment(self):
        with pytest.MonkeyPatch.context() as mp:
            if BOOK_CACHE:
                mp.setenv("VAE_TUTORIAL_CACHE", BOOK_CACHE)
            else:
                mp.delenv("VAE_TUTORIAL_CACHE", raising=False)
            mp.setenv("VAE_TUTORIAL_OFFLINE", "1")
            if self.variant == "full":
                mp.setenv("VAE_TUTORIAL_DATA", FULL_DATA)
            else:
                mp.delenv("VAE_TUTORIAL_DATA", raising=False)
            yield

    @functools.cached_property
    def digits(self) -> data.ImageData:
        with self.environment():
            digits = data.load_mnist(quiet=True)
        assert (self.variant == "full") == digits.is_full, f"asked for {self.variant}, got {digits.variant}"
        return digits

    @functools.lru_cache(maxsize=None)
    def model(self, name: str, beta: float | None = None) -> models.Autoencoder:
        overrides = {} if beta is None else {"beta": beta}
        with self.environment():
            return book.trained(name, self.digits, **overrides).model

    @functools.lru_cache(maxsize=None)
    def history(self, name: str):
        with self.environment():
            return book.trained(name, self.digits).history

    @functools.cached_property
    def judge(self) -> metrics.JudgedClassifier:
        with self.environment():
            return metrics.train_classifier(self.digits)

    @functools.cached_property
    def bound_tables(self) -> dict[str, likelihood.BoundTable]:
        """04_probabilistic_view: 100 held-out digits, K up to 1,000, both VAEs."""
        held_out = self.digits.images("test")[:100]
        return {name: likelihood.bound_table(self.model(name), held_out, ks=(1, 10, 100, 1000))
                for name in ("vae", "vae-bce")}


_BOOKS = {"offline": Book("offline"), "full": Book("full")}


@pytest.fixture(scope="module", params=["offline", "full"])
def bk(request) -> Book:
    if request.param == "full" and not FULL_DATA:
        pytest.skip("full-size claims need $VAE_TUTORIAL_FULL_DATA (a folder holding MNIST/raw/*-ubyte)")
    return _BOOKS[request.param]


# --------------------------------------------------------------------------- 02 autoencoder

def test_02_most_rebuilt_digits_survive_but_fewer_than_originals(bk):
    """"Most digits survive, but not all: the judge recognises fewer of the rebuilt digits
    than of the originals." """
    x, labels = bk.digits.images("test"), bk.digits.test_labels
    read, _ = bk.judge.model.judge(bk.model("ae").reconstruct(x))
    rebuilt = (read == labels).float().mean().item()
    assert 0.5 < rebuilt < bk.judge.test_accuracy


# --------------------------------------------------------------------------- 04 probabilistic view

def test_04_most_ink_pixels_are_grey(bk):
    """"Most ink pixels are grey" (BCE's Bernoulli reading is only approximate)."""
    pixels = bk.digits.images("test")
    inked = pixels[pixels > 0]
    assert (inked < 1).float().mean().item() > 0.5


def test_04_the_implied_beta_is_far_above_one(bk):
    """"Judged by its own errors, then, the article's loss is a β-VAE with β far above 1." """
    pixels = bk.digits.images("test")
    with torch.no_grad():
        err = (bk.model("vae").reconstruct(pixels) - pixels).pow(2).mean().item()
    assert 1 / (2 * err) > 5


@pytest.mark.parametrize("name", ["vae", "vae-bce"])
def test_04_the_estimate_at_one_sample_matches_the_elbo(bk, name):
    """"the estimate at K = 1 matches the ELBO up to sampling noise" """
    table = bk.bound_tables[name]
    assert abs(table.estimates[1] - table.elbo) < 0.5


@pytest.mark.parametrize("name", ["vae", "vae-bce"])
def test_04_the_estimate_rises_with_every_tenfold_k(bk, name):
    """"rises with every tenfold increase in K" """
    estimates = list(bk.bound_tables[name].estimates.values())
    assert all(b > a for a, b in zip(estimates, estimates[1:])), estimates


@pytest.mark.parametrize("name", ["vae", "vae-bce"])
def test_04_the_elbo_is_below_the_estimate_by_a_few_nats(bk, name):
    """"ends above the ELBO: the bound is real"; recap: "a few nats above the ELBO" """
    assert 1.0 < bk.bound_tables[name].gap < 15.0


def test_04_the_bce_trained_vae_has_the_smaller_gap(bk):
    """"It is smaller for the BCE-trained VAE, whose encoder was trained on exactly this
    Bernoulli bound" """
    assert bk.bound_tables["vae-bce"].gap < bk.bound_tables["vae"].gap


# --------------------------------------------------------------------------- 05 reconstruction loss

def _per_image_mse(bk: Book) -> torch.Tensor:
    x = bk.digits.images("test")
    with torch.no_grad():
        out = bk.model("vae")(x, generator=torch.Generator().manual_seed(0))
        return losses.reconstruction_loss(out.logits, x, "mse", reduction="none")


def test_05_the_best_reconstructions_carry_far_less_ink_than_the_worst(bk):
    """"The best reconstructions are thin, simple strokes, with far less ink than the worst" """
    order = _per_image_mse(bk).argsort()
    ink = bk.digits.images("test").sum((1, 2, 3))
    assert ink[order[-6:]].mean() > 2 * ink[order[:6]].mean()


def test_05_bce_punishes_a_confident_mistake_much_harder():
    """"BCE punishes a confident mistake much harder than MSE does" (0.01 for a 1)."""
    y, logit = torch.ones(1, 1, 1, 1), torch.logit(torch.full((1, 1, 1, 1), 0.01))
    mse = losses.reconstruction_loss(logit, y, "mse").item()
    bce = losses.reconstruction_loss(logit, y, "bce").item()
    assert mse <= 1 and bce > 4 * mse


def _held_out_elbo(bk: Book, name: str):
    return evaluate_loss(bk.model(name), bk.digits.test_images, "bce", elbo=True)


def test_05_the_bce_trained_vae_has_the_lower_negative_elbo(bk):
    """"On this yardstick the BCE-trained model comes out ahead" """
    assert _held_out_elbo(bk, "vae-bce").total < _held_out_elbo(bk, "vae").total


def test_05_the_bce_trained_vae_spends_more_nats_on_kl(bk):
    """"it spends more nats on its latent numbers (a larger KL)" (and 04: "Expect the
    MSE-trained VAE to spend fewer nats on its latent numbers than the BCE-trained one") """
    assert _held_out_elbo(bk, "vae-bce").kl > _held_out_elbo(bk, "vae").kl


def test_05_the_bce_trained_vae_rebuilds_better_on_the_yardstick(bk):
    """"and in return rebuilds the held-out digits better (a smaller reconstruction term)" """
    assert _held_out_elbo(bk, "vae-bce").reconstruction < _held_out_elbo(bk, "vae").reconstruction


# --------------------------------------------------------------------------- 06 KL divergence

def _kl(mu: float, sigma: float) -> float:
    return losses.kl_divergence(torch.tensor([[mu]]), torch.tensor([[2 * math.log(sigma)]])).item()


def test_06_sigma_three_costs_more_than_sigma_a_tenth():
    """"sigma larger than 1 is punished too, and faster ... sigma = 3 costs more than
    sigma = 0.1" """
    assert _kl(0.0, 3.0) > _kl(0.0, 0.1) > 0


BETAS = (0.0, 1.0, 10.0)


def _beta_figures(bk: Book, beta: float) -> dict:
    """06_kl_divergence's three printouts for one beta, computed as the chapter does."""
    key = ("beta", beta)
    if key not in bk.__dict__:
        model, x = bk.model("vae", beta), bk.digits.images("test")
        t = evaluate_loss(model, bk.digits.test_images, "mse")
        z = torch.randn(1000, 5, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            read, _ = bk.judge.model.judge(model.reconstruct(x))
            clear = metrics.judge_samples(bk.judge.model, model.decode(z))["clear_share"]
            mu, logvar = model.encode(x)
        bk.__dict__[key] = {
            "reconstruction": t.reconstruction, "kl": t.kl,
            "in_use": int((likelihood.kl_per_dimension(model, x) > 0.01).sum()),
            "read_right": (read == bk.digits.test_labels).float().mean().item(), "clear": clear,
            "mu_max": mu.abs().max().item(), "sigma": torch.exp(0.5 * logvar)}
    return bk.__dict__[key]


def test_06_beta_zero_rebuilds_sharpest(bk):
    """"β = 0: the sharpest reconstructions (the smallest reconstruction loss)" """
    rec = [_beta_figures(bk, b)["reconstruction"] for b in BETAS]
    assert rec[0] < rec[1] < rec[2]


def test_06_beta_zero_random_points_decode_to_far_fewer_clear_digits(bk):
    """"random latent points decode to smudges: the judge finds far fewer clear digits among
    them than for β = 1 ... the encodings sit far from N(0, 1)" """
    zero, one = _beta_figures(bk, 0.0), _beta_figures(bk, 1.0)
    assert zero["clear"] < 0.5 * one["clear"]
    assert zero["kl"] > 5 * one["kl"]


def test_06_beta_one_has_the_most_recognisable_samples(bk):
    """"β = 1: good reconstructions and the most recognisable samples of the three" """
    clear = {b: _beta_figures(bk, b)["clear"] for b in BETAS}
    assert clear[1.0] > max(clear[0.0], clear[10.0])
    assert _beta_figures(bk, 1.0)["read_right"] > 0.5


def test_06_beta_ten_collapses_the_posterior(bk):
    """"At β = 10 the KL has all but vanished and no latent dimension is in use ... mu stays
    near 0 and sigma near 1 for every digit" """
    ten = _beta_figures(bk, 10.0)
    assert ten["kl"] < 0.1 and ten["in_use"] == 0
    assert ten["mu_max"] < 0.5
    assert ((ten["sigma"] - 1).abs() < 0.1).all()
    assert _beta_figures(bk, 1.0)["in_use"] == 5  # the article's VAE uses all five


def test_06_beta_ten_reconstructions_are_read_right_no_more_than_chance(bk):
    """"the judge reads the reconstructions right about as often as guessing would (one time
    in ten)"; "every reconstruction and every sample turns into the same blurry average digit" """
    ten = _beta_figures(bk, 10.0)
    assert ten["read_right"] < 0.2
    model = bk.model("vae", 10.0)
    x = bk.digits.images("test")[:10]
    with torch.no_grad():
        rebuilt = model.reconstruct(x)
        samples = model.decode(torch.randn(10, 5, generator=torch.Generator().manual_seed(3)))
    spread = x.std(0).mean()  # how much ten different digits differ, pixel by pixel
    assert rebuilt.std(0).mean() < 0.05 * spread and samples.std(0).mean() < 0.15 * spread


# --------------------------------------------------------------------------- 07 training

def _five_step_loop(digits: data.ImageData) -> tuple[torch.Tensor, torch.Tensor]:
    """07_training's hand-written loop, line for line (on the CPU)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        vae = models.VAE(models.ModelConfig(latent_dim=5))
        optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)
        images = digits.images("train")
        log = []
        for _ in range(400):
            x = images[torch.randint(len(images), (128,))]
            mu, logvar = vae.encode(x)
            z = vae.reparameterize(mu, logvar)
            logits = vae.decode_logits(z)
            rec = losses.reconstruction_loss(logits, x, "mse")
            kl = losses.kl_divergence(mu, logvar)
            optimizer.zero_grad()
            (rec + kl).backward()
            optimizer.step()
            log.append((rec.item(), kl.item()))
    rec_log, kl_log = zip(*log)
    return torch.tensor(rec_log), torch.tensor(kl_log)


@functools.lru_cache(maxsize=None)
def _loop(variant: str):
    return _five_step_loop(_BOOKS[variant].digits)


def test_07_reconstruction_falls_steeply_then_slowly(bk):
    """"The reconstruction loss falls steeply in the first few dozen steps ... and then keeps
    improving slowly." """
    rec, _ = _loop(bk.variant)
    assert rec[49] < 0.5 * rec[0]                   # steeply: more than halved by step 50
    assert rec[-20:].mean() < rec[40:60].mean()     # and still improving
    assert rec[0] - rec[49] > 2 * (rec[49] - rec[-20:].mean())  # faster at first


def test_07_the_kl_spikes_drops_almost_to_zero_and_climbs_again(bk):
    """"In the first few dozen steps it spikes ... Then it drops back almost to zero ... the
    KL climbs again" """
    _, kl = _loop(bk.variant)
    peak = int(kl[:100].argmax())
    low = peak + int(kl[peak:200].argmin())
    assert peak < 60 and kl[peak] > 1.0             # a spike, in the first few dozen steps
    assert kl[low] < 0.2 * kl[peak] and kl[low] < 0.5  # back almost to zero
    assert kl[-20:].mean() > 5 * kl[low]            # and up again


def test_07_held_out_loss_ends_within_a_few_percent_of_training(bk):
    """"The held-out loss (dashed) tracks the training loss, ending within a few percent" """
    h = bk.history("vae")
    assert abs(h.test_loss[-1] - h.train_loss[-1]) < 0.05 * h.train_loss[-1]
