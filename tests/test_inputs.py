"""Every public function that takes users' data or names, tried with what goes wrong in practice:
no data at all, NaN or infinite values, a name or class that does not exist, lengths that do not
match. Each ends in one line (a ``TutorialError``), never in NaN returned silently or in a bare
library error (KeyError, IndexError, a matplotlib or scikit-learn ValueError)."""

from __future__ import annotations

import copy
import importlib

import inspect
import math

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from vae_tutorial import book, data, latent, likelihood, metrics, plots, show, widgets  # noqa: E402
from vae_tutorial.models import Classifier, ModelConfig  # noqa: E402
from vae_tutorial.support.errors import TutorialError  # noqa: E402
from vae_tutorial.runs import build  # noqa: E402
from vae_tutorial.fitting import History  # noqa: E402

VAE = build(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,)), seed=0).eval()
AE = build(ModelConfig(kind="ae", latent_dim=2, hidden_dims=(16,)), seed=0).eval()
JUDGE = metrics.Judge(Classifier().eval(), 0.5, data.DIGIT_NAMES)
_g = torch.Generator().manual_seed(0)
DIGITS = data.ImageData("mnist", torch.randint(0, 256, (50, 28, 28), dtype=torch.uint8, generator=_g),
                        torch.arange(50) % 10, torch.randint(0, 256, (20, 28, 28), dtype=torch.uint8, generator=_g),
                        torch.arange(20) % 10, "full", "tests", data.DIGIT_NAMES)
NO_SEVENS = data.ImageData("mnist", DIGITS.train_images, DIGITS.train_labels, DIGITS.test_images[:3],
                           torch.tensor([0, 1, 2]), "full", "tests", data.DIGIT_NAMES)

X = torch.rand(6, 1, 28, 28, generator=_g)           # six images
NONE = torch.zeros(0, 1, 28, 28)                     # no images
NAN_IMAGES = torch.full((2, 1, 28, 28), float("nan"))
CODES = torch.randn(30, 2, generator=_g).numpy()     # thirty 2-d codes, three classes
LABELS = np.arange(30) % 3
NO_CODES, NO_LABELS = np.zeros((0, 2)), np.zeros(0, dtype=int)
NAN_CODES = np.array([[np.nan, 0.0], [1.0, 2.0], [3.0, 4.0], [5.0, 1.0]])
VERDICT = metrics.judge_samples(JUDGE, X)
CVAE = build(ModelConfig(kind="cvae", latent_dim=2, hidden_dims=(16,)), seed=0).eval()
NAN = float("nan")
SCORES = {"digits": torch.tensor([-90.0, -95.0, -100.0]), "clothes": torch.tensor([-200.0, -230.0, -260.0])}
NAN_SCORES = {"digits": torch.tensor([NAN, -95.0, -100.0]), "clothes": SCORES["clothes"]}
LENGTHS = {"digits": [900.0, 950.0, 1000.0], "clothes": [1800.0, 1900.0, 2100.0]}
STEPS = History(step_reconstruction=[50.0, 40.0], step_kl=[1.0, 2.0])


def _recorded(epochs: int, latent_dim: int = 2):
    """A trained run's stand-in carrying a recording of ``epochs`` epochs (recording.Recording)."""
    from types import SimpleNamespace

    from vae_tutorial.recording import Recording

    g = torch.Generator().manual_seed(epochs)
    pictures = lambda *shape: torch.randint(0, 256, shape, dtype=torch.uint8, generator=g)  # noqa: E731
    return SimpleNamespace(recording=Recording(
        torch.randn(4, latent_dim, generator=g), pictures(10, 28, 28), torch.arange(20) % 10,
        pictures(epochs, 4, 28, 28), pictures(epochs, 10, 28, 28),
        torch.randn(epochs, 20, latent_dim, generator=g)))


def _diverged(model):
    twin = copy.deepcopy(model).eval()
    with torch.no_grad():
        for p in twin.parameters():
            p.mul_(1e30)                             # finite weights whose outputs overflow
    return twin


# "module.function: what goes wrong" -> the call. Each must raise a TutorialError.
REFUSED = {
    # latent
    "latent.encodings: a diverged model": lambda: latent.encodings(_diverged(VAE), X),
    "latent.decode: NaN points": lambda: latent.decode(VAE, torch.tensor([[float("nan"), 0.0]])),
    "latent.decode: a diverged model": lambda: latent.decode(_diverged(VAE), torch.ones(1, 2)),
    "latent.reconstruct: NaN images": lambda: latent.reconstruct(VAE, NAN_IMAGES),
    "latent.fitted_gaussian: NaN codes": lambda: latent.fitted_gaussian(NAN_CODES),
    "latent.latent_points: dim 0": lambda: latent.latent_points(0, 5),
    "latent.latent_points: fitted to NaN codes": lambda: latent.latent_points(2, 5, fit_to=NAN_CODES),
    "latent.latent_points: fitted to codes all alike": lambda: latent.latent_points(2, 5, fit_to=np.ones((9, 2))),
    "latent.prior_radius: dim 0": lambda: latent.prior_radius(0),
    "latent.prior_radius: mass 2": lambda: latent.prior_radius(2, 2.0),
    "latent.sample: a judge": lambda: latent.sample(JUDGE.model, 3),
    "latent.interpolate: no image": lambda: latent.interpolate(VAE, NONE, NONE),
    "latent.class_means: not an ImageData": lambda: latent.class_means(VAE, X),
    "latent.class_means: a class with no held-out image": lambda: latent.class_means(VAE, NO_SEVENS),
    # metrics
    "metrics.knn_accuracy: no codes": lambda: metrics.knn_accuracy(NO_CODES, NO_LABELS, NO_CODES, NO_LABELS),
    "metrics.knn_accuracy: NaN codes": lambda: metrics.knn_accuracy(NAN_CODES, [0, 1, 2, 0], CODES, LABELS, k=1),
    "metrics.knn_accuracy: more neighbours than codes": lambda: metrics.knn_accuracy(CODES[:3], LABELS[:3], CODES, LABELS, k=5),
    "metrics.knn_accuracy: labels of another length": lambda: metrics.knn_accuracy(CODES, LABELS[:5], CODES, LABELS),
    "metrics.silhouette: no codes": lambda: metrics.silhouette(NO_CODES, NO_LABELS),
    "metrics.silhouette: NaN codes": lambda: metrics.silhouette(NAN_CODES, [0, 1, 1, 0]),
    "metrics.silhouette: one class": lambda: metrics.silhouette(CODES, np.zeros(30, dtype=int)),
    "metrics.same_vs_different: no codes": lambda: metrics.same_vs_different(NO_CODES, NO_LABELS),
    "metrics.same_vs_different: one class": lambda: metrics.same_vs_different(CODES, np.zeros(30, dtype=int)),
    "metrics.same_vs_different: NaN codes": lambda: metrics.same_vs_different(NAN_CODES, [0, 1, 1, 0]),
    "metrics.mean_distance_between_classes: no codes": lambda: metrics.mean_distance_between_classes(NO_CODES, NO_LABELS),
    "metrics.mean_distance_between_classes: one class": lambda: metrics.mean_distance_between_classes(CODES, np.zeros(30, dtype=int)),
    "metrics.cluster_report: no models": lambda: metrics.cluster_report({}, DIGITS),
    "metrics.cluster_report: not an ImageData": lambda: metrics.cluster_report({"vae": VAE}, X),
    "metrics.prior_report: no models": lambda: metrics.prior_report({}, DIGITS, JUDGE),
    "book.judge_config: not an ImageData": lambda: book.judge_config("mnist"),
    "book.judge: not an ImageData": lambda: book.judge("mnist"),
    "metrics.judge_samples: no images": lambda: metrics.judge_samples(JUDGE, NONE),
    "metrics.judge_samples: threshold 2": lambda: metrics.judge_samples(JUDGE, X, threshold=2.0),
    "metrics.Judge.read: NaN images": lambda: JUDGE.read(NAN_IMAGES),
    "metrics.Judge.probabilities: images of the wrong size": lambda: JUDGE.probabilities(torch.rand(2, 1, 32, 32)),
    "metrics.clear_share: n 0": lambda: metrics.clear_share(VAE, JUDGE, n=0),
    "metrics.ClearShare.first: k -1": lambda: metrics.clear_share(VAE, JUDGE, n=5).first(-1),
    "metrics.nearest_distance: no codes": lambda: metrics.nearest_distance(CODES, NO_CODES),
    "metrics.nearest_distance: NaN points": lambda: metrics.nearest_distance(NAN_CODES, CODES),
    "metrics.nearest_distance: points of another dimension": lambda: metrics.nearest_distance(np.ones((3, 3)), CODES),
    "metrics.code_spacing: no codes": lambda: metrics.code_spacing(NO_CODES),
    "metrics.code_spacing: one code": lambda: metrics.code_spacing(CODES[:1]),
    "metrics.inside_prior: no codes": lambda: metrics.inside_prior(NO_CODES),
    "metrics.inside_prior: NaN codes": lambda: metrics.inside_prior(NAN_CODES),
    "metrics.prior_gaps: no codes": lambda: metrics.prior_gaps(NO_CODES),
    "metrics.prior_gaps: NaN codes": lambda: metrics.prior_gaps(NAN_CODES),
    "metrics.median_pair: NaN points": lambda: metrics.median_pair(NAN_CODES),
    "metrics.relative_distances: references of one class": lambda: metrics.relative_distances(VAE, X, X, [1] * 6),
    "metrics.between_regions: no points": lambda: metrics.between_regions(NO_CODES, CODES, LABELS, []),
    "metrics.between_regions: one class": lambda: metrics.between_regions(CODES[:2], CODES, np.zeros(30, dtype=int), [0.5, 0.95]),
    "metrics.between_regions: NaN points": lambda: metrics.between_regions(NAN_CODES, CODES, LABELS, [0.5] * 4),
    "metrics.between_regions: confidences of another length": lambda: metrics.between_regions(CODES[:2], CODES, LABELS, [0.5]),
    "metrics.top_two_share: NaN images": lambda: metrics.top_two_share(JUDGE, NAN_IMAGES),
    "metrics.class_split: a class that does not exist": lambda: metrics.class_split(VERDICT, [42]),
    "metrics.class_split: class names, not numbers": lambda: metrics.class_split(VERDICT, ["Coat"]),
    "metrics.bce_floor: no images": lambda: metrics.bce_floor(NONE),
    "metrics.bce_floor: NaN images": lambda: metrics.bce_floor(NAN_IMAGES),
    "metrics.bce_floor: values above 1": lambda: metrics.bce_floor(torch.full((2, 1, 28, 28), 2.0)),
    "metrics.dataset_report: no rows": lambda: metrics.dataset_report({}),
    "metrics.checkup: no models": lambda: metrics.checkup({}, DIGITS, JUDGE),
    "metrics.checkup: an autoencoder": lambda: metrics.checkup({"ae": AE}, DIGITS, JUDGE),
    "metrics.checkup: not an ImageData": lambda: metrics.checkup({"vae": VAE}, X, JUDGE),
    "metrics.degree: an unknown word": lambda: metrics.degree("a lot", 2.0),
    "metrics.degree: a NaN share (no sample to share out)": lambda: metrics.degree("most", NAN),
    "metrics.ratio: NaN": lambda: metrics.ratio(NAN, 1.0),
    "metrics.ratio: a negative figure": lambda: metrics.ratio(-1.0, 2.0),
    "metrics.nearest_training: NaN images": lambda: metrics.nearest_training(NAN_IMAGES, DIGITS),
    "metrics.nearest_training: not an ImageData": lambda: metrics.nearest_training(X, X),
    "metrics.hesitations: NaN images": lambda: metrics.hesitations(JUDGE, NAN_IMAGES),
    "metrics.hesitations: top 0": lambda: metrics.hesitations(JUDGE, X, top=0),
    "metrics.stroke_edges: NaN images": lambda: metrics.stroke_edges(NAN_IMAGES),
    "metrics.edge_share: no images": lambda: metrics.edge_share(NONE, NONE),
    "metrics.edge_share: fewer rebuilt than originals": lambda: metrics.edge_share(X, X[:2]),
    "metrics.edge_share: no error to share out": lambda: metrics.edge_share(X, X),
    "metrics.read_as_asked: a VAE that takes no labels": lambda: metrics.read_as_asked(VAE, JUDGE),
    "metrics.read_as_asked: NaN latent points": lambda: metrics.read_as_asked(CVAE, JUDGE, z=torch.full((2, 2), NAN)),
    "metrics.log_likelihoods: no models": lambda: metrics.log_likelihoods({}, {"digits": X}),
    "metrics.log_likelihoods: no data sets": lambda: metrics.log_likelihoods({"vae": VAE}, X),
    "metrics.log_likelihoods: an autoencoder": lambda: metrics.log_likelihoods({"ae": AE}, {"digits": X}, k=2),
    "metrics.log_likelihoods: NaN images": lambda: metrics.log_likelihoods({"vae": VAE}, {"digits": NAN_IMAGES}, k=2),
    "metrics.auroc: no inside scores": lambda: metrics.auroc([], [1.0]),
    "metrics.auroc: NaN scores": lambda: metrics.auroc([0.0, NAN], [1.0]),
    "metrics.own_data_auroc: an unknown set": lambda: metrics.own_data_auroc(SCORES, "cifar"),
    "metrics.own_data_auroc: NaN scores": lambda: metrics.own_data_auroc(NAN_SCORES, "clothes"),
    "metrics.detection_report: no rows": lambda: metrics.detection_report({}, {}),
    "metrics.detection_report: a model without its own set": lambda: metrics.detection_report({"log p(x)": {"vae": SCORES}}, {}),
    "metrics.ink: NaN images": lambda: metrics.ink(NAN_IMAGES),
    "metrics.png_nats: NaN images": lambda: metrics.png_nats(NAN_IMAGES),
    "metrics.png_nats: images of the wrong size": lambda: metrics.png_nats(torch.zeros(2, 32, 32, dtype=torch.uint8)),
    "metrics.png_nats: draws 0": lambda: metrics.png_nats(X, black_and_white=True, draws=0),
    "metrics.complexity_corrected: no lengths for a set": lambda: metrics.complexity_corrected({"vae": SCORES}, {"digits": LENGTHS["digits"]}),
    "metrics.complexity_corrected: lengths of another count": lambda: metrics.complexity_corrected(
        {"vae": SCORES}, {"digits": LENGTHS["digits"][:2], "clothes": LENGTHS["clothes"]}),
    "metrics.complexity_corrected: NaN log p(x)": lambda: metrics.complexity_corrected({"vae": NAN_SCORES}, LENGTHS),
    "metrics.complexity_correlations: no models": lambda: metrics.complexity_correlations({}, {"png": LENGTHS}),
    "metrics.complexity_correlations: NaN log p(x)": lambda: metrics.complexity_correlations({"vae": NAN_SCORES}, {"png": LENGTHS}),
    "metrics.complexity_correlations: log p(x) all alike": lambda: metrics.complexity_correlations(
        {"vae": {"digits": [1.0] * 3, "clothes": [1.0] * 3}}, {"png": LENGTHS}),
    # plots
    "plots.image_grid: no images": lambda: plots.image_grid(NONE),
    "plots.image_grid: NaN images": lambda: plots.image_grid(NAN_IMAGES),
    "plots.image_grid: ncols 0": lambda: plots.image_grid(X, ncols=0),
    "plots.image_grid: fewer titles than images": lambda: plots.image_grid(X, titles=["a"]),
    "plots.reconstructions: no images": lambda: plots.reconstructions(NONE, NONE),
    "plots.image_rows: no rows": lambda: plots.image_rows({}),
    "plots.image_rows: a row without images": lambda: plots.image_rows({"a": NONE}),
    "plots.error_maps: no images": lambda: plots.error_maps(NONE, NONE, [], "t"),
    "plots.error_maps: fewer losses than images": lambda: plots.error_maps(X, X, [1.0], "t"),
    "plots.latent_scatter: no points": lambda: plots.latent_scatter(NO_CODES, NO_LABELS),
    "plots.latent_scatter: 1-d points": lambda: plots.latent_scatter(np.ones(3), [0, 1, 2]),
    "plots.latent_scatter: a label with no class name": lambda: plots.latent_scatter(CODES[:3], [0, 1, 12]),
    "plots.latent_scatter: NaN points": lambda: plots.latent_scatter(NAN_CODES, [0, 1, 2, 0]),
    "plots.latent_scatter: labels of another length": lambda: plots.latent_scatter(CODES[:3], [0, 1]),
    "plots.scatter_pair: no points": lambda: plots.scatter_pair(NO_CODES, NO_CODES, NO_LABELS, ("a", "b")),
    "plots.tsne: fewer points than the perplexity": lambda: plots.tsne(CODES[:5]),
    "plots.tsne: NaN codes": lambda: plots.tsne(np.vstack([NAN_CODES] * 20)),
    "plots.tsne_pair: no points": lambda: plots.tsne_pair(NO_CODES, NO_CODES, NO_LABELS, ("a", "b")),
    "plots.manifold: n 0": lambda: plots.manifold(VAE, n=0),
    "plots.manifold: span NaN": lambda: plots.manifold(VAE, n=3, span=float("nan")),
    "plots.loss_curves: not a History": lambda: plots.loss_curves({}),
    "plots.loss_curves: no epochs": lambda: plots.loss_curves(History()),
    "plots.loss_per_step: no steps": lambda: plots.loss_per_step([], []),
    "plots.layer_sizes: a judge": lambda: plots.layer_sizes(JUDGE.model),
    "plots.bowtie: no sizes": lambda: plots.bowtie([]),
    "plots.bowtie: no latent layer in the middle": lambda: plots.bowtie([784, 5]),
    "plots.bound_curves: no tables": lambda: plots.bound_curves({}),
    "plots.gaussian_vs_standard: sigma 0": lambda: plots.gaussian_vs_standard(0.0, 0.0),
    "plots.gaussian_vs_standard: mu NaN": lambda: plots.gaussian_vs_standard(float("nan"), 1.0),
    "plots.kl_panels: no pairs": lambda: plots.kl_panels([]),
    "plots.encoding_bars: no images": lambda: plots.encoding_bars(NONE, NO_CODES, [], []),
    "plots.encoding_bars: a label with no colour": lambda: plots.encoding_bars(X[:1], CODES[:1], [12], ["x"]),
    "plots.encoding_bars: fewer names than images": lambda: plots.encoding_bars(X[:2], CODES[:2], [0, 1], ["x"]),
    "plots.judged_grid: no images": lambda: plots.judged_grid(NONE, VERDICT),
    "plots.judged_grid: fewer class names than classes": lambda: plots.judged_grid(X, VERDICT, class_names=["a"]),
    "plots.vae_bowtie: no sizes": lambda: plots.vae_bowtie([]),
    "plots.step_curves: no runs": lambda: plots.step_curves({}),
    "plots.step_curves: not a History": lambda: plots.step_curves({"a": [1.0, 2.0]}),
    "plots.step_curves: a run of no steps": lambda: plots.step_curves({"a": History()}),
    "plots.step_curves: steps 0": lambda: plots.step_curves({"a": STEPS}, steps=0),
    "plots.kl_bars: no models": lambda: plots.kl_bars({}),
    "plots.kl_bars: no latent numbers": lambda: plots.kl_bars({"vae": []}),
    "plots.kl_bars: NaN KL": lambda: plots.kl_bars({"vae": [NAN, 1.0]}),
    "plots.log_likelihood_histograms: no models": lambda: plots.log_likelihood_histograms({}),
    "plots.log_likelihood_histograms: NaN scores": lambda: plots.log_likelihood_histograms({"vae": NAN_SCORES}),
    "plots.log_likelihood_histograms: a set with no scores": lambda: plots.log_likelihood_histograms({"vae": {"digits": []}}),
    "plots.complexity_scatter: no models": lambda: plots.complexity_scatter({}, LENGTHS),
    "plots.complexity_scatter: no complexity for a set": lambda: plots.complexity_scatter({"vae": SCORES}, {"digits": LENGTHS["digits"]}),
    "plots.complexity_scatter: NaN log p(x)": lambda: plots.complexity_scatter({"vae": NAN_SCORES}, LENGTHS),
    # likelihood
    "likelihood.log_weights: no images": lambda: likelihood.log_weights(VAE, NONE, k=2),
    "likelihood.log_mean_exp: 1-d weights": lambda: likelihood.log_mean_exp(torch.zeros(3)),
    "likelihood.log_mean_exp: k 0": lambda: likelihood.log_mean_exp(torch.zeros(3, 4), 0),
    "likelihood.iwae_bound: k as text": lambda: likelihood.iwae_bound(torch.zeros(3, 4), "2"),
    "likelihood.importance_sampled_log_likelihood: an autoencoder": lambda: likelihood.importance_sampled_log_likelihood(AE, X, k=2),
    "likelihood.elbo: not LogWeights": lambda: likelihood.elbo(torch.zeros(3, 4)),
    "likelihood.elbo_per_image: NaN images": lambda: likelihood.elbo_per_image(VAE, NAN_IMAGES, k=2),
    "likelihood.bound_table: no k": lambda: likelihood.bound_table(VAE, X, ks=()),
    "likelihood.kl_per_dimension: no images": lambda: likelihood.kl_per_dimension(VAE, NONE),
    # book
    "book.config: an unknown recipe": lambda: book.config("gan", DIGITS),
    "book.epochs: an unknown recipe": lambda: book.epochs("gan"),
    "book.epochs: an unknown size of MNIST": lambda: book.epochs("vae", "half"),
    "book.config: not an ImageData": lambda: book.config("vae", "mnist"),
    "book.trained: an unknown recipe": lambda: book.trained("gan", DIGITS),
    "book.trained: not an ImageData": lambda: book.trained("vae", "mnist"),
    # data
    "data.load_dataset: an unknown data set": lambda: data.load_dataset("cifar"),
    "data.load_dataset: data_dir that is no path": lambda: data.load_dataset("mnist", 5),
    "data.load_mnist: data_dir that is no folder": lambda: data.load_mnist("/no/such/folder"),
    "data.load_fashion_mnist: data_dir that is no folder": lambda: data.load_fashion_mnist("/no/such/folder"),
    "data.ImageData: empty training images": lambda: data.ImageData(
        "mnist", DIGITS.train_images[:0], DIGITS.train_labels[:0], DIGITS.test_images, DIGITS.test_labels,
        "full", "tests", data.DIGIT_NAMES),
    "data.ImageData.images: an unknown split": lambda: DIGITS.images("val"),
    "data.ImageData.labels: an unknown split": lambda: DIGITS.labels("val"),
    "data.ImageData.first: n -1": lambda: DIGITS.first(-1),
    # widgets
    "widgets.latent_sliders: a judge": lambda: widgets.latent_sliders(JUDGE.model),
    "widgets.latent_sliders: a class that does not exist": lambda: widgets.latent_sliders(VAE, DIGITS, start=42),
    "widgets.interpolation: a class that does not exist": lambda: widgets.interpolation(VAE, DIGITS, 42, 1),
    "widgets.interpolation: a class with no held-out image": lambda: widgets.interpolation(VAE, NO_SEVENS, 0, 7),
    "widgets.kl_explorer: sigma 0": lambda: widgets.kl_explorer(0.0, 0.0),
    "widgets.draw_digit: an autoencoder": lambda: widgets.draw_digit(AE, DIGITS),
    "widgets.draw_digit: a class with no held-out image": lambda: widgets.draw_digit(VAE, NO_SEVENS, fmt="float16"),
    "widgets.latent_maps: n_points 0": lambda: widgets.latent_maps(AE, VAE, DIGITS, n_points=0, fmt="float16"),
    "widgets.decoder_sliders: a class that does not exist": lambda: widgets.decoder_sliders(VAE, DIGITS, start=42, fmt="float16"),
    "widgets.decoder_sliders: an unknown weight format": lambda: widgets.decoder_sliders(VAE, fmt="int4"),
    "widgets.static_kl_explorer: mu NaN": lambda: widgets.static_kl_explorer(float("nan"), 1.0),
    "widgets.conditional_sliders: a VAE": lambda: widgets.conditional_sliders(VAE, DIGITS),
    "widgets.conditional_sliders: a class that does not exist": lambda: widgets.conditional_sliders(CVAE, DIGITS, start=42),
    "widgets.conditional_sliders: not an ImageData": lambda: widgets.conditional_sliders(CVAE, X, fmt="float16"),
    "widgets.likelihood_pad: no models": lambda: widgets.likelihood_pad({}, {}),
    "widgets.likelihood_pad: an autoencoder": lambda: widgets.likelihood_pad({"ae": AE}, {"ae": SCORES}),
    "widgets.likelihood_pad: NaN log p(x)": lambda: widgets.likelihood_pad({"vae": VAE}, {"vae": NAN_SCORES}),
    "widgets.likelihood_pad: a data set that is no ImageData": lambda: widgets.likelihood_pad({"vae": VAE}, {"vae": SCORES}, [X]),
    "widgets.direction_sliders: a direction of the wrong size": lambda: widgets.direction_sliders(
        VAE, DIGITS, {"slant": [1.0, 0.0, 0.0]}, fmt="float16"),
    "widgets.direction_sliders: no directions": lambda: widgets.direction_sliders(VAE, DIGITS, {}, fmt="float16"),
    "widgets.epoch_slider: models without a recording": lambda: widgets.epoch_slider(AE, VAE, DIGITS),
    "widgets.epoch_slider: runs of different lengths": lambda: widgets.epoch_slider(
        _recorded(3), _recorded(2), DIGITS),
    "latent.move: a direction of the wrong size": lambda: latent.move(VAE, X, [1.0, 0.0, 0.0], [0.5]),
    "latent.move: NaN amounts": lambda: latent.move(VAE, X, [1.0, 0.0], [NAN]),
    "data.ImageData.binarized: seed -1": lambda: DIGITS.binarized(-1),
    "metrics.direction: an unknown attribute": lambda: metrics.direction(VAE, DIGITS, "colour"),
    "metrics.steer: a direction of the wrong size": lambda: metrics.steer(VAE, JUDGE, X, [1.0], "slant"),
    "metrics.settled: no values": lambda: metrics.settled([]),
    "metrics.spreads: not a recording": lambda: metrics.spreads(VAE),
    "metrics.label_free_elbo: a VAE": lambda: metrics.label_free_elbo(VAE, X),
    "metrics.complexity_report: own names a model not given": lambda: metrics.complexity_report(
        {"vae": VAE}, {"digits": X[:2]}, {"vae": 3}),
    # show
    "show.source: a number": lambda: show.source(42),
    "show.where: a built-in": lambda: show.where(len),
    "show.code: a number": lambda: show.code(42),
    "show.changes: a number": lambda: show.changes(latent.decode, 42),
}

# Empty in, empty out: no average is taken, so nothing to refuse; but never NaN.
EMPTY_IS_FINE = {
    "latent.encodings: no images": lambda: latent.encodings(VAE, NONE),
    "latent.decode: no points": lambda: latent.decode(VAE, torch.zeros(0, 2)),
    "latent.sample: n 0": lambda: latent.sample(VAE, 0),
    "metrics.Judge.read: no images": lambda: JUDGE.read(NONE),
    "metrics.top_two_share: no images": lambda: metrics.top_two_share(JUDGE, NONE),
    "metrics.nearest_distance: no points": lambda: metrics.nearest_distance(NO_CODES, CODES),
    "metrics.relative_distances: no images": lambda: metrics.relative_distances(VAE, NONE, X, [0, 1, 2, 0, 1, 2]),
    "metrics.nearest_training: no images": lambda: metrics.nearest_training(NONE, DIGITS),
    "metrics.hesitations: no images": lambda: metrics.hesitations(JUDGE, NONE),
    "metrics.stroke_edges: no images": lambda: metrics.stroke_edges(NONE),
    "metrics.ink: no images": lambda: metrics.ink(NONE),
    "metrics.png_nats: no images": lambda: metrics.png_nats(NONE),
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("case", REFUSED)
def test_bad_input_ends_in_one_clear_line(case):
    with pytest.raises(TutorialError) as refused:
        REFUSED[case]()
    message = str(refused.value)
    assert message and "\n" not in message and "Traceback" not in message, message


def _has_nan(value) -> bool:
    if isinstance(value, torch.Tensor):
        return value.is_floating_point() and bool(torch.isnan(value).any())
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (tuple, list)):
        return any(_has_nan(v) for v in value)
    return False


@pytest.mark.parametrize("case", EMPTY_IS_FINE)
def test_no_data_where_no_average_is_taken_gives_an_empty_answer(case):
    result = EMPTY_IS_FINE[case]()
    assert not _has_nan(result)
    assert all(len(part) == 0 for part in (result if isinstance(result, tuple) else (result,)))


MODULES = {"latent": latent, "metrics": metrics, "plots": plots, "widgets": widgets,
           "likelihood": likelihood, "book": book, "data": data, "show": show}


def _public(module) -> list[str]:
    """``module.function`` for each public function of ``module`` (and ``module.Class.method``
    for its classes' public methods that take arguments), defined or re-exported there."""
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if not obj.__module__.startswith("vae_tutorial"):
            continue
        if obj.__module__ != module.__name__ and name not in getattr(module, "__all__", ()):
            continue                                 # imported for its own use, not re-exported
        if inspect.isfunction(obj):
            names.append(f"{module.__name__.split('.')[-1]}.{name}")
        for method, fn in vars(obj).items() if inspect.isclass(obj) else ():
            if (not method.startswith("_") and inspect.isfunction(fn)
                    and len(inspect.signature(fn).parameters) > 1):
                names.append(f"{module.__name__.split('.')[-1]}.{name}.{method}")
    return names


NOT_USERS_DATA = {"data.ImageData.describe",   # takes nothing but itself
                  "show.lesson",               # takes nothing: the package's own code
                  "metrics.degree_table"}      # takes nothing: the book's own words of degree


@pytest.mark.parametrize("module", MODULES)
def test_every_public_function_is_tried_here(module):
    tried = {case.split(":")[0] for case in {**REFUSED, **EMPTY_IS_FINE}}
    missing = [f for f in _public(MODULES[module]) if f not in tried and f not in NOT_USERS_DATA]
    assert missing == [], f"add a hostile call of each to REFUSED or EMPTY_IS_FINE: {missing}"


# ---------------------------------------------------------------- issue 28: the probe's 40 cases, and their families

import time  # noqa: E402

from vae_tutorial import fitting, losses  # noqa: E402
from vae_tutorial.runs import step_name  # noqa: E402
from vae_tutorial.support.figures import alt_text  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from vae_tutorial import yardstick  # noqa: E402
from vae_tutorial.widgets import static  # noqa: E402

U8 = (X * 255).round().to(torch.uint8)[:, 0]         # the six images as uint8 (N, 28, 28)
NO_THREES = data.ImageData("mnist", DIGITS.train_images, DIGITS.train_labels, DIGITS.test_images[:3],
                           torch.tensor([0, 1, 2]), "full", "tests", data.DIGIT_NAMES)
LOG_PX = {"vae": {"digits": torch.tensor([-90.0, -95.0])}}

# The probe's cases (its numbering: PLAN-28 of the first draft), each now one line.
ISSUE_28 = {
    "1 reconstruction_loss of (8, 1, 28, 28) logits and (8, 28, 28) images": lambda: losses.reconstruction_loss(
        torch.zeros(8, 1, 28, 28), torch.rand(8, 28, 28), "mse"),
    "1 the same in vae_loss": lambda: losses.vae_loss(torch.zeros(8, 1, 28, 28), torch.rand(8, 28, 28),
                                                      torch.zeros(8, 2), torch.zeros(8, 2)),
    "1 a reconstruction loss that does not exist": lambda: losses.reconstruction_loss(X, X, "MSE"),
    "3 evaluate_loss of no images": lambda: fitting.evaluate_loss(VAE, NONE),
    "4 log_mean_exp of NaN log weights": lambda: likelihood.log_mean_exp(torch.tensor([[0.0, NAN]])),
    "4 log_mean_exp of infinite log weights": lambda: likelihood.log_mean_exp(torch.tensor([[0.0, math.inf]])),
    "5 iwae_bound of NaN log weights": lambda: likelihood.iwae_bound(torch.tensor([[NAN, 0.0]]), 1),
    "5 iwae_bound of -inf log weights": lambda: likelihood.iwae_bound(torch.tensor([[-math.inf, 0.0]]), 1),
    "6 a misspelt training step": lambda: step_name("kl-sign-flip"),
    "6 a misspelt training step, to book.trained": lambda: book.trained("vae-short", DIGITS, step="kl-sign-flip"),
    "7 a NaN in the losses an error map shows": lambda: plots.error_maps(X[:2], X[:2], [NAN, 1.0], "t"),
    "7 a NaN in the losses per step": lambda: plots.loss_per_step([1.0, NAN], [1.0, 2.0]),
    "8 likelihood_pad with k = 10**9": lambda: widgets.likelihood_pad({"vae": VAE}, LOG_PX, k=10**9),
    "9 importance sampling with k = 10**9": lambda: likelihood.importance_sampled_log_likelihood(VAE, X, k=10**9),
    "10 10**9 samples": lambda: latent.sample(VAE, 10**9),
    "11 10**10 latent points": lambda: latent.latent_points(1000, 10**10),
    "12 a manifold of 3000 x 3000": lambda: plots.manifold(VAE, n=3000),
    "13 an image grid of 20000 columns": lambda: plots.image_grid(X, ncols=20000),
    "14 conditional-VAE labels out of range": lambda: fitting.evaluate_loss(CVAE, X, labels=torch.full((6,), 12)),
    "15 conditional-VAE labels that are not whole": lambda: fitting.evaluate_loss(CVAE, X, labels=torch.rand(6)),
    "16 too few conditional-VAE labels": lambda: fitting.evaluate_loss(CVAE, X, labels=torch.arange(3)),
    "16 no conditional-VAE labels": lambda: fitting.evaluate_loss(CVAE, X),
    "17 an image grid of scale -1": lambda: plots.image_grid(X, scale=-1),
    "18 a colour that is not a colour": lambda: plots.image_grid(X, titles=list("abcdef"), title_colors=["nope"] * 6),
    "19 a latent scatter with 11 class names": lambda: plots.latent_scatter(CODES[:3], [0, 1, 2],
                                                                            [str(k) for k in range(11)]),
    "20 error maps of vmax -1": lambda: plots.error_maps(X[:2], X[:2], [1.0, 2.0], "t", vmax=-1),
    "21 kl panels of sigma -1": lambda: plots.kl_panels([(0.0, -1.0)]),
    "21 kl panels of one pair, not a list of them": lambda: plots.kl_panels((0.0, 1.0)),
    "22 encoding bars of codes for other images": lambda: plots.encoding_bars(X[:2], CODES[:3], [0, 1], ["a", "b"]),
    "22 encoding bars of names as one string": lambda: plots.encoding_bars(X[:2], CODES[:2], [0, 1], "ab"),
    "23 a scatter pair of one title": lambda: plots.scatter_pair(CODES[:3], CODES[:3], [0, 1, 2], ("a",)),
    "23 a scatter pair of points of two lengths": lambda: plots.scatter_pair(CODES[:3], CODES[:4], [0, 1, 2], ("a", "b")),
    "23 a scatter pair told 'yes'": lambda: plots.scatter_pair(CODES[:3], CODES[:3], [0, 1, 2], ("a", "b"), zoom="yes"),
    "24 a judged grid of 0 columns": lambda: plots.judged_grid(X, VERDICT, ncols=0),
    "24 a judged grid of a verdict of other images": lambda: plots.judged_grid(X[:2], VERDICT),
    "24 a judged grid of a verdict without confidences": lambda: plots.judged_grid(X, {"pred": VERDICT["pred"]}),
    "25 draw_digit(None, ...)": lambda: widgets.draw_digit(None, DIGITS),
    "26 decoder_sliders(None)": lambda: widgets.decoder_sliders(None),
    "27 likelihood_pad with held-out data missing a class": lambda: widgets.likelihood_pad(
        {"vae": VAE}, LOG_PX, [NO_THREES]),
    "28 likelihood_pad given one data set, not a list": lambda: widgets.likelihood_pad({"vae": VAE}, LOG_PX, DIGITS),
    "29 latent_maps with one title": lambda: widgets.latent_maps(AE, VAE, DIGITS, titles=("one",)),
    "30 interpolate between two lists": lambda: latent.interpolate(VAE, [0.0] * 784, [1.0] * 784),
}


@pytest.mark.parametrize("case", ISSUE_28)
def test_each_case_of_the_probe_ends_in_one_line_at_once(case):
    started = time.perf_counter()
    with pytest.raises(TutorialError) as refused:
        ISSUE_28[case]()
    assert "\n" not in str(refused.value) and time.perf_counter() - started < 5, str(refused.value)


def test_case_2_float_images_score_as_their_uint8_pixels():
    """evaluate_loss took uint8 (N, 28, 28) and scored floats as if they were 0-255."""
    as_uint8 = fitting.evaluate_loss(VAE, U8, "bce", elbo=True)
    for same in (U8.float() / 255, (U8.float() / 255)[:, None], U8[:, None], U8.numpy()):
        assert fitting.evaluate_loss(VAE, same, "bce", elbo=True) == pytest.approx(as_uint8)
    with pytest.raises(TutorialError, match="got values from 0 to 255; for 0-255 floats use x / 255"):
        fitting.evaluate_loss(VAE, U8.float())


def test_case_7_no_alt_text_says_nan():
    """Every number a figure's alt text reads is finite: NaN and infinity are refused before."""
    h = History([3.0, 2.0], [2.0, 1.0], [1.0, 1.0], [3.0, 2.0], [1.0, 1.0], [50.0, 40.0], [1.0, 2.0])
    table = likelihood.bound_table(VAE, X, ks=(1, 2))
    figures = [plots.loss_curves(h), plots.step_curves({"a": h}), plots.loss_per_step([1.0, 2.0], [0.5, 1.0]),
               plots.kl_bars({"vae": [0.5, 0.0]}), plots.error_maps(X[:2], X[:2], [1.0, 2.0], "t"),
               plots.bound_curves({"vae": table}), plots.log_likelihood_histograms({"vae": SCORES}),
               plots.judged_grid(X, VERDICT), plots.latent_scatter(CODES, LABELS)]
    for fig in figures:
        assert "nan" not in alt_text(fig).lower() and "inf" not in alt_text(fig).lower(), alt_text(fig)
    for bad in ({"a": History([NAN], [1.0], [1.0], [1.0], [1.0])}, ):
        with pytest.raises(TutorialError, match="finite losses"):
            plots.loss_curves(bad["a"])
    with pytest.raises(TutorialError, match="finite"):
        plots.bound_curves({"vae": likelihood.BoundTable(NAN, {1: 1.0})})


# Every checked public function with a call that works: the sweep below puts each hostile value in
# each declared argument in turn. Every outcome must be an answer or one line, never a library's
# traceback, an allocator's error or a long wait.
VAE_SMALL = ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,))
_H = History([3.0, 2.0], [2.0, 1.0], [1.0, 1.0], [3.0, 2.0], [1.0, 1.0], [50.0, 40.0], [1.0, 2.0])
_W = likelihood.log_weights(VAE, X[:2], k=4)
BASE = {
    "latent.encodings": (latent.encodings, (VAE, X)), "latent.decode": (latent.decode, (VAE, torch.zeros(2, 2))),
    "latent.reconstruct": (latent.reconstruct, (CVAE, X, 3)), "latent.fitted_gaussian": (latent.fitted_gaussian, (CODES,)),
    "latent.latent_points": (latent.latent_points, (2, 10, 0, CODES)), "latent.prior_radius": (latent.prior_radius, (2, 0.5)),
    "latent.sample": (latent.sample, (VAE, 3, 1)), "latent.interpolate": (latent.interpolate, (VAE, X[0], X[1], 3)),
    "latent.class_means": (latent.class_means, (VAE, DIGITS, "train")),
    "likelihood.log_weights": (likelihood.log_weights, (VAE, X[:2], 3, 2, 0)),
    "likelihood.log_mean_exp": (likelihood.log_mean_exp, (_W.log_w, 2)),
    "likelihood.iwae_bound": (likelihood.iwae_bound, (_W.log_w, 2)), "likelihood.elbo": (likelihood.elbo, (_W,)),
    "likelihood.importance_sampled_log_likelihood": (likelihood.importance_sampled_log_likelihood, (VAE, X[:2], 3, 2, 0)),
    "likelihood.elbo_per_image": (likelihood.elbo_per_image, (VAE, X[:2], 3, 2, 0)),
    "likelihood.bound_table": (likelihood.bound_table, (VAE, X[:2], (1, 2), 2, 0)),
    "likelihood.kl_per_dimension": (likelihood.kl_per_dimension, (VAE, X, 4)),
    "fitting.evaluate_loss": (fitting.evaluate_loss, (CVAE, U8, "bce", 1.0, torch.arange(6) % 10, True, 4, 0)),
    "fitting.step_for": (fitting.step_for, (VAE, "bce", 2.0)),
    "fitting.fit": (fitting.fit, (copy.deepcopy(VAE), DIGITS, book.config("vae-2d", DIGITS, epochs=1, batch_size=25,
                                                                          model=VAE_SMALL), None, "cpu", False)),
    "losses.reconstruction_loss": (losses.reconstruction_loss, (torch.zeros(2, 1, 28, 28), X[:2], "bce", "none")),
    "losses.kl_per_latent": (losses.kl_per_latent, (torch.zeros(2, 2), torch.zeros(2, 2))),
    "losses.kl_divergence": (losses.kl_divergence, (torch.zeros(2, 2), torch.zeros(2, 2))),
    "losses.vae_loss": (losses.vae_loss, (torch.zeros(2, 1, 28, 28), X[:2], torch.zeros(2, 2), torch.zeros(2, 2), "bce", 2.0)),
    "losses.autoencoder_loss": (losses.autoencoder_loss, (torch.zeros(2, 1, 28, 28), X[:2], "bce")),
    "data.ImageData.images": (data.ImageData.images, (DIGITS, "train", 3)),
    "data.ImageData.labels": (data.ImageData.labels, (DIGITS, "train")), "data.ImageData.first": (data.ImageData.first, (DIGITS, 5)),
    "metrics.knn_accuracy": (metrics.knn_accuracy, (CODES, LABELS, CODES, LABELS, 3)),
    "metrics.silhouette": (metrics.silhouette, (CODES, LABELS, 20, 0)),
    "metrics.same_vs_different": (metrics.same_vs_different, (CODES, LABELS, 20, 0)),
    "metrics.mean_distance_between_classes": (metrics.mean_distance_between_classes, (CODES, LABELS, 20, 0)),
    "metrics.cluster_report": (metrics.cluster_report, ({"vae": VAE}, DIGITS, 20, 20)),
    "metrics.relative_distances": (metrics.relative_distances, (VAE, X[:2], X, [0, 1, 2, 0, 1, 2])),
    "metrics.median_pair": (metrics.median_pair, (CODES,)),
    "metrics.nearest_distance": (metrics.nearest_distance, (CODES[:3], CODES, 2)),
    "metrics.code_spacing": (metrics.code_spacing, (CODES, 7)), "metrics.inside_prior": (metrics.inside_prior, (CODES, 0.5)),
    "metrics.prior_gaps": (metrics.prior_gaps, (CODES, 20, 0, CODES)),
    "metrics.prior_report": (metrics.prior_report, ({"vae": VAE}, DIGITS, JUDGE, 10, 0, 5)),
    "metrics.between_regions": (metrics.between_regions, (CODES[:2], CODES, LABELS, [0.5, 0.95], 0.9)),
    "metrics.nearest_training": (metrics.nearest_training, (X, DIGITS, 7)),
    "metrics.degree": (metrics.degree, ("most", 0.6)), "metrics.ratio": (metrics.ratio, (3.0, 1.5)),
    "metrics.log_likelihoods": (metrics.log_likelihoods, ({"vae": VAE}, {"digits": X[:2]}, 2, 0)),
    "metrics.auroc": (metrics.auroc, ([1.0, 2.0], [0.5])), "metrics.own_data_auroc": (metrics.own_data_auroc, (SCORES, "digits")),
    "metrics.detection_report": (metrics.detection_report, ({"log p(x)": {"vae": SCORES}}, {"vae": "digits"})),
    "metrics.ink": (metrics.ink, (X,)), "metrics.png_nats": (metrics.png_nats, (X[:2], True, 2, 0)),
    "metrics.complexity_corrected": (metrics.complexity_corrected, ({"vae": SCORES}, LENGTHS)),
    "metrics.complexity_correlations": (metrics.complexity_correlations, ({"vae": SCORES}, {"png": LENGTHS})),
    "metrics.Judge.probabilities": (metrics.Judge.probabilities, (JUDGE, X)),
    "metrics.Judge.read": (metrics.Judge.read, (JUDGE, X)),
    "metrics.judge_samples": (metrics.judge_samples, (JUDGE, X, 0.5)),
    "metrics.ClearShare.first": (metrics.ClearShare.first, (metrics.clear_share(VAE, JUDGE, n=5), 2)),
    "metrics.clear_share": (metrics.clear_share, (VAE, JUDGE, 5, 0, CODES, 0.5)),
    "metrics.top_two_share": (metrics.top_two_share, (JUDGE, X)), "metrics.hesitations": (metrics.hesitations, (JUDGE, X, 2)),
    "metrics.class_split": (metrics.class_split, (VERDICT, [2, 4])),
    "metrics.read_as_asked": (metrics.read_as_asked, (CVAE, JUDGE, 3, 0, torch.zeros(2, 2))),
    "metrics.stroke_edges": (metrics.stroke_edges, (X,)), "metrics.edge_share": (metrics.edge_share, (X, X.flip(0))),
    "metrics.bce_floor": (metrics.bce_floor, (X,)),
    "metrics.dataset_report": (metrics.dataset_report, ({"digits": (VAE, DIGITS, JUDGE)},)),
    "metrics.checkup": (metrics.checkup, ({"vae": VAE}, DIGITS, JUDGE, 0.1)),
    "plots.image_grid": (plots.image_grid, (X, 3, list("abcdef"), "t", 0.5, ["red"] * 6, "alt", 9)),
    "plots.reconstructions": (plots.reconstructions, (X, X, "t", ("a", "b"))),
    "plots.image_rows": (plots.image_rows, ({"a": X, "b": U8}, "t", 0.5)),
    "plots.error_maps": (plots.error_maps, (X[:2], X[:2], [1.0, 2.0], "t", "MSE", 0.5)),
    "plots.latent_scatter": (plots.latent_scatter, (CODES, LABELS, ("a", "b", "c"), "t", None, "x", "y", False)),
    "plots.scatter_pair": (plots.scatter_pair, (CODES, CODES, LABELS, ("a", "b"), ("a", "b", "c"), "x", "y", "s",
                                                True, True, True)),
    "plots.tsne": (plots.tsne, (CODES, 0, 5.0)),
    "plots.tsne_pair": (plots.tsne_pair, (np.vstack([CODES] * 2), np.vstack([CODES] * 2), np.arange(60) % 3, ("a", "b"),
                                          ("a", "b", "c"), 31, 0, "s")),
    "plots.manifold": (plots.manifold, (VAE, 3, 1.0, "t")),
    "plots.loss_curves": (plots.loss_curves, (_H, "t")), "plots.loss_per_step": (plots.loss_per_step, ([1, 2], [2, 1], "t", "r")),
    "plots.step_curves": (plots.step_curves, ({"a": _H}, 1, "t")), "plots.kl_bars": (plots.kl_bars, ({"a": [1.0, 0.0]}, "t")),
    "plots.layer_sizes": (plots.layer_sizes, (VAE,)), "plots.bowtie": (plots.bowtie, ([784, 16, 2, 16, 784], "t")),
    "plots.vae_bowtie": (plots.vae_bowtie, ([784, 16, 2, 16, 784], "t")),
    "plots.bound_curves": (plots.bound_curves, ({"a": likelihood.BoundTable(-90.0, {1: -95.0, 2: -93.0})}, "t")),
    "plots.gaussian_vs_standard": (plots.gaussian_vs_standard, (0.5, 2.0)),
    "plots.kl_panels": (plots.kl_panels, ([(0.0, 1.0), (1.0, 0.5)], "t")),
    "plots.encoding_bars": (plots.encoding_bars, (X[:2], CODES[:2], [0, 1], ["a", "b"], "t")),
    "plots.judged_grid": (plots.judged_grid, (X, VERDICT, data.DIGIT_NAMES, 3, False, "t")),
    "plots.log_likelihood_histograms": (plots.log_likelihood_histograms, ({"vae": SCORES}, "t", "x")),
    "plots.complexity_scatter": (plots.complexity_scatter, ({"vae": SCORES}, LENGTHS, "t", "x")),
    "widgets.latent_sliders": (widgets.latent_sliders, (VAE, DIGITS, 3)),
    "widgets.interpolation": (widgets.interpolation, (VAE, DIGITS, 2, 3)),
    "widgets.kl_explorer": (widgets.kl_explorer, (0.5, 1.0)),
    "widgets.static_kl_explorer": (widgets.static_kl_explorer, (0.5, 1.0, "t")),
    "static.mlp_layers": (static.mlp_layers, (VAE, "encoder")),
    "static.round_weights": (static.round_weights, (np.ones((2, 3)), "int8")),
    "static.net_spec": (static.net_spec, (VAE, "decoder", "float16")), "static.rounded": (static.rounded, (VAE, "int8")),
    "static.rounding_error": (static.rounding_error, (VAE, DIGITS, "int8", 5, 0)),
    "static.pick_format": (static.pick_format, (VAE, None)),
    "widgets.draw_digit": (widgets.draw_digit, (VAE, DIGITS, VAE), {"fmt": "int8", "title": "t"}),
    "widgets.latent_maps": (widgets.latent_maps, (AE, VAE, DIGITS), {"n_points": 5, "fmt": "int8",
                                                                    "titles": ("a", "b"), "title": "t"}),
    "widgets.decoder_sliders": (widgets.decoder_sliders, (VAE, DIGITS), {"draw": True, "examples": True, "start": 2,
                                                                         "fmt": "int8", "title": "t"}),
    "widgets.conditional_sliders": (widgets.conditional_sliders, (CVAE, DIGITS), {"start": 2, "fmt": "int8", "title": "t"}),
    "widgets.likelihood_pad": (widgets.likelihood_pad, ({"vae": VAE}, LOG_PX, [DIGITS]),
                               {"k": 2, "seed": 0, "fmt": "int8", "title": "t"}),
}
BASE.update({
    "latent.move": (latent.move, (VAE, X[:2], [1.0, 0.0], [-0.5, 0.5])),
    "static.frames": (static.frames, (30, 20)),
    "widgets.epoch_slider": (widgets.epoch_slider, (_recorded(3), _recorded(3), DIGITS), {"most": 10, "title": "t"}),
    "widgets.direction_sliders": (widgets.direction_sliders, (VAE, DIGITS, {"thickness": [1.0, 0.0]}),
                                  {"reach": 1.0, "start": 2, "fmt": "int8", "title": "t"}),
    "metrics.complexity_report": (metrics.complexity_report, ({"vae": VAE}, {"digits": X[:2], "clothes": X[2:4]},
                                                              {"vae": "digits"}, 2)),
    "metrics.label_free_elbo": (metrics.label_free_elbo, (CVAE, X[:2], 10, 0)),
    "metrics.slant": (metrics.slant, (X,)),
    "metrics.direction": (metrics.direction, (AE, DIGITS, "thickness", 0.25)),
    "metrics.steer": (metrics.steer, (VAE, JUDGE, X[:2], [1.0, 0.0], "slant", 0.5)),
    "metrics.spreads": (metrics.spreads, (_recorded(2).recording,)),
    "metrics.inside_shares": (metrics.inside_shares, (_recorded(2).recording, 0.9)),
    "metrics.settled": (metrics.settled, ([1.0, 2.0], 0.1)),
    "data.ImageData.binarized": (data.ImageData.binarized, (DIGITS, 0)),
    "yardstick.binarise": (yardstick.binarise, (DIGITS.test_images, 0)),
    "yardstick.binarised": (yardstick.binarised, (DIGITS, 0)),
    "yardstick.KLWarmUp": (yardstick.KLWarmUp.__init__, (object.__new__(yardstick.KLWarmUp), 5)),
    "yardstick.fitted_elbo": (yardstick.fitted_elbo, (VAE, X[:2], 2, 2, 0.01, 3, 0)),
    "yardstick.aggregate_posterior": (yardstick.aggregate_posterior, (VAE, X, 10, 0)),
    "yardstick.prior_coverage": (yardstick.prior_coverage, (VAE, X, 10, 0)),
    "yardstick.draw_pixels": (yardstick.draw_pixels, (X, 0)),
    "yardstick.grey_share": (yardstick.grey_share, (X, 0.25, 0.75)),
    "yardstick.specks": (yardstick.specks, (X,)),
    "yardstick.table": (yardstick.table, ({"a": SimpleNamespace(model=VAE, config=SimpleNamespace(epochs=1))},
                                          DIGITS, {"a": _W})),
    "yardstick.comparable": (yardstick.comparable, (DIGITS,)),
    "yardstick.nats": (yardstick.nats, (VAE, X[:2], _W, 2, 0.01)),
    "yardstick.holes": (yardstick.holes, (VAE, X, JUDGE, 5, 0)),
    "yardstick.blur": (yardstick.blur, (VAE, DIGITS, DIGITS, 5, 0)),
})
HOSTILE = (None, NAN, -math.inf, -1, 0, 10**12, 2.5, "x", True, [], {}, torch.zeros(3), np.array([NAN]), object())


@pytest.mark.parametrize("name", sorted(BASE))
def test_every_declared_argument_takes_any_value_in_one_line_or_works(name):
    fn, args, kwargs = (*BASE[name], {})[:3]
    fn(*args, **kwargs)                                            # the call works as it is
    spec = getattr(fn, "__func__", fn).__contract__
    params = [p for p in spec.sig.parameters if p != "self" or not isinstance(args[0], type(None))]
    for arg, _ in spec.rules:
        for bad in HOSTILE:
            call_args, call_kwargs = list(args), dict(kwargs)
            if params.index(arg) < len(call_args):
                call_args[params.index(arg)] = bad
            else:
                call_kwargs[arg] = bad
            started = time.perf_counter()
            try:
                fn(*call_args, **call_kwargs)
            except TutorialError as err:
                assert "\n" not in str(err), (arg, bad, str(err))
            finally:
                plt.close("all")
            assert time.perf_counter() - started < 30, (arg, bad)   # no runaway work


def test_every_checked_function_is_swept():
    modules = [latent, likelihood, fitting, losses, plots, static, widgets.kernel, data.images, yardstick,
               *(importlib.import_module(f"vae_tutorial.metrics.{m}") for m in
                 ("clusters", "coverage", "degrees", "detection", "directions", "dynamics", "judge", "quality"))]
    swept = {getattr(fn, "__func__", fn) for fn, *_ in BASE.values()}
    missing = []
    for module in modules:
        for obj in [*vars(module).values(), *(m for c in vars(module).values() if inspect.isclass(c)
                                              for m in vars(c).values())]:
            if hasattr(obj, "__contract__") and obj.__module__ == module.__name__ and obj not in swept:
                missing.append(obj.__qualname__)
    assert not missing, f"add a working call of each to BASE: {missing}"
