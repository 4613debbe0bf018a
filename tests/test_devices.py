"""Every public function that takes a model gives, with the model on a GPU and the reader's
tensors on the CPU (as on a Colab GPU runtime), what it gives with everything on the CPU.

Each case runs twice, once with the models on the CPU and once on the accelerator, and the two
results are compared number by number (tensors, tables, the pixels and lines of figures, the
weights a widget carries into the page). Results must come back on the CPU. The cases run on
each accelerator present (CUDA, Apple MPS); where none is, they are skipped, saying so, and the
CPU run still checks that every case runs. A last test fails when a public function of the
chapter-facing modules has no case here, so a new function cannot slip past.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from vae_tutorial import data, fitting, latent, likelihood, metrics, plots, train, widgets  # noqa: E402
from vae_tutorial.models import ModelConfig  # noqa: E402
from vae_tutorial.widgets import static as web  # noqa: E402
from vae_tutorial.runs import build  # noqa: E402

ACCELERATORS = [d for d, ok in (("cuda", torch.cuda.is_available()),
                                ("mps", getattr(torch.backends, "mps", None) is not None
                                 and torch.backends.mps.is_available())) if ok]
DEVICES = ACCELERATORS or [pytest.param("cuda", marks=pytest.mark.skip(
    reason="no CUDA or MPS device on this machine; these cases run where one is"))]


class Setup:
    """Small models on ``device``; data and inputs on the CPU, as chapters have them."""

    def __init__(self, device: str, digits: data.ImageData):
        self.device = device
        self.digits = digits
        self.x = digits.images("test")[:6]
        small = lambda kind, dim: build(ModelConfig(kind=kind, latent_dim=dim, hidden_dims=(32,)),  # noqa: E731
                                        seed=0).to(device)
        self.vae, self.ae, self.vae2, self.ae2 = small("vae", 5), small("ae", 5), small("vae", 2), small("ae", 2)
        self.cvae = small("cvae", 3)
        self.judge = metrics.Judge(build(ModelConfig(kind="classifier", hidden_dims=(256,)), seed=0)
                                   .to(device).eval(), 0.5, tuple(digits.class_names))


def numbers(value):
    """What a result says, as plain numbers to compare: tensors, tables, the pixels and lines of
    figures, widgets' options and weights. Tensors must be on the CPU (readers call .numpy())."""
    if isinstance(value, torch.Tensor):
        assert value.device.type == "cpu", value.device
        return value.detach().double().numpy()
    if isinstance(value, (float, int, np.ndarray, str, type(None))):
        return value
    if isinstance(value, pd.DataFrame):
        return value.to_numpy(dtype=float)
    if isinstance(value, Figure):
        parts = []
        for ax in value.axes:
            parts += [np.asarray(im.get_array(), dtype=float) for im in ax.images]
            parts += [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
            parts += [np.asarray(c.get_offsets(), dtype=float) for c in ax.collections if hasattr(c, "get_offsets")]
            parts += [t.get_text() for t in ax.texts] + [ax.get_title()]
        plt.close(value)
        return parts
    if isinstance(value, web.StaticWidget):
        return json.loads(web._json([value.options | {"needs": None}, [p for _, _, p in value.items]]))
    if isinstance(value, dict):
        return {k: numbers(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [numbers(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: numbers(getattr(value, k)) for k in value.__dataclass_fields__}
    if hasattr(value, "_asdict"):
        return numbers(value._asdict())
    if hasattr(value, "children"):   # an ipywidgets box: its controls and the image it shows
        return [numbers(child) for child in value.children]
    if getattr(value, "format", None) == "png":
        from PIL import Image
        return np.asarray(Image.open(io.BytesIO(value.value)), dtype=float)
    if isinstance(getattr(value, "value", None), (int, float)):
        return float(value.value)
    raise AssertionError(f"no numbers to compare in a {type(value).__name__}")


def same(a, b, atol: float, where: str = "") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            same(a[k], b[k], atol, f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, atol, f"{where}[{i}]")
    elif isinstance(a, str) or a is None:
        assert a == b, where
    else:
        np.testing.assert_allclose(np.asarray(b, dtype=float), np.asarray(a, dtype=float), atol=atol,
                                   rtol=1e-4, err_msg=where)


def _sample(s, n=4):
    return latent.sample(s.vae, n)


# name -> (call, tolerance). Results differ across devices by float rounding only, except where
# the VAE samples z from its own device's random numbers (the held-out -ELBO): sampling noise.
CASES = {
    "latent.encodings": (lambda s: latent.encodings(s.vae, s.digits.test_images[:20]), 1e-4),
    "latent.decode": (lambda s: latent.decode(s.vae, torch.zeros(2, 5)), 1e-4),
    "latent.reconstruct": (lambda s: latent.reconstruct(s.vae, s.x), 1e-4),
    "latent.sample": (lambda s: _sample(s), 1e-4),
    "latent.interpolate": (lambda s: latent.interpolate(s.vae, s.x[0], s.x[1], steps=3), 1e-4),
    "latent.class_means": (lambda s: latent.class_means(s.vae, s.digits), 1e-4),
    "latent.move": (lambda s: latent.move(s.vae, s.x, torch.ones(5), [-0.5, 0.5]), 1e-4),
    "metrics.complexity_report": (lambda s: metrics.complexity_report(
        {"v": s.vae}, {"d": s.x, "e": s.x.flip(-1)}, {"v": "d"}, k=4).to_numpy(), 1e-2),
    "metrics.label_free_elbo": (lambda s: metrics.label_free_elbo(s.cvae, s.x), 2e-2),
    "web.direction_sliders": (lambda s: web.direction_sliders(s.vae, s.digits, {"t": torch.ones(5)}), 1e-3),
    "plots.image_grid": (lambda s: plots.image_grid(_sample(s), ncols=4), 1e-4),
    "plots.reconstructions": (lambda s: plots.reconstructions(s.x, latent.reconstruct(s.vae, s.x)), 1e-4),
    "plots.image_rows": (lambda s: plots.image_rows({"a": s.x, "b": latent.decode(s.vae, torch.zeros(6, 5))}), 1e-4),
    "plots.error_maps": (lambda s: plots.error_maps(s.x[:2], latent.decode(s.vae, torch.zeros(2, 5)), [1.0, 2.0], "t"), 1e-4),
    "plots.latent_scatter": (lambda s: plots.latent_scatter(latent.encodings(s.vae2, s.x), s.digits.test_labels[:6]), 1e-4),
    "plots.scatter_pair": (lambda s: plots.scatter_pair(latent.encodings(s.vae2, s.x), latent.encodings(s.ae2, s.x),
                                                        s.digits.test_labels[:6], ("a", "b")), 1e-4),
    "plots.manifold": (lambda s: plots.manifold(s.vae2, n=3), 1e-4),
    "plots.layer_sizes": (lambda s: plots.layer_sizes(s.vae), 0),
    "plots.encoding_bars": (lambda s: plots.encoding_bars(s.x[:2], latent.encodings(s.vae, s.x[:2]), [0, 1], ["a", "b"]), 1e-4),
    "plots.judged_grid": (lambda s: plots.judged_grid(_sample(s), metrics.judge_samples(s.judge, _sample(s)), ncols=4), 1e-4),
    "metrics.cluster_report": (lambda s: metrics.cluster_report({"a": s.ae, "v": s.vae}, s.digits,
                                                                max_train=200, max_test=100), 1e-3),
    "metrics.prior_report": (lambda s: metrics.prior_report({"a": s.ae, "v": s.vae}, s.digits, s.judge,
                                                            n=50, n_codes=100), 1e-3),
    "metrics.clear_share": (lambda s: metrics.clear_share(s.vae, s.judge, n=20), 1e-4),
    "metrics.relative_distances": (lambda s: metrics.relative_distances(
        s.vae, s.x, s.digits.test_images[:100], s.digits.test_labels[:100]), 1e-4),
    "metrics.top_two_share": (lambda s: metrics.top_two_share(s.judge, s.x), 1e-4),
    "metrics.judge_samples": (lambda s: metrics.judge_samples(s.judge, _sample(s)), 1e-4),
    "metrics.dataset_report": (lambda s: metrics.dataset_report({"digits": (s.vae, s.digits, s.judge)}), 2.0),
    "likelihood.log_weights": (lambda s: likelihood.log_weights(s.vae, s.x, k=4, batch_size=3), 1e-2),
    "likelihood.importance_sampled_log_likelihood": (lambda s: likelihood.importance_sampled_log_likelihood(
        s.vae, s.x, k=4), 1e-2),
    "likelihood.elbo_per_image": (lambda s: likelihood.elbo_per_image(s.vae, s.x, k=2), 1e-2),
    "likelihood.bound_table": (lambda s: likelihood.bound_table(s.vae, s.x, ks=(1, 2)), 1e-2),
    "likelihood.kl_per_dimension": (lambda s: likelihood.kl_per_dimension(s.vae, s.x), 1e-4),
    "fitting.evaluate_loss": (lambda s: fitting.evaluate_loss(s.vae, s.digits.test_images, "bce", elbo=True), 2.0),
    "widgets.latent_sliders": (lambda s: widgets.latent_sliders(s.vae, s.digits), 1.0),   # grey levels
    "widgets.interpolation": (lambda s: widgets.interpolation(s.vae, s.digits), 1.0),
    "web.decoder_sliders": (lambda s: web.decoder_sliders(s.vae, s.digits), 0),
    "web.draw_digit": (lambda s: web.draw_digit(s.vae, s.digits, s.vae2), 1e-3),
    "web.latent_maps": (lambda s: web.latent_maps(s.ae2, s.vae2, s.digits), 1e-3),
    "web.mlp_layers": (lambda s: web.mlp_layers(s.vae, "decoder")[0][:2], 0),
    "web.net_spec": (lambda s: web.net_spec(s.vae, "encoder", "float16"), 0),
    "web.rounded": (lambda s: list(web.rounded(s.vae, "float16").state_dict().values()), 0),
    "web.rounding_error": (lambda s: web.rounding_error(s.vae, s.digits, "int8", n=20), 1e-4),
    "web.pick_format": (lambda s: web.pick_format(s.vae, s.digits), 0),
    "metrics.checkup": (lambda s: metrics.checkup({"v": s.vae}, s.digits, s.judge), 2.0),   # held-out -ELBO
    "metrics.hesitations": (lambda s: metrics.hesitations(s.judge, s.x), 0),
    "metrics.read_as_asked": (lambda s: metrics.read_as_asked(s.cvae, s.judge, n=5), 1e-4),
    "metrics.log_likelihoods": (lambda s: metrics.log_likelihoods({"v": s.vae}, {"d": s.x}, k=4), 1e-2),
    "web.conditional_sliders": (lambda s: web.conditional_sliders(s.cvae, s.digits), 0),
    "web.likelihood_pad": (lambda s: web.likelihood_pad(
        {"v": s.vae}, metrics.log_likelihoods({"v": s.vae}, {"d": s.x}, k=4), k=2), 1e-2),
}
# Public functions that take no model, so devices do not concern them
NO_MODEL = {"fitting.schedule_for", "web.epoch_slider", "web.frames",   # an optimizer; recordings; counts
            "plots.bowtie", "plots.vae_bowtie", "plots.gaussian_vs_standard", "plots.kl_panels",
            "plots.loss_curves", "plots.loss_per_step", "plots.tsne", "plots.tsne_pair",
            "metrics.knn_accuracy", "metrics.silhouette",
            "metrics.same_vs_different", "metrics.mean_distance_between_classes",
            "latent.fitted_gaussian", "latent.latent_points",
            "metrics.nearest_distance", "metrics.code_spacing", "metrics.inside_prior",
            "metrics.prior_gaps", "metrics.median_pair", "metrics.between_regions",
            "metrics.class_split", "metrics.bce_floor", "widgets.kl_explorer",
            "web.kl_explorer", "web.forget", "web.rasterize", "web.round_weights",
            "plots.bound_curves", "likelihood.log_mean_exp", "likelihood.iwae_bound",
            "likelihood.elbo", "latent.prior_radius", "fitting.fit", "fitting.step_for",
            # the teaching floor is plain PyTorch: its caller puts the model and the batch on one device
            "train.vae_step", "train.train_epoch", "train.autoencoder_step", "train.classifier_step",
            "train.conditional_vae_step",
            # numbers, images or data in, no model: figures and measures of chapters 1 and 8-12
            "plots.step_curves", "plots.kl_bars", "plots.log_likelihood_histograms",
            "plots.complexity_scatter", "metrics.auroc", "metrics.own_data_auroc",
            "metrics.detection_report", "metrics.complexity_corrected", "metrics.complexity_correlations",
            "metrics.degree", "metrics.degree_table", "metrics.ratio", "metrics.edge_share",
            "metrics.stroke_edges", "metrics.ink", "metrics.png_nats", "metrics.nearest_training"}


@pytest.fixture(scope="module")
def digits():
    return data.load_mnist(quiet=True)


@pytest.fixture(scope="module")
def on_the_cpu(digits):
    """Each case's result with everything on the CPU (computed once, checked to run)."""
    torch.manual_seed(0)
    return {name: numbers(call(Setup("cpu", digits))) for name, (call, _) in CASES.items()}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_public_function_gives_the_same_with_the_model_on_the_device(case, device, digits, on_the_cpu):
    call, atol = CASES[case]
    torch.manual_seed(0)
    try:
        result = numbers(call(Setup(device, digits)))
    finally:
        plt.close("all")
    same(on_the_cpu[case], result, atol, case)


def _flat(value) -> list:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [] if isinstance(value, str) or value is None else list(np.ravel(np.asarray(value, dtype=float)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_case_gives_finite_numbers_to_compare(case, on_the_cpu):
    """A case whose result holds no number (or only NaN) would pass on any device: each must give
    some finite number, so the device test above compares something."""
    value = on_the_cpu[case]
    found = [x for x in _flat(value) if np.isfinite(x)] or ([value] if isinstance(value, str) else [])
    assert found, f"{case} gives no finite number (or text) to compare across devices"


def test_every_public_function_has_a_device_case():
    listed = set(CASES) | NO_MODEL
    missing = []
    metrics_modules = [("metrics", f"vae_tutorial.metrics.{m}") for m in
                       ("clusters", "coverage", "degrees", "detection", "judge", "quality")]
    for module, path in (("latent", "vae_tutorial.latent"), ("plots", "vae_tutorial.plots"),
                         *metrics_modules, ("widgets", "vae_tutorial.widgets.kernel"),
                         ("likelihood", "vae_tutorial.likelihood"), ("train", "vae_tutorial.train"),
                         ("fitting", "vae_tutorial.fitting"), ("web", "vae_tutorial.widgets.static")):
        mod = importlib.import_module(path)
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if not name.startswith("_") and fn.__module__ == mod.__name__ and f"{module}.{name}" not in listed:
                missing.append(f"{module}.{name}")
    assert not missing, f"add a device case (or list under NO_MODEL): {missing}"
