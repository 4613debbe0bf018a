import numpy as np
import pytest
import torch

from vae_tutorial import book, data, latent, metrics
from vae_tutorial.models import ModelConfig
from vae_tutorial import runs
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.runs import build as build_model


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


class _FixedLogits(torch.nn.Module):
    """Logits that make image i of class i % 10 with a confidence set by its mean pixel."""

    def __init__(self, scale=20.0):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # the judge reads the device from it
        self.scale = scale

    def forward(self, x):
        m = x.flatten(1).mean(1)
        logits = torch.zeros(len(x), 10)
        logits[torch.arange(len(x)), torch.arange(len(x)) % 10] = m * self.scale
        return logits


def _FixedJudge(scale=20.0, accuracy=0.5):
    return metrics.Judge(_FixedLogits(scale), accuracy, tuple("0123456789"))


def test_judge_samples_splits_clear_and_questionable():
    images = torch.cat([torch.ones(3, 1, 28, 28), torch.zeros(1, 1, 28, 28)])
    verdict = metrics.judge_samples(_FixedJudge(), images)
    assert verdict["clear"].tolist() == [True, True, True, False]
    assert verdict["clear_share"] == 0.75 and verdict["pred"].tolist()[:3] == [0, 1, 2]


def test_the_judge_learns_with_the_same_fit_and_is_cached(mnist_root, monkeypatch):
    d = data.load_mnist(mnist_root, quiet=True)
    calls, real = [], runs.fit
    monkeypatch.setattr(runs, "fit", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    first = book.judge(d, epochs=30)
    assert first.accuracy > 0.5  # the synthetic classes are squares at different places
    assert len(calls) == 1 and calls[0].model.kind == "classifier"   # train.fit, as for the VAEs
    again = book.judge(d, epochs=30)
    assert again.accuracy == first.accuracy and len(calls) == 1


def test_cluster_report_has_a_row_per_model(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    models = {"a": build_model(ModelConfig(kind="ae", hidden_dims=(16,))),
              "b": build_model(ModelConfig(kind="vae", hidden_dims=(16,)))}
    report = metrics.cluster_report(models, d)
    assert list(report.index) == ["a", "b"]
    assert ["kNN accuracy (k=5)", "silhouette", "same / different distance"] == list(report.columns)
    assert ((report["kNN accuracy (k=5)"] >= 0) & (report["kNN accuracy (k=5)"] <= 1)).all()


class _PixelCodes(torch.nn.Module):
    """A stand-in model whose code is (4 * first pixel - 2, 4 * second pixel - 2), and which
    decodes like :class:`_SignDecoder`: white (clear) when z[0] > 0, black otherwise."""

    latent_dim = 2

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def encode(self, x):
        return 4 * x.flatten(1)[:, :2] - 2

    def decode(self, z):
        return (z[:, :1] > 0).float()[:, :, None, None].expand(len(z), 1, 28, 28)


def test_prior_report_measures_where_the_codes_live(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    rng = np.random.default_rng(0)   # codes around (1, 0.5), spread 0.25 and 0.5, known exactly
    pixels = np.stack([rng.normal(0.75, 0.0625, 32), rng.normal(0.625, 0.125, 32)], 1)
    images = np.zeros((32, 28, 28), np.uint8)
    images[:, 0, :2] = np.round(np.clip(pixels, 0, 1) * 255)
    codes = 4 * images[:, 0, :2].astype(np.float64) / 255 - 2
    d = data.ImageData("mnist", d.train_images, d.train_labels, torch.from_numpy(images),
                       d.test_labels, d.variant, d.source, d.class_names)
    report = metrics.prior_report({"a": _PixelCodes()}, d, judge=_FixedJudge(), n=2000)
    assert list(report.columns) == list(metrics.PRIOR_REPORT_ROWS)
    row = report.loc["a"]
    assert row["spread"] == pytest.approx(codes.std(0, ddof=1).mean(), rel=1e-6)
    assert row["centre"] == pytest.approx(np.linalg.norm(codes.mean(0)), rel=1e-6)
    assert 0.45 < row["clear, N(0, I)"] < 0.55       # half the prior has z[0] > 0
    assert row["clear, fitted"] > 0.99                # the fitted Gaussian sits at z[0] = 1
    assert row["gap / spacing, fitted"] < row["gap / spacing"]   # fitted points land among them


def test_classifier_training_ignores_the_global_random_state(mnist_root, isolated_cache):
    d = data.load_mnist(mnist_root, quiet=True)
    weights = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)  # a chapter's earlier cells leave the global RNG anywhere
        for cached in (isolated_cache / "models").glob("judge-*"):
            cached.unlink()
        weights.append(book.judge(d, epochs=3).model.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


# --------------------------------------------------------------------------- clear share, gaps, pairs


class _SignDecoder(torch.nn.Module):
    """A stand-in model: decodes z to a white image when z[0] > 0, to a black one otherwise,
    so with :class:`_FixedJudge` a point is clear exactly when its first number is positive."""

    latent_dim = 2

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def decode(self, z):
        return (z[:, :1] > 0).float()[:, :, None, None].expand(len(z), 1, 28, 28)


def test_latent_points_come_from_the_prior_or_from_a_gaussian_fitted_to_codes():
    prior = latent.latent_points(3, n=20000, seed=1)
    assert prior.shape == (20000, 3) and prior.dtype == torch.float32
    assert prior.mean(0).abs().max() < 0.03 and (torch.cov(prior.T) - torch.eye(3)).abs().max() < 0.05
    assert torch.equal(prior, latent.latent_points(3, n=20000, seed=1))  # the seed decides
    codes = torch.tensor([5.0, -2.0]) + torch.randn(5000, 2, generator=torch.Generator().manual_seed(0)) \
        @ torch.tensor([[3.0, 0.0], [1.0, 0.5]])
    fitted = latent.latent_points(2, n=20000, seed=1, fit_to=codes)
    mean, cov = latent.fitted_gaussian(codes)
    assert torch.allclose(fitted.mean(0).double(), mean, atol=0.1)
    assert torch.allclose(torch.cov(fitted.T).double(), cov, rtol=0.05, atol=0.05)
    with pytest.raises(ConfigError, match=r"fit_to must be points \(N, 2\).*shape \(50, 3\)"):
        latent.latent_points(2, fit_to=torch.randn(50, 3))
    with pytest.raises(ConfigError, match="N > d"):
        latent.fitted_gaussian(torch.randn(2, 3))


def test_clear_share_judges_decoded_prior_points_and_can_sample_where_the_codes_are():
    model, judge = _SignDecoder(), _FixedJudge()
    result = metrics.clear_share(model, judge, n=2000, seed=3)
    assert 0.45 < result.share < 0.55  # half the prior has z[0] > 0
    assert result.share == metrics.clear_share(model, judge, n=2000, seed=3).share
    assert result.images.shape == (2000, 1, 28, 28) and result.z.shape == (2000, 2)
    assert torch.equal(result.verdict["clear"], result.z[:, 0] > 0)
    codes = torch.randn(500, 2) * 0.1 + torch.tensor([4.0, 0.0])  # all codes far on the right
    assert metrics.clear_share(model, judge, n=2000, seed=3, fit_to=codes).share == 1.0
    assert metrics.clear_share(model, judge, n=2000, seed=3, fit_to=-codes).share == 0.0
    images, verdict = result.first(10)
    assert torch.equal(images, result.images[:10]) and torch.equal(verdict["clear"], result.verdict["clear"][:10])
    assert verdict["clear_share"] == float(result.verdict["clear"][:10].float().mean())


def test_nearest_distance_and_spacing_on_a_grid():
    grid = torch.tensor([[float(i), float(j)] for i in range(5) for j in range(5)])
    assert torch.allclose(metrics.code_spacing(grid, chunk=7), torch.ones(25, dtype=torch.float64))
    points = torch.tensor([[0.5, 0.0], [2.0, 2.0], [-3.0, 0.0]])
    assert metrics.nearest_distance(points, grid, chunk=2).tolist() == [0.5, 0.0, 3.0]


def test_prior_gaps_are_near_one_spacing_for_prior_like_codes_and_large_for_clumps():
    rng = torch.Generator().manual_seed(0)
    like_prior = torch.randn(2000, 5, generator=rng)
    g = metrics.prior_gaps(like_prior, n=1000, seed=1)
    assert 0.9 < g.spread < 1.1 and 0.8 < g.gap_ratio < 1.25 and 0.35 < g.covered < 0.65
    wide = metrics.prior_gaps(like_prior * 5, n=1000, seed=1)  # same shape, five times wider
    assert wide.spread == pytest.approx(5 * g.spread) and wide.spacing == pytest.approx(5 * g.spacing)
    assert wide.gap_ratio < g.gap_ratio  # prior points sit in the dense middle of wide codes
    refit = metrics.prior_gaps(like_prior * 5, n=1000, seed=1, fit_to=like_prior * 5)
    assert refit.gap_ratio == pytest.approx(g.gap_ratio, rel=0.05)  # sampling where the codes are undoes the scale
    # ten tight clumps: random points fall in the holes between them
    centres = torch.randn(10, 5, generator=rng)
    clumps = centres[torch.arange(2000) % 10] + 0.02 * torch.randn(2000, 5, generator=rng)
    holes = metrics.prior_gaps(clumps, n=1000, seed=1, fit_to=clumps)
    assert holes.gap_ratio > 10 and holes.covered < 0.05


def test_median_pair_is_the_typical_pair():
    points = torch.tensor([[0.0], [1.0], [3.0], [7.0]])  # distances 1 2 3 4 6 7: lower median 3
    assert metrics.median_pair(points) == (0, 2, 3.0)
    images = torch.zeros(3, 1, 28, 28)
    images[1, 0, 0, 0], images[2, 0, 0, :2] = 1.0, 1.0  # pixel distances 1, sqrt 2, 1
    assert metrics.median_pair(images)[2] == 1.0
    with pytest.raises(ConfigError, match="points must be points .*at least 2.*got 1 point"):
        metrics.median_pair(torch.zeros(1, 3))


def test_mean_distance_between_classes_ignores_pairs_of_one_class():
    codes, labels = torch.tensor([[0.0], [0.0], [3.0], [3.0]]), torch.tensor([0, 0, 1, 1])
    assert metrics.mean_distance_between_classes(codes, labels) == 3.0


def test_between_regions_measures_how_close_a_point_is_to_a_border():
    codes = torch.tensor([[-1.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 5.0]])
    labels = torch.tensor([0, 0, 1, 1, 2])
    z = torch.tensor([[0.0, 0.0], [-1.0, 0.0], [-0.5, 0.0]])  # border, centre of 0, in between
    out = metrics.between_regions(z, codes, labels, confidence=torch.tensor([0.5, 0.99, 0.95]))
    assert out["betweenness"].tolist() == pytest.approx([1.0, 0.0, 1 / 3])
    assert out["gap"].tolist() == pytest.approx([1.0, 0.0, 0.5])
    assert out["questionable betweenness"] == 1.0 and out["clear betweenness"] == pytest.approx(1 / 6)


def test_top_two_share_tells_a_two_way_doubt_from_a_general_one():
    class TwoWay(_FixedLogits):
        def forward(self, x):
            two_way = torch.tensor([5.0, 5.0] + [-5.0] * 8)
            flat = torch.zeros(10)
            return torch.stack([two_way if m > 0.5 else flat for m in x.flatten(1).mean(1)])

    images = torch.cat([torch.ones(1, 1, 28, 28), torch.zeros(1, 1, 28, 28)])
    share = metrics.top_two_share(metrics.Judge(TwoWay(), 0.5, tuple("0123456789")), images)
    assert share[0] > 0.99 and share[1] == pytest.approx(0.2)


def test_bce_floor_is_zero_for_black_and_white_and_grows_with_grey():
    black_white = torch.zeros(4, 28, 28, dtype=torch.uint8)
    black_white[:, :10] = 255
    assert metrics.bce_floor(black_white) == 0.0
    grey = torch.full((2, 1, 28, 28), 0.5)
    assert metrics.bce_floor(grey) == pytest.approx(784 * np.log(2))
    # no reconstruction gets below the floor, a perfect one reaches it
    from vae_tutorial.losses import reconstruction_loss
    x = torch.rand(3, 1, 28, 28)
    logits = torch.logit(x.clamp(1e-6, 1 - 1e-6))
    assert reconstruction_loss(logits, x, "bce").item() == pytest.approx(metrics.bce_floor(x), rel=1e-4)
    assert reconstruction_loss(logits + 0.3, x, "bce").item() > metrics.bce_floor(x)


def test_class_split_counts_the_chosen_classes_among_questionable_and_clear():
    verdict = {"pred": torch.tensor([0, 2, 5, 0, 7, 9]),
               "clear": torch.tensor([False, False, False, True, True, True])}
    assert metrics.class_split(verdict, [0, 2]) == pytest.approx((2 / 3, 1 / 3))


def test_first_images_keeps_the_held_out_set_and_gets_its_own_fingerprint(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    small = d.first(10)
    assert len(small.train_labels) == 10 and torch.equal(small.train_images, d.train_images[:10])
    assert small.test_images is d.test_images and small.variant != d.variant
    assert small.fingerprint != d.fingerprint and small.identity()["n"] == 10
    assert d.first(len(d.train_labels)) is d


def test_dataset_report_compares_above_the_floor_and_against_real_images(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    model = build_model(ModelConfig(kind="vae", hidden_dims=(16,)), seed=0)
    judge = _FixedJudge(scale=2000.0, accuracy=0.5)  # sure of every image a little brighter than black
    report = metrics.dataset_report({"squares": (model, d, judge)})
    row = report.loc["squares"]
    assert row["judge accuracy"] == 0.5
    assert row["BCE floor"] == pytest.approx(metrics.bce_floor(d.test_images))
    assert row["-ELBO above floor"] == pytest.approx(row["held-out -ELBO"] - row["BCE floor"])
    assert row["held-out -ELBO"] > row["BCE floor"]  # no model gets below the floor
    assert row["clear, real images"] == 1.0
    assert row["samples / real"] == pytest.approx(row["clear, samples"])


def test_relative_distances_are_in_units_of_the_distance_between_classes():
    class Identity(torch.nn.Module):  # the "encoding" is the first two pixels
        latent_dim = 2

        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def encode(self, x):
            return x.flatten(1)[:, :2]

    def images(points):
        x = torch.zeros(len(points), 1, 28, 28)
        x[:, 0, 0, :2] = torch.tensor(points)
        return x

    reference, labels = images([[0.0, 0.0], [0.0, 0.0], [0.25, 0.0]]), torch.tensor([0, 0, 1])
    d = metrics.relative_distances(Identity(), images([[0.0, 0.0], [0.125, 0.0]]), reference, labels)
    assert d[0, 1].item() == pytest.approx(0.5) and d[0, 0].item() == 0.0
    scaled = metrics.relative_distances(Identity(), images([[0.0, 0.0], [0.375, 0.0]]), reference * 3, labels)
    assert scaled[0, 1].item() == pytest.approx(0.5)  # the unit scales with the codes


def test_inside_prior_uses_the_ball_that_holds_that_share_of_the_prior():
    prior = latent.latent_points(5, n=20000, seed=2)
    assert metrics.inside_prior(prior) == pytest.approx(0.95, abs=0.01)
    assert metrics.inside_prior(prior * 5) < 0.05
    on_the_circle = torch.tensor([[2.44, 0.0], [0.0, -2.45], [2.0, 2.0]])  # the 2-D radius is 2.4477
    assert metrics.inside_prior(on_the_circle) == pytest.approx(1 / 3)


def test_nearest_training_finds_the_nearest_training_image(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    x = d.images("train")[[5, 17]]
    dist, index = metrics.nearest_training(x, d, chunk=10)      # chunks across the whole set
    assert index.tolist() == [5, 17] and dist.abs().max() < 1e-3
    noisy = (x + 0.1).clamp(0, 1)
    dist, _ = metrics.nearest_training(noisy, d)
    brute = torch.cdist(noisy.flatten(1), d.images("train").flatten(1)).min(1).values
    assert torch.allclose(dist, brute, atol=1e-4)


def test_checkup_tells_a_collapsed_vae_from_one_that_uses_its_latent_numbers(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    used = build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dims=(16,)))
    collapsed = build_model(ModelConfig(kind="vae", latent_dim=3, hidden_dims=(16,)))
    with torch.no_grad():   # mu = 0 and log sigma² = 0 for every image: the prior itself
        for head in (collapsed.fc_mu, collapsed.fc_logvar):
            head.weight.zero_()
            head.bias.zero_()
    report = metrics.checkup({"used": used, "collapsed": collapsed}, d, _FixedJudge())
    assert report.loc["collapsed", "KL (nats)"] == 0 and report.loc["collapsed", "latent numbers in use"] == 0
    assert report.loc["collapsed", "mean sigma"] == 1 and report.loc["collapsed", "spread of mu"] == 0
    assert report.loc["used", "KL (nats)"] > 0
    assert {"held-out -ELBO", "reconstructions read right", "clear samples"} <= set(report.columns)


def test_words_of_degree_mean_one_range_each():
    assert metrics.degree("far more", 2.5) == pytest.approx(0.5)        # at least twice
    assert metrics.degree("far more", 1.9) < 0
    assert metrics.degree("several times", 3.0) == 0                    # the edge counts
    assert metrics.degree("about", 1.05) == pytest.approx(0.05) and metrics.degree("about", 1.2) < 0
    assert metrics.degree("most", 0.6) == pytest.approx(0.1) and metrics.degree("most", 0.4) < 0
    assert metrics.degree("almost none", 0.01) > 0 > metrics.degree("almost none", 0.1)
    assert metrics.ratio(1.0, 0.0) == float("inf") and metrics.ratio(3.0, 1.5) == 2.0
    with pytest.raises(ConfigError, match="word must be one of 'about', .*got 'hugely'"):
        metrics.degree("hugely", 2.0)
    table = metrics.degree_table()
    assert list(table.index) == list(metrics.DEGREES) and table["means"].str.len().min() > 5


def test_edge_share_finds_the_error_on_the_outline_of_a_stroke():
    x = torch.zeros(1, 1, 28, 28)
    x[..., 8:20, 12:16] = 1.0                                           # a bar, 4 pixels wide
    edges = metrics.stroke_edges(x)
    assert edges[0, 0, 14, 11] and edges[0, 0, 14, 12] and not edges[0, 0, 14, 13]   # outline only
    blurred = x.clone()
    blurred[..., 8:20, 11] = blurred[..., 8:20, 16] = 0.5               # errors beside the bar
    assert metrics.edge_share(x, blurred) == pytest.approx(1.0)
    inside = x.clone()
    inside[..., 14, 13:15] = 0.0                                        # a hole in its middle
    assert metrics.edge_share(x, inside) == pytest.approx(0.0)


def test_hesitations_count_the_judges_two_best_guesses_as_unordered_pairs():
    probs = torch.tensor([[0.5, 0.4, 0.1], [0.3, 0.6, 0.1], [0.1, 0.2, 0.7], [0.1, 0.5, 0.4]])

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return probs[: len(x)].log()

    judge = metrics.Judge(Fixed(), 1.0, ("a", "b", "c"))
    assert metrics.hesitations(judge, torch.zeros(4, 1, 28, 28), top=2) == [("a", "b", 2), ("b", "c", 2)]


def test_a_judge_seed_gives_another_judge(mnist_root):
    d = data.load_mnist(mnist_root, quiet=True)
    assert book.judge_config(d, seed=1).seed == 1 and book.judge_config(d).seed == 0
    first, other = (book.judge(d, epochs=2, seed=s).model.state_dict() for s in (0, 1))
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_slant_is_how_far_the_ink_moves_right_per_pixel_up():
    """An upright bar has slant 0; a diagonal that moves one pixel right for each pixel up, 1;
    one leaning left, -1. Thickness is measured as the package measures ink (metrics.ink)."""
    upright, right, left = (torch.zeros(1, 28, 28) for _ in range(3))
    for row in range(8, 20):          # rows from the top: going up, "right" moves right
        upright[0, row, 14] = 1
        right[0, row, 8 + 19 - row] = 1
        left[0, row, 20 - (19 - row)] = 1
    slant = metrics.slant(torch.cat([upright, right, left]))
    assert slant.tolist() == pytest.approx([0.0, 1.0, -1.0], abs=1e-9)
    assert metrics.slant(torch.zeros(1, 28, 28)).tolist() == [0.0]      # no ink: upright
    assert metrics.ATTRIBUTES["thickness"] is metrics.ink


def test_a_direction_found_from_data_moves_codes_the_way_its_attribute_grows(mnist_root):
    """With a model whose code is the image's ink itself, the direction of thickness points the
    way the code grows, and steering measures what moving along it does."""
    digits = data.load_mnist(mnist_root, quiet=True)

    class InkCode(torch.nn.Module):     # code = (ink / 100, 0); decode: a bar as thick as that
        latent_dim = 2

        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))   # where the model lives: the CPU

        def encode(self, x):
            return torch.stack([x.flatten(1).sum(1) / 100, torch.zeros(len(x))], 1), None

        def decode(self, z):
            width = (z[:, :1] * 100 / 28).clamp(0, 28)          # pixels of ink per row
            cols = torch.arange(28.0)
            row = (width[:, :, None] - cols).clamp(0, 1)       # (N, 1, 28)
            return row[:, :, None, :].expand(-1, 1, 28, 28)

    model = InkCode()
    d = metrics.direction(model, digits, "thickness")
    assert d[0] > 0 and d[1] == 0
    with pytest.raises(ConfigError, match="metrics.direction: attribute must be one of 'thickness', 'slant', got 'colour'"):
        metrics.direction(model, digits, "colour")
    moved = latent.move(model, digits.images("test")[:3], d, torch.tensor([-0.5, 0.0, 0.5]))
    assert moved.shape == (3, 3, 1, 28, 28)
    ink = metrics.ink(moved.flatten(0, 1)).view(3, 3)
    assert (ink[:, 0] < ink[:, 1]).all() and (ink[:, 1] < ink[:, 2]).all()


def test_settled_is_the_epoch_from_which_a_value_stays_near_its_last():
    assert metrics.settled([1.0, 2.0, 2.9, 3.0, 3.05]) == 3
    assert metrics.settled([3.0, 3.1, 3.0]) == 1
    assert metrics.settled([1.0, 3.0, 1.0, 3.0]) == 4
    with pytest.raises(ConfigError, match="metrics.settled: values must be finite numbers in a flat list, at least 1, got an empty list"):
        metrics.settled([])
