import matplotlib
import matplotlib.patches

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from vae_tutorial import plots  # noqa: E402
from vae_tutorial.support import figures  # noqa: E402
from vae_tutorial.models import ModelConfig
from vae_tutorial.runs import build as build_model  # noqa: E402
from vae_tutorial.fitting import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid_shows_every_image_with_captions():
    fig = plots.image_grid(torch.rand(12, 1, 28, 28), ncols=5, titles=[str(i) for i in range(12)], title="grid")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12 and len(fig.axes) == 15
    assert shown[3].get_title() == "3" and fig._suptitle.get_text() == "grid"


def test_latent_scatter_uses_the_same_colour_per_class():
    pts, labels = np.random.default_rng(0).normal(size=(50, 2)), np.arange(50) % 10
    fig = plots.latent_scatter(pts, labels, title="t")
    ax = fig.axes[0]
    for k, coll in enumerate(ax.collections):
        np.testing.assert_allclose(coll.get_facecolor()[0][:3], plots.CLASS_COLORS[k], atol=1e-6)
    assert ax.get_xlabel() == "latent 1" and [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["0", "1"]


def test_tsne_pair_lays_out_both_models_on_the_same_images():
    enc = torch.randn(60, 5)
    fig = plots.tsne_pair(enc, enc * 2, np.arange(60) % 10, ("a", "b"), max_points=40)
    axes = [ax for ax in fig.axes if ax.collections]
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    assert sum(len(c.get_offsets()) for c in axes[0].collections) == 40


def test_manifold_needs_two_latent_dimensions():
    fig = plots.manifold(build_model(ModelConfig(latent_dim=2, hidden_dims=(16,))), n=5)
    assert fig.axes[0].images[0].get_array().shape == (140, 140)
    with pytest.raises(ValueError, match="latent_dim=2"):
        plots.manifold(build_model(ModelConfig(latent_dim=5, hidden_dims=(16,))))


def test_loss_curves_plot_every_series():
    h = History([3, 2, 1], [2.5, 1.5, 0.8], [0.5, 0.5, 0.2], [3.1, 2.2, 1.3], [1, 1, 1])
    fig = plots.loss_curves(h)
    labels = {line.get_label() for ax in fig.axes for line in ax.get_lines()}
    assert {"training", "held-out", "reconstruction", "KL"} <= labels
    # one scale per panel: no twin axes, so no crossing of two curves on two scales
    assert len(fig.axes) == 3 and all(len(ax.get_lines()) >= 1 for ax in fig.axes)


def test_bowtie_labels_every_layer_width():
    fig = plots.bowtie([784, 256, 5, 256, 784])
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"784", "256", "5", "encoder", "decoder"} <= texts


def test_kl_picture_reports_the_right_value():
    fig = plots.gaussian_vs_standard(1.0, 1.0)
    assert "KL = 0.50" in fig.axes[0].get_title()


def test_error_maps_and_rows():
    x = torch.rand(4, 1, 28, 28)
    fig = plots.error_maps(x, x * 0.5, [1.0, 2.0, 3.0, 4.0], "errors")
    assert fig.axes[0].get_title() == "MSE 1.0"
    # small errors get a scale on which they show: up to the largest one, not up to 1
    small = plots.error_maps(x, (x + 0.05).clamp(max=1), [0.1] * 4, "small errors")
    maps = [im for ax in small.axes for im in ax.images if im.get_cmap().name == "magma"]
    assert len(maps) == 4 and all(im.get_clim() == (0, pytest.approx(0.0025)) for im in maps)
    fig = plots.image_rows({"a": x, "b": x[:2]})
    assert sum(1 for ax in fig.axes if ax.images) == 6


def test_scatter_pair_shares_one_legend_and_colours():
    pts, labels = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 10
    fig = plots.scatter_pair(pts, pts * 3, labels, ("left", "right"))
    axes = [ax for ax in fig.axes if ax.collections]
    assert [ax.get_title() for ax in axes] == ["left", "right"]
    assert all(ax.get_legend() is None for ax in axes) and len(fig.legends) == 1
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list("0123456789")
    np.testing.assert_allclose(axes[1].collections[3].get_facecolor()[0][:3], plots.CLASS_COLORS[3])


def test_scatter_pair_zooms_in_on_the_second_set_of_points():
    pts, labels = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 10
    fig = plots.scatter_pair(pts * 10, pts, labels, ("wide", "narrow"), share_axes=True, zoom=True)
    axes = [ax for ax in fig.axes if ax.collections]
    assert [ax.get_title() for ax in axes] == ["wide", "narrow", "narrow, zoomed in"]
    assert axes[1].get_xlim() == axes[0].get_xlim()                  # shared: a small blob
    assert np.ptp(axes[2].get_xlim()) < 0.5 * np.ptp(axes[1].get_xlim())  # on its own scale


def test_kl_panels_one_panel_per_pair_with_its_kl():
    fig = plots.kl_panels([(0, 1), (2, 1), (0, 0.5)])
    titles = [ax.get_title() for ax in fig.axes if ax.lines]
    assert len(titles) == 3 and "KL = 0.00" in titles[0] and "KL = 2.00" in titles[1]
    # KL(N(0, 0.5²) || N(0, 1)) = (0.25 - ln 0.25 - 1) / 2 = 0.318
    assert "KL = 0.32" in titles[2]


def test_encoding_bars_colour_by_class_and_hatch_repeats():
    codes = torch.tensor([[1.0, -1.0], [0.5, 0.5], [2.0, 0.0]])
    fig = plots.encoding_bars(torch.rand(3, 1, 28, 28), codes, [6, 6, 1], ["a 6", "another 6", "a 1"])
    bars = fig.axes[1].patches
    assert len(bars) == 6 and bars[0].get_height() == 1.0 and bars[5].get_height() == 0.0
    np.testing.assert_allclose(bars[0].get_facecolor()[:3], plots.CLASS_COLORS[6])
    np.testing.assert_allclose(bars[4].get_facecolor()[:3], plots.CLASS_COLORS[1])
    assert not bars[0].get_hatch() and bars[2].get_hatch() == "//" and not bars[4].get_hatch()


def test_judged_grid_sorts_by_confidence_and_marks_questionable():
    verdict = {"pred": torch.tensor([3, 1, 7]), "confidence": torch.tensor([0.5, 0.999, 0.8999]),
               "clear": torch.tensor([False, True, False])}
    fig = plots.judged_grid(torch.rand(3, 1, 28, 28), verdict, ncols=3)
    captions = [(ax.get_title(), ax.title.get_color()) for ax in fig.axes if ax.images]
    assert captions == [("1\n0.99", "black"), ("7?\n0.89", "tab:red"), ("3?\n0.50", "tab:red")]
    names = plots.judged_grid(torch.rand(3, 1, 28, 28), verdict, class_names=list("abcdefghij"), sort=False)
    assert [ax.get_title() for ax in names.axes if ax.images] == ["d?", "b", "h?"]
    # the alt text counts and lists what the captions say
    assert figures.alt_text(fig).endswith("1 clear, 2 questionable (in red, marked with a question "
                                          "mark). Clear, by the judge's guess: 1 ×1. Questionable, by its "
                                          "best guess: 3 ×1, 7 ×1.")


def test_loss_per_step_plots_both_series():
    fig = plots.loss_per_step([5, 4, 3], [0, 1, 2], title="loop")
    assert [list(ax.lines[0].get_ydata()) for ax in fig.axes] == [[5, 4, 3], [0, 1, 2]]


def test_every_figure_fits_the_book_column():
    x = torch.rand(12, 1, 28, 28)
    h = History([3, 2], [2, 1], [1, 1], [3, 2], [1, 1])
    figures = [plots.image_grid(x, ncols=12), plots.image_grid(x[:1], ncols=1), plots.reconstructions(x, x),
               plots.image_rows({"a": x, "b": x}), plots.error_maps(x[:8], x[:8], [1.0] * 8, "e"),
               plots.tsne_pair(torch.randn(40, 5), torch.randn(40, 5), np.arange(40) % 10, ("a", "b")),
               plots.loss_curves(h), plots.loss_per_step([1, 2], [2, 1]), plots.bowtie([784, 256, 5, 256, 784]),
               plots.vae_bowtie([784, 256, 128, 5, 128, 256, 784]), plots.kl_panels([(0, 1)] * 4), plots.encoding_bars(x[:3], torch.randn(3, 5), [1, 2, 3], ["a", "b", "c"])]
    for fig in figures:
        assert fig.get_size_inches()[0] <= plots.BOOK_WIDTH + 1e-9, fig.axes[0].get_title()


def test_images_of_the_wrong_size_get_a_clear_error():
    from vae_tutorial.support.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\(N, 1, 28, 28\).*\(3, 32, 32\)"):
        plots.image_grid(torch.rand(3, 32, 32))


def test_vae_bowtie_draws_two_heads_as_wide_as_the_latent_space_and_the_noise():
    fig = plots.vae_bowtie([784, 256, 128, 5, 128, 256, 784])
    ax = fig.axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert {"784", "256", "128", "mu: 5", "sigma: 5", "z: 5", "encoder", "decoder"} <= texts
    assert any("ε" in t.get_text() for t in ax.texts)  # the noise enters at z
    bars = ax.patches[:9]  # 3 encoder layers, mu, sigma, z, 3 decoder layers
    heights = [round(b.get_height() ** 2) for b in bars]
    assert heights == [784, 256, 128, 5, 5, 5, 128, 256, 784]
    mu, sigma = bars[3], bars[4]
    assert mu.get_x() == sigma.get_x() and mu.get_y() > 0 > sigma.get_y()  # side by side in x, stacked
    assert [t.get_text() for t in ax.get_xticklabels()][3:5] == ["heads", "latent"]


def test_scatter_pair_can_share_its_scale_and_show_where_the_prior_lives():
    pts, labels = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 10
    fig = plots.scatter_pair(pts * 10, pts, labels, ("wide", "narrow"), share_axes=True, prior_circle=True)
    left, right = [ax for ax in fig.axes if ax.collections]
    assert left.get_xlim() == right.get_xlim() and left.get_ylim() == right.get_ylim()
    circles = [p for p in right.patches if isinstance(p, matplotlib.patches.Circle)]
    assert len(circles) == 1 and circles[0].get_radius() == pytest.approx(2.4477, abs=1e-3)
    assert "95% of N(0, I)" in [t.get_text() for t in fig.legends[0].get_texts()]
    own = plots.scatter_pair(pts * 10, pts, labels, ("wide", "narrow"))
    a, b = [ax for ax in own.axes if ax.collections]
    assert a.get_xlim() != b.get_xlim()  # by default each panel fits its own points


def test_tsne_draws_a_five_times_wider_cloud_the_same_size():
    """03_mu_and_sigma: "t-SNE [...] throws away how far apart they are, so a cloud five times
    wider than another is drawn the same size"."""
    enc = torch.randn(80, 5, generator=torch.Generator().manual_seed(0))
    narrow, wide = plots.tsne(enc), plots.tsne(enc * 5)
    assert wide.std() == pytest.approx(narrow.std(), rel=0.2)


def test_step_curves_draw_each_run_and_a_log_scale_kl():
    h = History(step_reconstruction=[3.0, 2.0, 1.0], step_kl=[0.5, 1e6, 1e12])
    fig = plots.step_curves({"a": h, "b": h}, steps=2, title="t")
    rec, kl = fig.axes
    assert len(rec.lines) == 2 and len(kl.lines[0].get_xdata()) == 2 and kl.get_yscale() == "log"


def test_kl_bars_draw_one_bar_per_latent_number_and_model():
    fig = plots.kl_bars({"a": torch.tensor([0.0, 1.0, 2.0]), "b": torch.tensor([3.0, 0.0, 1.0])})
    ax = fig.axes[0]
    assert len(ax.patches) == 6 and [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]

def test_every_figure_says_what_it_shows_beginning_with_its_title():
    """Each figure carries its alt text (support/figures.py): the title, then what is in it,
    with the numbers a sighted reader would read off it."""
    x = torch.rand(6, 1, 28, 28)
    pts, labels = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 10
    h = History([1, 2], [3.0, 2.0], [2.0, 1.0], [3.5, 2.5], [1.0, 1.0])
    cases = {
        "grid": plots.image_grid(x, ncols=3, titles=list("abcdef"), title="grid"),
        "Originals (top) and reconstructions (bottom)": plots.reconstructions(x, x),
        "errors": plots.error_maps(x[:2], x[:2], [1.0, 2.0], "errors"),
        "pair": plots.scatter_pair(pts, pts * 3, labels, ("left", "right"), suptitle="pair", prior_circle=True),
        "alone": plots.latent_scatter(pts, labels, title="alone"),
        "Training history": plots.loss_curves(h),
        "loop": plots.loss_per_step([5, 4, 3], [0, 1, 2], title="loop"),
        "The bowtie: layer widths of the real model": plots.bowtie([784, 256, 5, 256, 784]),
        "The VAE's bowtie: two numbers per latent dimension": plots.vae_bowtie([784, 256, 5, 256, 784]),
        "kl": plots.kl_panels([(0, 1), (2, 1)], title="kl"),
        "bars": plots.encoding_bars(x[:2], torch.tensor([[1.0, -1.0], [0.5, 0.5]]), [6, 1], ["a 6", "a 1"], title="bars"),
        "steps": plots.step_curves({"run": History(step_reconstruction=[3.0, 1.0], step_kl=[0.5, 2.0])}, title="steps"),
        "KL of each latent number": plots.kl_bars({"a": torch.tensor([0.0, 1.5])}),
        "log p(x) under each model": plots.log_likelihood_histograms(
            {"m": {"digits": torch.tensor([-100.0, -120.0, -110.0]), "clothes": torch.tensor([-300.0, -250.0])}}),
        "scatter": plots.complexity_scatter({"m": {"digits": torch.tensor([-100.0, -120.0])}},
                                            {"digits": torch.tensor([50.0, 80.0])}, title="scatter"),
    }
    for title, fig in cases.items():
        alt = figures.alt_text(fig)
        assert alt.startswith(title[0].upper() + title[1:] + ". ") and len(alt.split()) >= 12, (title, alt)
    said = {title: figures.alt_text(fig) for title, fig in cases.items()}
    assert "captioned a, b, c, d, e, f" in said["grid"] and "2 rows of 3" in said["grid"]
    assert "differs from the original row by 0 grey levels" in said["Originals (top) and reconstructions (bottom)"]
    assert "grey levels" not in figures.alt_text(plots.image_rows({"a": x, "b": x}))   # not the same images
    assert "MSE per image, left to right: 1.00, 2.00." in said["errors"]
    inside = [(np.linalg.norm(p, axis=1) <= 2.4477).mean() for p in (pts, pts * 3)]
    assert f"Left, left: spread (standard deviation) {pts.std(0).mean():.2f}" in said["pair"]
    assert f"{inside[0]:.0%} inside the circle" in said["pair"] and f"{inside[1]:.0%} inside" in said["pair"]
    assert "held-out images (dashed) from 3.50 to 2.50" in said["Training history"]
    assert "784 → 256 → 5 numbers" in said["The bowtie: layer widths of the real model"]
    assert "KL = 2.00" in said["kl"] and "a 1: 0.5, 0.5" in said["bars"]
    assert "run: reconstruction from 3.00 to 1.00, KL from 0.50 to 2.00" in said["steps"]
    assert "a: 0.00, 1.50" in said["KL of each latent number"]
    # an even count: the lower middle value, as tensor.median() prints it beside the figure
    assert "m: digits median -110, clothes median -300" in said["log p(x) under each model"]


def test_scatter_plots_name_each_class_at_its_centre():
    """The classes can be told apart without their colours."""
    pts = np.array([[0.0, 0.0], [0.2, 0.0], [5.0, 5.0], [5.2, 5.0]])
    fig = plots.latent_scatter(pts, np.array([0, 0, 1, 1]), class_names=["zero", "one"])
    texts = {t.get_text(): t.get_position() for t in fig.axes[0].texts}
    assert texts == {"zero": pytest.approx((0.1, 0.0)), "one": pytest.approx((5.1, 5.0))}


def test_a_notebook_shows_each_figure_as_a_png_that_carries_its_alt_text():
    """In IPython (the inline backend, as the book's build runs it), the PNG of a figure holds
    its description; book/_ext/figure_alt.py makes that the image's alt text."""
    import base64
    import io

    from IPython.core.interactiveshell import InteractiveShell
    from PIL import Image

    from IPython.core.pylabtools import select_figure_formats

    pytest.importorskip("docutils", reason="book/_ext/figure_alt.py is a Sphinx extension: needs the book extra")
    from figure_alt import png_text

    shell = InteractiveShell.instance()
    try:
        select_figure_formats(shell, {"png"})        # what the inline backend sets up
        fig = plots.image_grid(torch.rand(2, 1, 28, 28), ncols=2, title="two")
        data, _ = shell.display_formatter.format(fig)
        png = base64.b64decode(data["image/png"])
        with Image.open(io.BytesIO(png)) as image:
            image.load()
            assert image.size[0] > 50                              # still a good PNG
        assert figures.alt_text(fig) == "Two. 2 images in one row."
        path = io.BytesIO(png)
        assert png_text(path) == "Two. 2 images in one row."
        assert png_text(io.BytesIO(png), "Dark mode") is None      # inverted in the dark mode
        # a colour scale that carries meaning (bright means wrong) is shown as drawn
        x = torch.rand(2, 1, 28, 28)
        errors = plots.error_maps(x, x.flip(0), torch.tensor([1.0, 2.0]), title="errors")
        data, _ = shell.display_formatter.format(errors)
        png = base64.b64decode(data["image/png"])
        assert png_text(io.BytesIO(png), "Dark mode") == "as drawn"
        assert png_text(io.BytesIO(png)).startswith("Errors. 2 images in three rows")
    finally:
        InteractiveShell.clear_instance()


def test_every_text_is_readable_on_a_phone():
    """A phone's column (375 px) shows a figure BOOK_WIDTH wide at about half its size; no text
    is smaller than SMALLEST_TEXT points at that width (about 7 px on the phone), judged on the
    PNG the notebook shows (its tight bounding box)."""
    import matplotlib.text

    x = torch.rand(12, 1, 28, 28)
    pts, labels = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 10
    h = History([3, 2], [2, 1], [1, 1], [3, 2], [1, 1])
    verdict = {"pred": torch.arange(12) % 10, "confidence": torch.linspace(0.5, 1, 12), "clear": torch.arange(12) > 5}
    made = [plots.image_grid(x, ncols=12, titles=[str(i) for i in range(12)], title="t"), plots.reconstructions(x, x),
            plots.error_maps(x[:8], x[:8], [1.0] * 8, "e"), plots.judged_grid(x, verdict, ncols=6),
            plots.scatter_pair(pts, pts, labels, ("a", "b"), suptitle="s", prior_circle=True),
            plots.latent_scatter(pts, labels, title="t"),
            plots.latent_scatter(pts, labels, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                               "Shirt", "Sneaker", "Bag", "Ankle boot"], title="t"),
            plots.loss_curves(h), plots.loss_per_step([1, 2], [2, 1]),
            plots.bowtie([784, 256, 5, 256, 784]), plots.vae_bowtie([784, 256, 128, 5, 128, 256, 784]),
            plots.kl_panels([(0, 1)] * 4), plots.encoding_bars(x[:3], torch.randn(3, 5), [1, 2, 3], ["a", "b", "c"], title="t"),
            plots.manifold(build_model(ModelConfig(latent_dim=2, hidden_dims=(16,))), n=5)]
    for fig in made:
        fig.canvas.draw()
        width = max(fig.get_tightbbox().width, plots.BOOK_WIDTH * 0.6)   # inches; a narrow one is not blown up
        for text in fig.findobj(matplotlib.text.Text):
            if text.get_visible() and text.get_text().strip() and text.get_window_extent().width > 0:
                size = text.get_fontsize() * plots.BOOK_WIDTH / width
                assert size >= plots.SMALLEST_TEXT - 0.3, (made.index(fig), text.get_text(), text.get_fontsize(), width)


def test_the_histograms_legend_and_alt_text_give_the_median_the_chapter_prints():
    """Printed and plotted figures from one rounding: an even count has two middle values, and
    the legend takes the one ``tensor.median()`` (the chapter's printout) takes."""
    scores = {"model": {"digits": torch.tensor([-100.0, -101.0, -103.0, -104.0]),     # np.median: -102
                        "clothes": torch.tensor([-724.0, -725.0, -727.0, -728.0])}}   # -726
    fig = plots.log_likelihood_histograms(scores)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    printed = {name: f"{v.median():.0f}" for name, v in scores["model"].items()}
    assert labels == [f"digits (median {printed['digits']})", f"clothes (median {printed['clothes']})"]
    assert f"clothes median {printed['clothes']}" in figures.alt_text(fig)
    plt.close(fig)


def test_the_book_marks_a_figure_to_show_as_drawn_in_the_dark_mode(tmp_path):
    """book/_ext/figure_alt.py reads each PNG: its description becomes the alt text, and "Dark
    mode: as drawn" the class as-drawn (which book.css leaves uninverted); other figures get
    no class, and an alt text a chapter set stays."""
    pytest.importorskip("docutils", reason="book/_ext/figure_alt.py is a Sphinx extension: needs the book extra")
    from types import SimpleNamespace

    from docutils import nodes

    import figure_alt

    import io

    from PIL import Image

    blank = io.BytesIO()
    Image.new("L", (4, 4), 255).save(blank, format="PNG")

    def png(name, *chunks):
        data = blank.getvalue()
        for key, text in chunks:
            data = figures.with_text(data, key, text)
        (tmp_path / name).write_bytes(data)
        return nodes.image(uri=name, candidates={"*": name})

    scale = png("scale.png", ("Description", "A colour scale."), ("Dark mode", "as drawn"))
    ink = png("ink.png", ("Description", "Some digits."))
    chosen = png("chosen.png", ("Description", "Not this."), ("Dark mode", "as drawn"))
    chosen["alt"] = "Set by the chapter."
    doctree = nodes.document(None, None)
    doctree += [scale, ink, chosen]
    figure_alt._set_alt(SimpleNamespace(srcdir=str(tmp_path)), doctree)
    assert (scale["alt"], scale["classes"]) == ("A colour scale.", ["as-drawn"])
    assert (ink["alt"], ink["classes"]) == ("Some digits.", [])
    assert (chosen["alt"], chosen["classes"]) == ("Set by the chapter.", ["as-drawn"])


def test_the_kl_bars_legend_covers_no_bar():
    """Chapter 10's bars (one model's all near zero, the other's all about as tall) once had the
    legend over the first two bars."""
    fig = plots.kl_bars({"beta 10": torch.zeros(5), "beta 10, free bits": torch.tensor([0.39, 0.44, 0.48, 0.41, 0.4])},
                        title="KL of each latent number, beta = 10")
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert len(ax.patches) == 10
    assert not [p for p in ax.patches if legend.overlaps(p.get_window_extent())]
    plt.close(fig)
