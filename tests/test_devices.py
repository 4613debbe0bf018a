"""Every public function that takes a model works when the model lives on a GPU and the
reader's tensors on the CPU (as on a Colab GPU runtime), and returns what it returns on a CPU.

The cases run on each accelerator present (CUDA, Apple MPS) and, so the list itself stays
correct, on the CPU. Where no accelerator is present the accelerator cases are skipped, saying so.
A last test fails when a public function of models/plots/widgets/metrics/likelihood has no case
here, so a new function cannot slip past.
"""

from __future__ import annotations

import importlib
import inspect

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from vae_tutorial import data, likelihood, metrics, models, plots, web, widgets  # noqa: E402
from vae_tutorial.models import ModelConfig, build_model  # noqa: E402

ACCELERATORS = [d for d, ok in (("cuda", torch.cuda.is_available()),
                                ("mps", getattr(torch.backends, "mps", None) is not None
                                 and torch.backends.mps.is_available())) if ok]
DEVICES = ["cpu"] + (ACCELERATORS or [pytest.param("cuda", marks=pytest.mark.skip(
    reason="no CUDA or MPS device on this machine; these cases run where one is"))])


class Setup:
    """Small models on ``device``; data, generators and inputs on the CPU, as chapters have them."""

    def __init__(self, device: str, digits: data.ImageData):
        self.device = device
        self.digits = digits
        self.x = digits.images("test")[:6]
        self.vae = build_model(ModelConfig(kind="vae", latent_dim=5, hidden_dims=(32,)), seed=0).to(device)
        self.ae = build_model(ModelConfig(kind="ae", latent_dim=5, hidden_dims=(32,)), seed=0).to(device)
        self.vae2 = build_model(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(32,)), seed=0).to(device)
        self.judge = metrics.Classifier().to(device)


def _cpu(value):
    """Tensors inside ``value`` must be on the CPU (readers call .numpy() on them)."""
    if isinstance(value, torch.Tensor):
        assert value.device.type == "cpu", value.device
    elif isinstance(value, (tuple, list)):
        for v in value:
            _cpu(v)
    elif isinstance(value, dict):
        for v in value.values():
            _cpu(v)
    return value


# name -> call(s); each returns whatever the function returns
CASES = {
    "models.build_model": lambda s: build_model(ModelConfig(hidden_dims=(8,))),
    "models.layer_sizes": lambda s: models.layer_sizes(s.vae),
    "models.VAE.sample": lambda s: _cpu(s.vae.sample(3, generator=torch.Generator().manual_seed(0))),
    "models.VAE.reconstruct": lambda s: _cpu(s.vae.reconstruct(s.x)),
    "models.VAE.encode": lambda s: s.vae.encode(s.x),
    "models.VAE.decode": lambda s: s.vae.decode(torch.zeros(2, 5)),
    "models.VAE.reparameterize": lambda s: s.vae.reparameterize(
        *s.vae.encode(s.x), generator=torch.Generator().manual_seed(0)),
    "plots.image_grid": lambda s: plots.image_grid(s.vae.sample(4), ncols=4),
    "plots.reconstructions": lambda s: plots.reconstructions(s.x, s.vae.reconstruct(s.x)),
    "plots.image_rows": lambda s: plots.image_rows({"a": s.x, "b": s.vae.decode(torch.zeros(6, 5))}),
    "plots.error_maps": lambda s: plots.error_maps(s.x[:2], s.vae.decode(torch.zeros(2, 5)), [1.0, 2.0], "t"),
    "plots.latent_scatter": lambda s: plots.latent_scatter(s.vae2.encode(s.x)[0], s.digits.test_labels[:6]),
    "plots.scatter_pair": lambda s: plots.scatter_pair(s.vae2.encode(s.x)[0], s.vae2.encode(s.x)[0],
                                                       s.digits.test_labels[:6], ("a", "b")),
    "plots.tsne": lambda s: plots.tsne(metrics.encodings(s.vae, s.digits.test_images[:40]), perplexity=5),
    "plots.tsne_pair": lambda s: plots.tsne_pair(metrics.encodings(s.vae, s.digits.test_images[:40]),
                                                 metrics.encodings(s.ae, s.digits.test_images[:40]),
                                                 s.digits.test_labels[:40], ("a", "b")),
    "plots.manifold": lambda s: plots.manifold(s.vae2, n=3),
    "plots.encoding_bars": lambda s: plots.encoding_bars(s.x[:2], s.vae.encode(s.x[:2])[0], [0, 1], ["a", "b"]),
    "plots.judged_grid": lambda s: plots.judged_grid(s.vae.sample(4), metrics.judge_samples(s.judge, s.vae.sample(4)), ncols=4),
    "metrics.encodings": lambda s: _cpu(metrics.encodings(s.vae, s.digits.test_images[:20])),
    "metrics.cluster_report": lambda s: metrics.cluster_report({"a": s.ae, "v": s.vae}, s.digits,
                                                               max_train=200, max_test=100),
    "metrics.prior_report": lambda s: metrics.prior_report({"a": s.ae, "v": s.vae}, s.digits, s.judge,
                                                           n=50, n_codes=100),
    "metrics.clear_share": lambda s: _cpu(metrics.clear_share(s.vae, s.judge, n=20).images),
    "metrics.relative_distances": lambda s: _cpu(metrics.relative_distances(
        s.vae, s.x, s.digits.test_images[:100], s.digits.test_labels[:100])),
    "metrics.top_two_share": lambda s: _cpu(metrics.top_two_share(s.judge, s.x)),
    "metrics.dataset_report": lambda s: metrics.dataset_report(
        {"digits": (s.vae, s.digits, metrics.JudgedClassifier(s.judge, 0.5))}),
    "metrics.judge_samples": lambda s: _cpu(metrics.judge_samples(s.judge, s.vae.sample(4))),
    "widgets.interpolate": lambda s: _cpu(widgets.interpolate(s.vae, s.x[0], s.x[1], steps=3)),
    "widgets.latent_sliders": lambda s: widgets.latent_sliders(s.vae, s.digits),
    "widgets.interpolation": lambda s: widgets.interpolation(s.vae, s.digits),
    "web.class_means": lambda s: _cpu(web.class_means(s.vae, s.digits)),
    "web.decoder_sliders": lambda s: web.decoder_sliders(s.vae, s.digits),
    "web.draw_digit": lambda s: web.draw_digit(s.vae, s.digits, s.vae2),
    "web.latent_maps": lambda s: web.latent_maps(
        build_model(ModelConfig(kind="ae", latent_dim=2, hidden_dims=(32,))).to(s.device), s.vae2, s.digits),
    "web.mlp_layers": lambda s: web.mlp_layers(s.vae, "decoder"),
    "web.net_spec": lambda s: web.net_spec(s.vae, "encoder", "float16"),
    "web.rounded": lambda s: web.rounded(s.vae, "float16"),
    "web.rounding_error": lambda s: web.rounding_error(s.vae, s.digits, "int8", n=20),
    "web.pick_format": lambda s: web.pick_format(s.vae, s.digits),
    "likelihood.log_weights": lambda s: _cpu(likelihood.log_weights(s.vae, s.x, k=4, batch_size=3)),
    "likelihood.importance_sampled_log_likelihood": lambda s: _cpu(
        likelihood.importance_sampled_log_likelihood(s.vae, s.x, k=4)),
    "likelihood.elbo_per_image": lambda s: _cpu(likelihood.elbo_per_image(s.vae, s.x, k=2)),
    "likelihood.bound_table": lambda s: likelihood.bound_table(s.vae, s.x, ks=(1, 2)),
    "likelihood.kl_per_dimension": lambda s: _cpu(likelihood.kl_per_dimension(s.vae, s.x)),
}
# Public functions that take no model, so devices do not concern them
NO_MODEL = {"plots.bowtie", "plots.vae_bowtie", "plots.gaussian_vs_standard", "plots.kl_panels",
            "plots.loss_curves", "plots.loss_per_step", "metrics.knn_accuracy", "metrics.silhouette",
            "metrics.same_vs_different", "metrics.mean_distance_between_classes",
            "metrics.train_classifier", "metrics.fitted_gaussian", "metrics.latent_points",
            "metrics.nearest_distance", "metrics.code_spacing", "metrics.inside_prior",
            "metrics.prior_gaps", "metrics.median_pair", "metrics.between_regions",
            "metrics.class_split", "metrics.bce_floor", "widgets.kl_explorer",
            "web.kl_explorer", "web.forget", "web.rasterize", "web.round_weights",
            "plots.bound_curves", "likelihood.log_mean_exp", "likelihood.iwae_bound",
            "likelihood.elbo", "models.prior_radius"}


@pytest.fixture(scope="module")
def digits():
    return data.load_mnist(quiet=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_public_function_with_the_model_on_the_device(case, device, digits):
    setup = Setup(device, digits)
    try:
        CASES[case](setup)
    finally:
        plt.close("all")


@pytest.mark.parametrize("device", DEVICES)
def test_sampling_is_the_same_on_every_device(device, digits):
    cpu = build_model(ModelConfig(kind="vae", latent_dim=5, hidden_dims=(32,)), seed=0)
    other = build_model(ModelConfig(kind="vae", latent_dim=5, hidden_dims=(32,)), seed=0).to(device)
    a = cpu.sample(8, generator=torch.Generator().manual_seed(1))
    b = other.sample(8, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_every_public_function_has_a_device_case():
    listed = {name.rsplit(".", 1)[0] if name.count(".") == 2 else name for name in CASES} | NO_MODEL
    missing = []
    for module in ("models", "plots", "metrics", "widgets", "likelihood", "web"):
        try:
            mod = importlib.import_module(f"vae_tutorial.{module}")
        except ModuleNotFoundError:
            continue
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if not name.startswith("_") and fn.__module__ == mod.__name__ and f"{module}.{name}" not in listed:
                missing.append(f"{module}.{name}")
    assert not missing, f"add a device case (or list under NO_MODEL): {missing}"
