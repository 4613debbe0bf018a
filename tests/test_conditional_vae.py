"""The conditional VAE (chapter 11): the VAE plus a one-hot label at the encoder's and the
decoder's input, trained by the same loop, and the package's calls that take its labels."""

import pytest
import torch

from vae_tutorial import data, fitting, latent, likelihood, losses, metrics, models, train
from vae_tutorial.models import VAE, ConditionalVAE, ModelConfig
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.runs import build

SMALL = ModelConfig(kind="cvae", latent_dim=3, hidden_dims=(32,))


def test_one_hot_puts_a_one_in_the_labels_place():
    assert models.one_hot(torch.tensor([3, 0])).tolist() == [
        [0, 0, 0, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]]


def test_the_conditional_vae_is_the_vae_with_ten_more_inputs_on_each_side():
    """The same layers and heads as the VAE, except that the first layer of the encoder and of
    the decoder each read ten more numbers: the one-hot label."""
    vae, cvae = VAE(5, (256, 128)), ConditionalVAE(5, (256, 128))
    shapes = lambda m: {k: tuple(v.shape) for k, v in m.state_dict().items()}  # noqa: E731
    a, b = shapes(vae), shapes(cvae)
    assert a.keys() == b.keys()
    differ = {k for k in a if a[k] != b[k]}
    assert differ == {"encoder.1.weight", "decode_logits.0.weight"}
    assert b["encoder.1.weight"] == (256, 784 + 10) and b["decode_logits.0.weight"] == (128, 5 + 10)


def test_shapes_and_the_label_changes_the_decoded_image():
    cvae = build(SMALL, seed=0)
    x, y = torch.rand(6, 1, 28, 28), torch.arange(6)
    logits, mu, logvar = cvae(x, y)
    assert logits.shape == x.shape and mu.shape == logvar.shape == (6, 3)
    torch.testing.assert_close(cvae.encode(x, y), (mu, logvar))
    z = torch.zeros(2, 3)
    images = cvae.decode(z, torch.tensor([1, 7]))
    assert images.shape == (2, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert not torch.allclose(images[0], images[1])        # same z, another label
    # the encoder reads the label too
    assert not torch.allclose(cvae.encode(x[:1], y[:1])[0], cvae.encode(x[:1], y[1:2])[0])


def test_its_step_is_the_vae_loss_told_the_labels():
    """fit picks the conditional VAE's own step; it gives the model the labels (other labels,
    another loss) and scores with the VAE's loss."""
    cvae = build(SMALL, seed=0)
    x, y = torch.rand(5, 1, 28, 28), torch.tensor([0, 1, 2, 3, 4])
    step = fitting.step_for(cvae, "bce", 1.0)
    assert step.func is train.conditional_vae_step
    torch.manual_seed(1)
    terms = step(cvae, x, y)
    torch.manual_seed(1)
    other = step(cvae, x, (y + 1) % 10)
    assert not torch.allclose(terms.total, other.total)
    with torch.no_grad():
        mu, logvar = cvae.encode(x, y)
    torch.testing.assert_close(terms.kl, losses.kl_divergence(mu, logvar))
    assert terms.kl > 0


def test_fit_trains_it_and_evaluate_loss_needs_its_labels(mnist_root):
    digits = data.load_mnist(mnist_root, quiet=True)
    config = train.TrainConfig(model=SMALL, loss="bce", epochs=3, batch_size=32)
    cvae = build(SMALL)
    history = fitting.fit(cvae, digits, config, progress=False)
    assert history.train_loss[-1] < history.train_loss[0]
    with_labels = fitting.evaluate_loss(cvae, digits.test_images, "bce", labels=digits.test_labels,
                                      elbo=True)
    assert with_labels.total > 0
    with pytest.raises(ConfigError, match="labels must be the class .0-9. of each row.*got None"):
        fitting.evaluate_loss(cvae, digits.test_images, "bce", elbo=True)


def test_latent_calls_take_labels_for_the_conditional_vae_only():
    cvae, vae = build(SMALL, seed=0), build(ModelConfig(kind="vae", latent_dim=3, hidden_dims=(32,)), seed=0)
    x, y = torch.rand(4, 1, 28, 28), torch.tensor([7, 7, 1, 2])
    codes = latent.encodings(cvae, x, y)
    with torch.no_grad():
        torch.testing.assert_close(codes, cvae.encode(x, y)[0])
        torch.testing.assert_close(latent.decode(cvae, codes, 7), cvae.decode(codes, torch.full((4,), 7)))
    assert latent.reconstruct(cvae, x, y).shape == x.shape
    with pytest.raises(ConfigError, match="labels must be the class .0-9. of each row.*got None"):
        latent.decode(cvae, codes)
    with pytest.raises(ConfigError, match="only the conditional VAE takes labels"):
        latent.decode(vae, codes, 3)
    with pytest.raises(ConfigError, match=r"must be class numbers 0 to 9 \(10 classes\), got classes from 0 to 10"):
        latent.decode(cvae, codes, torch.tensor([0, 10, 1, 2]))
    with pytest.raises(ConfigError, match=r"must be one class number per item \(4,\)"):
        latent.encodings(cvae, x, y[:3])
    with pytest.raises(ConfigError, match="labels must be .*got a float32 tensor"):
        latent.decode(cvae, codes, torch.tensor([0.5, 1.0, 2.0, 3.0]))
    whole = latent.decode(cvae, codes, torch.tensor([0.0, 1.0, 2.0, 3.0]))     # whole numbers as floats
    torch.testing.assert_close(whole, latent.decode(cvae, codes, torch.tensor([0, 1, 2, 3])))
    with pytest.raises(ConfigError, match="model must be a VAE, got a ConditionalVAE"):
        likelihood.importance_sampled_log_likelihood(cvae, x, k=2)


def test_a_convolutional_conditional_vae_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="conditional VAE .* is an MLP"):
        build(ModelConfig(kind="cvae", architecture="conv"))


class _Reader(torch.nn.Module):
    """A judge that reads class k in an image whose top-left pixel is k / 10 (what the fake
    model below draws when asked for k), except that it reads every 9 as a 4."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        k = (x[:, 0, 0, 0] * 10).round().long().clamp(0, 9)
        k = torch.where(k == 9, torch.full_like(k, 4), k)
        return torch.nn.functional.one_hot(k, 10).float() * 10


class _Drawer(torch.nn.Module):
    """A conditional model that draws the label k as an image whose top-left pixel is k / 10."""

    def __init__(self):
        super().__init__()
        self.latent_dim = 2
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def encode(self, x, y):   # takes labels: a conditional model
        raise AssertionError("read_as_asked decodes only")

    def decode(self, z, y):
        images = torch.zeros(len(z), 1, 28, 28)
        images[:, 0, 0, 0] = y.float() / 10
        return images


def test_read_as_asked_counts_per_class_what_the_judge_reads():
    judge = metrics.Judge(_Reader(), 1.0, tuple("0123456789"))
    asked = metrics.read_as_asked(_Drawer(), judge, n=20)
    assert asked.images.shape == (10, 20, 1, 28, 28)
    assert asked.share.tolist() == [1.0] * 9 + [0.0]
    assert asked.overall == pytest.approx(0.9)
    assert (asked.read[9] == 4).all()
    given = metrics.read_as_asked(_Drawer(), judge, z=torch.zeros(3, 2))
    assert given.images.shape == (10, 3, 1, 28, 28) and given.overall == pytest.approx(0.9)
    with pytest.raises(ConfigError, match="model must be a conditional VAE, got a VAE"):
        metrics.read_as_asked(build(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(8,))), judge)
