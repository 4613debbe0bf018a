"""Figures for the book: image grids, reconstructions, latent scatter and t-SNE, the 2-D
manifold, loss curves, the bowtie, and the KL picture. Every function returns the
matplotlib Figure; the same class always gets the same colour (tab10), and scatter plots also
write each class's name at its centre, so no one needs the colours to tell the classes apart.

Every figure says what it shows: its title and what a sighted reader would read off it (the
numbers included), as its alt text (``support/figures.py``; ``figures.alt_text(fig)``), which
the book's pages give to screen readers.

Figures are at most ``BOOK_WIDTH`` inches wide: the book's text column shows images about
700 pixels wide, and a wider figure is shrunk until its labels can no longer be read.
"""

from __future__ import annotations

import math

import matplotlib.patheffects as patheffects
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .data import DIGIT_NAMES
from .latent import decode, prior_radius
from .losses import kl_divergence
from .fitting import History
from .support.contracts import (IMAGE_BYTES, ClassLabels, Colour, Count, Flags, Images, Is, Model, Named,
                                Numbers, Points, Real, Fields, Satisfies, Scores, SequenceOf, Texts,
                                TupleOf, checked)
from .support.errors import ConfigError
from .support.figures import describe

CLASS_COLORS = plt.get_cmap("tab10").colors  # colour of class k: CLASS_COLORS[k]
SIGMA_COLOR = "tab:purple"                    # sigma and the encoded Gaussian (widgets too)
BOOK_WIDTH = 7.0  # inches; at the notebook's 100 dpi, about the width of the book's column
# The smallest text in a figure, in points: a figure BOOK_WIDTH wide shrinks to about half its
# size in a phone's column (375 px), where 10 points come out about 7 pixels tall.
SMALLEST_TEXT = 10
# What one figure can show and still be drawn in seconds and read: images (one panel each),
# columns (7 inches / 50 = 14 pixels a digit), decoded points per side of the manifold.
MAX_PANELS, MAX_COLUMNS, MAX_GRID = 500, 50, 100
SHOWN = Images(least=1, most=MAX_PANELS)
COLUMNS, SCALE = Count(1, MAX_COLUMNS), Real(above=0, at_most=3)    # scale: inches per image
NAMES = Texts(most=len(CLASS_COLORS))          # class names: one colour each
TSNE_SEED = Count(0, 2**32 - 1)                # scikit-learn's seeds
SIZES = SequenceOf(Count(1), least=3) & Satisfies(
    lambda sizes: len(sizes) % 2 == 1, "an odd number of widths, the latent one in the middle, as "
    "plots.layer_sizes(model) gives them")


def _finite(*values) -> bool:
    return all(math.isfinite(v) for v in values)


def _said(title: str | None, text: str) -> str:
    """An alt text: the figure's title, then what is in it."""
    said = f"{title.rstrip('.')}. {text}" if title else text
    return said[:1].upper() + said[1:]


def _num(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}" if abs(value) < 100 else f"{value:,.0f}"


def _span(values) -> str:
    values = [float(v) for v in values]
    return f"from {_num(values[0])} to {_num(values[-1])}" if len(values) > 1 else _num(values[0])


def _suptitle(fig: Figure, title: str | None) -> None:
    """Lay the axes out first, then put the title above them (never over the first row)."""
    fig.tight_layout(pad=0.3)
    if title:
        fig.suptitle(title, fontsize=11, y=1.0, va="bottom")


def _np_images(images: torch.Tensor) -> np.ndarray:
    """Checked images (N, 1, 28, 28) -> (N, 28, 28) numpy floats, to draw."""
    return images.cpu().numpy()[:, 0]


def _tile_size(ncols: int, largest: float = 1.2) -> float:
    """Inches per image so that ``ncols`` images fit the book's width."""
    return min(largest, BOOK_WIDTH / ncols)


def image_grid(images: SHOWN, ncols: COLUMNS = 10, titles: Texts(least="images") = None, title: str | None = None,
               scale: SCALE = None, title_colors: SequenceOf(Colour, least="images") = None,
               alt: str | None = None, caption_size: Real(above=0, at_most=40) = SMALLEST_TEXT) -> Figure:
    """Show images in a grid, optionally with a caption above each (``caption_size`` points).

    ``scale`` is inches per image; by default as large as fits the book's width. ``alt``: what
    the images show, for the alt text (by default their number and layout, and the captions)."""
    imgs = _np_images(images)
    nrows = int(np.ceil(len(imgs) / ncols))
    scale = scale or _tile_size(ncols)
    lines = max((str(c).count("\n") + 1 for c in titles), default=1) if titles is not None else 0
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * (scale + caption_size / 60 * lines)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(imgs):
            ax.imshow(imgs[i], cmap="gray_r", vmin=0, vmax=1)
            if titles is not None:
                color = title_colors[i] if title_colors is not None else "black"
                ax.set_title(titles[i], fontsize=caption_size, color=color, pad=2, linespacing=1.0)
    _suptitle(fig, title)
    if alt is None:
        shape = f"{nrows} rows of {ncols}" if nrows > 1 else "one row" if ncols > 1 else "a column"
        alt = f"{len(imgs)} images in {shape}" if len(imgs) > 1 else "One image"
        if titles is not None:
            alt += ", captioned " + ", ".join(" ".join(str(c).split()) for c in titles)
        alt += "."
    return describe(fig, _said(title, alt))


def reconstructions(originals: SHOWN, rebuilt: SHOWN, title: str = "Originals (top) and reconstructions (bottom)",
                    row_labels: tuple[str, str] = ("original", "rebuilt")) -> Figure:
    """Two rows: inputs above, what the model made of them below."""
    return image_rows(dict(zip(row_labels, (originals, rebuilt))), title=title)


def _differences(rows: dict) -> str:
    """How far each row's images are from the first row's, in grey levels (0-255) per pixel,
    when the first row holds the originals (the other rows then rebuild the same images)."""
    if not str(next(iter(rows))).lower().startswith("original"):
        return ""
    arrays = list(rows.values())
    first, said = arrays[0], []
    for label, arr in list(zip(rows, arrays))[1:]:
        n = min(len(first), len(arr))
        if n:
            said.append(f"the {label} row differs from the {list(rows)[0]} row by "
                        f"{255 * np.abs(first[:n] - arr[:n]).mean():.0f} grey levels per pixel on average")
    return (" In the images, " + "; ".join(said) + ".") if said else ""


def image_rows(rows: Named(SHOWN, what="row label -> images"), title: str = "", scale: SCALE = None) -> Figure:
    """Labelled rows of images: ``{"label": images (N, 1, 28, 28)}``, one row per entry."""
    rows = {label: _np_images(imgs) for label, imgs in rows.items()}
    n = max(len(v) for v in rows.values())
    label_room = 0.9  # inches left of the first column for the row labels
    scale = scale or min(0.75, (BOOK_WIDTH - label_room) / n)
    fig, axes = plt.subplots(len(rows), n, figsize=(n * scale + label_room, len(rows) * scale + 0.4),
                             squeeze=False)
    for r, (label, arr) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([])
            ax.spines[:].set_visible(False)
            if c < len(arr):
                ax.imshow(arr[c], cmap="gray_r", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
    _suptitle(fig, title)
    sizes = [len(v) for v in rows.values()]
    said = (f"{len(rows)} rows of {sizes[0]} images" if len(set(sizes)) == 1 else
            f"{len(rows)} rows of images (" + ", ".join(map(str, sizes)) + ")")
    said += ", labelled " + ", ".join(f"'{label}'" for label in rows) + " from top to bottom."
    return describe(fig, _said(title, said + _differences(rows)))


def error_maps(originals: Images(least=1, most=MAX_COLUMNS), rebuilt: Images(n="originals"),
               losses: Numbers("originals"), title: str, loss_name: str = "MSE",
               vmax: Real(above=0) = None) -> Figure:
    """Original, reconstruction and the per-pixel squared error, with each image's loss. The
    error maps share one colour scale, 0 to ``vmax`` (by default the largest squared error shown,
    so small errors still show); the colour bar says what it is."""
    a, b = _np_images(originals), _np_images(rebuilt)
    n, errors = len(a), (a - b) ** 2
    vmax = vmax or float(errors.max()) or 1.0
    losses = losses.tolist()
    fig, axes = plt.subplots(3, n, figsize=(min(n * 1.1, BOOK_WIDTH), 3.7), squeeze=False)
    for i in range(n):
        axes[0, i].imshow(a[i], cmap="gray_r", vmin=0, vmax=1)
        axes[1, i].imshow(b[i], cmap="gray_r", vmin=0, vmax=1)
        im = axes[2, i].imshow(errors[i], cmap="magma", vmin=0, vmax=vmax)
        axes[0, i].set_title(f"{loss_name} {losses[i]:.1f}", fontsize=SMALLEST_TEXT)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    for row, label in enumerate(("original", "rebuilt", "error²")):
        axes[row, 0].set_ylabel(label, fontsize=SMALLEST_TEXT)
    fig.colorbar(im, ax=axes[2, :].tolist(), fraction=0.02, pad=0.01, label=f"squared error (0 to {vmax:.2g})")
    fig.suptitle(title, fontsize=11)
    return describe(fig, _said(title, (
        f"{n} images in three rows: the originals, their reconstructions, and the squared error of "
        f"each pixel (bright where the two differ most). {loss_name} per image, left to right: "
        + ", ".join(_num(v) for v in losses) + ".")), as_drawn=True)


def _scatter_facts(pts: np.ndarray, lab: np.ndarray) -> str:
    """What a scatter of labelled points shows: how far it spreads, and how well the classes keep
    together (the share of points whose nearest other point has their class)."""
    spread = pts.std(0).mean()
    if len(pts) > 1:
        d = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1) if len(pts) <= 2000 else None
        if d is not None:
            np.fill_diagonal(d, np.inf)
            same = float((lab[d.argmin(1)] == lab).mean())
            return (f"spread (standard deviation) {spread:.2f}; for {same:.0%} of the points the "
                    f"nearest other point is of the same class")
    return f"spread (standard deviation) {spread:.2f}"


def _label_centres(ax, pts: np.ndarray, lab: np.ndarray, class_names: Sequence[str]) -> None:
    """Each class's name at the median of its points, so the classes can be told apart without
    their colours (a light halo keeps the name readable over the points)."""
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    for k, name in enumerate(class_names):
        sel = lab == k
        if sel.any():
            x, y = np.median(pts[sel], axis=0)
            ax.text(x, y, name, ha="center", va="center", fontsize=10, fontweight="bold",
                    color="black", path_effects=halo, zorder=5)


def latent_scatter(points: Points(dim=2), labels: ClassLabels("points", "class_names"),
                   class_names: NAMES = DIGIT_NAMES, title: str = "", ax: Axes = None,
                   xlabel: str = "latent 1", ylabel: str = "latent 2", legend: bool = True):
    """Scatter of 2-D points coloured by class, each class's name at its centre, with a legend.
    Returns the figure."""
    pts, lab = points.numpy(), labels.numpy()
    alone = ax is None
    if alone:
        _, ax = plt.subplots(figsize=(5.2, 4.4))   # with the legend beside it: within BOOK_WIDTH
    for k, name in enumerate(class_names):
        sel = lab == k
        ax.scatter(pts[sel, 0], pts[sel, 1], s=6, alpha=0.7, color=CLASS_COLORS[k], label=name)
    _label_centres(ax, pts, lab, class_names)
    ax.set_title(title, fontsize=10)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if legend:
        ax.legend(markerscale=3, fontsize=SMALLEST_TEXT, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    if not alone:
        return ax.figure
    return describe(ax.figure, _said(title, (
        f"A scatter plot of {len(pts):,} points, {xlabel} across and {ylabel} up, one colour per "
        f"class, each class's name written at its centre ({', '.join(class_names)}): "
        f"{_scatter_facts(pts, lab)}.")))


def scatter_pair(points_a: Points(dim=2), points_b: Points(dim=2, n="points_a"),
                 labels: ClassLabels("points_a", "class_names"), titles: tuple[str, str],
                 class_names: NAMES = DIGIT_NAMES, xlabel: str = "latent 1",
                 ylabel: str = "latent 2", suptitle: str = "", share_axes: bool = False,
                 prior_circle: bool = False, zoom: bool = False) -> Figure:
    """Two 2-D scatters of the same images side by side, one legend below both.

    ``share_axes``: both panels on the same scale, so sizes can be compared. ``prior_circle``:
    a dashed circle around the origin holding 95% of N(0, I) in 2-D (radius 2.45), where
    random latent points come from. ``zoom``: a third panel shows ``points_b`` again on a scale
    of their own, for when the shared scale makes them a small blob."""
    panels = 3 if zoom else 2
    fig, axes = plt.subplots(1, panels, figsize=(BOOK_WIDTH, 3.9 if panels == 2 else 3.0))
    if share_axes:
        axes[1].sharex(axes[0]), axes[1].sharey(axes[0])
    shown = [(axes[0], points_a, titles[0]), (axes[1], points_b, titles[1])]
    if zoom:
        shown.append((axes[2], points_b, f"{titles[1]}, zoomed in"))
    for ax, pts, title in shown:
        latent_scatter(pts, labels, class_names, title, ax=ax, xlabel=xlabel, ylabel=ylabel, legend=False)
        if prior_circle:
            ax.add_patch(plt.Circle((0, 0), prior_radius(2, 0.95), fill=False, linestyle="--", color="black",
                                    linewidth=1.2, label="95% of N(0, I)"))
    if zoom:
        axes[2].set_aspect("equal", adjustable="datalim")
    handles, names = axes[0].get_legend_handles_labels()
    ncol = 10 if max(len(n) for n in class_names) <= 2 else 5
    if prior_circle:
        ncol = min(ncol + 1, 11)
    fig.legend(handles, names, loc="lower center", ncol=ncol, fontsize=SMALLEST_TEXT, markerscale=3, frameon=False,
               bbox_to_anchor=(0.5, 0.0), columnspacing=1.0, handletextpad=0.3)
    fig.tight_layout(rect=(0, 0.08 if ncol >= 10 else 0.13, 1, 1))
    if suptitle:
        fig.suptitle(suptitle, fontsize=11, y=1.0, va="bottom")
    lab = labels.numpy()
    said = [f"Two scatter plots side by side{', on one scale' if share_axes else ''}, "
            f"{xlabel} across and {ylabel} up: the same {len(lab):,} images, one point each, one "
            f"colour per class, each class's name written at its centre."]
    radius = prior_radius(2, 0.95)
    for side, pts, name in (("Left", points_a, titles[0]), ("Right", points_b, titles[1])):
        pts = pts.numpy()
        fact = f"{side}, {name}: {_scatter_facts(pts, lab)}"
        if prior_circle:
            fact += f"; {(np.linalg.norm(pts, axis=1) <= radius).mean():.0%} inside the circle"
        said.append(fact + ".")
    if prior_circle:
        said.insert(1, f"A dashed circle of radius {radius:.2f} around the origin holds 95% of "
                       f"the points N(0, I) draws.")
    return describe(fig, _said(suptitle, " ".join(said)))


def tsne(encodings: Points(), seed: TSNE_SEED = 0, perplexity: Real(above=0) = 30.0) -> np.ndarray:
    """2-D t-SNE of (N, d) encodings (scikit-learn, PCA initialisation, fixed seed)."""
    from sklearn.manifold import TSNE

    if len(encodings) <= perplexity:
        raise ConfigError(f"t-SNE with perplexity {perplexity:g} needs more than {perplexity:g} "
                          f"points, got {len(encodings)}; pass more encodings or a smaller perplexity")
    return TSNE(n_components=2, perplexity=perplexity, init="pca",
                random_state=seed).fit_transform(encodings.numpy())


def tsne_pair(encodings_a: Points(), encodings_b: Points(n="encodings_a"),
              labels: ClassLabels("encodings_a", "class_names"), titles: tuple[str, str],
              class_names: NAMES = DIGIT_NAMES, max_points: Count(1, 20000) = 1000, seed: TSNE_SEED = 0,
              suptitle: str = "") -> Figure:
    """t-SNE of two models' encodings of the same images, side by side, same settings."""
    keep = torch.from_numpy(np.sort(np.random.default_rng(seed).permutation(len(labels))[:max_points]))
    a, b = (torch.from_numpy(tsne(enc[keep], seed=seed)).double() for enc in (encodings_a, encodings_b))
    return scatter_pair(a, b, labels[keep], list(titles), class_names, "t-SNE 1", "t-SNE 2", suptitle)


@torch.no_grad()
def manifold(model: Model("ae", "vae", latent_dim=2), n: Count(1, MAX_GRID, fits=lambda n: 3 * n**2 * IMAGE_BYTES) = 15,
             span: Real(above=0) = 2.0, title: str = "Decoded grid over the 2-D latent space") -> Figure:
    """Decode an n x n grid of points of a 2-D latent space into one big image."""
    axis = np.linspace(-span, span, n)
    zz = torch.tensor([[x, y] for y in axis[::-1] for x in axis], dtype=torch.float32)
    imgs = decode(model, zz).numpy().reshape(n, n, 28, 28)
    canvas = imgs.transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(canvas, cmap="gray_r", extent=(-span, span, -span, span))
    ax.set(xlabel="latent 1", ylabel="latent 2")
    ax.set_title(title, fontsize=11)
    return describe(fig, _said(title, (
        f"A {n} by {n} grid of images, each decoded from one point of the 2-D latent space, the "
        f"points evenly spaced from {-span:g} to {span:g} on both axes (latent 1 across, latent 2 "
        f"up); neighbouring images differ little, so the grid morphs from one digit into the next.")))


TRAINED = Is(History, lambda h: h.epochs and _finite(*h.train_loss, *h.test_loss, *h.reconstruction, *h.kl),
             "a training History of at least one epoch, finite losses (trained.history)")
STEPPED = Is(History, lambda h: h.step_kl and _finite(*h.step_kl, *h.step_reconstruction),
             "a training History of at least one step, finite losses (trained.history)")


def loss_curves(history: TRAINED, title: str = "Training history") -> Figure:
    """Three panels, each on its own axis: the total loss on training and held-out images,
    then its two parts on the training images (reconstruction, KL)."""
    ep = history.epochs
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(BOOK_WIDTH, 2.9))
    a.plot(ep, history.train_loss, label="training")
    a.plot(ep, history.test_loss, label="held-out", linestyle="--")
    a.set_title("loss = reconstruction + β·KL", fontsize=SMALLEST_TEXT)
    a.set_ylabel("per image")
    a.legend(fontsize=SMALLEST_TEXT)
    b.plot(ep, history.reconstruction, color="tab:green", label="reconstruction")
    b.set_title("reconstruction (training)", fontsize=SMALLEST_TEXT)
    c.plot(ep, history.kl, color="tab:red", label="KL")
    c.set_title("KL, nats (training)", fontsize=SMALLEST_TEXT)
    for ax in (a, b, c):
        ax.set_xlabel("epoch")
    _suptitle(fig, title)
    return describe(fig, _said(title, (
        f"Three line plots over {len(ep)} epochs, each on its own scale. Left, the loss per image: "
        f"on training images {_span([history.train_loss[0], history.train_loss[-1]])}, on held-out "
        f"images (dashed) {_span([history.test_loss[0], history.test_loss[-1]])}. Middle and "
        f"right, its two parts on training images: reconstruction "
        f"{_span([history.reconstruction[0], history.reconstruction[-1]])}, "
        f"KL {_span([history.kl[0], history.kl[-1]])} nats.")))


def loss_per_step(reconstruction: Numbers(least=1), kl: Numbers(least=1), title: str = "",
                  reconstruction_name: str = "reconstruction (MSE)") -> Figure:
    """The two losses of a hand-written training loop, one value per batch, side by side."""
    reconstruction, kl = reconstruction.numpy(), kl.numpy()
    fig, (a, b) = plt.subplots(1, 2, figsize=(BOOK_WIDTH, 2.8))
    a.plot(reconstruction, color="tab:green")
    a.set_title(reconstruction_name, fontsize=10)
    b.plot(kl, color="tab:red")
    b.set_title("KL divergence (nats)", fontsize=10)
    for ax in (a, b):
        ax.set_xlabel("step (one batch)")
    a.set_ylabel("per image")
    _suptitle(fig, title)
    tenth = max(1, len(reconstruction) // 10)
    start = lambda v: float(v[:tenth].mean())  # noqa: E731  (a tenth of the steps: less noise)
    end = lambda v: float(v[-tenth:].mean())  # noqa: E731
    return describe(fig, _said(title, (
        f"Two line plots over {len(reconstruction)} training steps, one value per batch. Left, "
        f"{reconstruction_name} per image: about {_num(start(reconstruction))} over the first tenth "
        f"of the steps, {_num(end(reconstruction))} over the last. Right, the KL divergence: about "
        f"{_num(start(kl))} at first, {_num(end(kl))} at the end.")))


def step_curves(histories: Named(STEPPED, what="name -> History of a run"), steps: Count(1) = None,
                title: str = "") -> Figure:
    """The first ``steps`` batches of several training runs (``train.History`` each, one line
    per run): the reconstruction loss (left) and the KL (right, on a log scale, so that a
    KL that explodes and one of a few nats fit on one figure)."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(BOOK_WIDTH, 2.9))
    for name, h in histories.items():
        rec, kl = h.step_reconstruction[:steps], h.step_kl[:steps]
        steps_ = range(1, len(rec) + 1)
        a.plot(steps_, rec, label=name)
        b.plot(steps_, np.maximum(kl, 1e-3), label=name)
    b.set_yscale("log")
    a.set_title("reconstruction loss", fontsize=SMALLEST_TEXT)
    b.set_title("KL divergence (nats, log scale)", fontsize=SMALLEST_TEXT)
    for ax in (a, b):
        ax.set_xlabel("step (one batch)")
    a.set_ylabel("per image")
    a.legend(fontsize=SMALLEST_TEXT)
    _suptitle(fig, title)
    runs = "; ".join(
        f"{name}: reconstruction {_span([h.step_reconstruction[:steps][0], h.step_reconstruction[:steps][-1]])}, "
        f"KL {_span([h.step_kl[:steps][0], h.step_kl[:steps][-1]])}"
        for name, h in histories.items() if h.step_reconstruction[:steps])
    return describe(fig, _said(title, (
        f"Two line charts, one line per training run, against the step (one batch): left the "
        f"reconstruction loss per image, right the KL divergence in nats on a log scale. From the "
        f"first step to the last shown: {runs}.")))


def kl_bars(kl: Named(Numbers(least=1), what="name -> KL per latent number"),
            title: str = "KL of each latent number") -> Figure:
    """Grouped bars: the KL of each latent dimension ((d,) nats, e.g.
    ``likelihood.kl_per_dimension``) for each named model. A dimension near 0 is unused."""
    kl = {name: v.numpy() for name, v in kl.items()}
    fig, ax = plt.subplots(figsize=(BOOK_WIDTH * 0.7, 2.8))
    width = 0.8 / len(kl)
    for i, (name, v) in enumerate(kl.items()):
        ax.bar(np.arange(len(v)) + i * width, v, width, label=name)
    ax.set_xticks(np.arange(len(v)) + width * (len(kl) - 1) / 2, [str(j + 1) for j in range(len(v))])
    ax.set(xlabel="latent number", ylabel="KL (nats per image)")
    # beside the axes: inside, it covered the first bars whatever corner it took
    ax.legend(fontsize=SMALLEST_TEXT, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(title, fontsize=11)
    said = "; ".join(f"{name}: " + ", ".join(f"{float(v):.2f}" for v in values)
                     for name, values in kl.items())
    return describe(fig, _said(title, (
        f"Groups of bars, one group per latent number, one bar per model: the KL of that latent "
        f"number in nats per image (near 0: the number is unused). The values: {said}.")))


def layer_sizes(model: Model("ae", "vae", mlp=True)) -> list[int]:
    """The widths of an MLP autoencoder's or VAE's bowtie, input to output, read off its own
    Linear layers: e.g. [784, 256, 128, 5, 128, 256, 784]."""
    linear = lambda part: [m for m in part.modules() if isinstance(m, torch.nn.Linear)]  # noqa: E731
    encoder, decoder = linear(model.encoder), linear(model.decode_logits)
    return [encoder[0].in_features] + [m.out_features for m in encoder] + \
        [model.latent_dim] + [m.out_features for m in decoder]


def bowtie(sizes: SIZES, title: str = "The bowtie: layer widths of the real model") -> Figure:
    """Draw the layers as bars whose height is their width: encoder, latent, decoder
    (``sizes`` as :func:`layer_sizes` reads them off a model)."""
    mid = len(sizes) // 2
    fig, ax = plt.subplots(figsize=(BOOK_WIDTH, 3.2))
    heights = np.sqrt(np.array(sizes, dtype=float))  # sqrt so 5 is still visible next to 784
    for i, (s, h) in enumerate(zip(sizes, heights)):
        color = "tab:blue" if i < mid else ("tab:orange" if i == mid else "tab:green")
        ax.bar(i, h, bottom=-h / 2, width=0.5, color=color, alpha=0.85)
        ax.text(i, h / 2 + 0.8, str(s), ha="center", fontsize=10)
        if i < len(sizes) - 1:
            nh = heights[i + 1]
            ax.fill([i + 0.25, i + 0.75, i + 0.75, i + 0.25], [h / 2, nh / 2, -nh / 2, -h / 2],
                    color="lightgray", alpha=0.5)
    ax.set_xticks(range(len(sizes)))
    names = ["input"] + ["hidden"] * (mid - 1) + ["latent"] + ["hidden"] * (mid - 1) + ["output"]
    ax.set_xticklabels(names)
    ax.set_yticks([])
    ax.set_ylim(-heights.max() / 2 - 1, heights.max() / 2 + 3)
    ax.text(mid / 2, -heights.max() / 2 - 0.5, "encoder", ha="center", color="tab:blue")
    ax.text(mid + mid / 2, -heights.max() / 2 - 0.5, "decoder", ha="center", color="tab:green")
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.set_title(title, fontsize=11)
    return describe(fig, _said(title, (
        "The layers as bars, each as tall as the square root of its width: the encoder narrows "
        f"{' → '.join(map(str, sizes[:mid + 1]))} numbers, the latent code in the middle, then "
        f"the decoder widens {' → '.join(map(str, sizes[mid:]))}.")))


BOUNDS = Satisfies(lambda t: isinstance(t.estimates, dict) and t.estimates and _finite(t.elbo, *t.estimates.values()),
                   "likelihood.bound_table(...), finite")


def bound_curves(tables: Named(BOUNDS, what="name -> bound table"),
                 title: str = "The ELBO and the importance-sampled estimate") -> Figure:
    """One line per model: the estimate of log p(x) against the number of samples K (log
    axis), the model's ELBO as a dotted line of the same colour. ``tables``: name ->
    ``likelihood.BoundTable`` (anything with ``.elbo`` and ``.estimates``, K -> nats)."""
    fig, ax = plt.subplots(figsize=(BOOK_WIDTH, 3.2))
    for i, (name, table) in enumerate(tables.items()):
        color = f"C{i}"
        ks = sorted(table.estimates)
        ax.plot(ks, [table.estimates[k] for k in ks], "o-", color=color, label=f"{name}: estimate")
        ax.axhline(table.elbo, color=color, linestyle=":", label=f"{name}: ELBO")
    ax.set_xscale("log")
    all_ks = sorted({k for table in tables.values() for k in table.estimates})
    ax.set_xticks(all_ks, [f"{k:,}" for k in all_ks])
    ax.minorticks_off()
    ax.set(xlabel="K, importance samples per image", ylabel="nats per image (higher is better)")
    # beside the axes: inside, it would cover the end of an ELBO line whatever the data
    ax.legend(fontsize=SMALLEST_TEXT, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    said = [f"For each model a line of the estimate of log p(x), in nats per image, against K "
            f"importance samples per image (K = {', '.join(f'{k:,}' for k in all_ks)}, log scale), "
            f"and its ELBO as a dotted line of the same colour."]
    for name, table in tables.items():
        ks = sorted(table.estimates)
        said.append(f"{name}: the estimate goes {_span([table.estimates[ks[0]], table.estimates[ks[-1]]])}; "
                    f"the ELBO is {_num(table.elbo)}.")
    return describe(fig, _said(title, " ".join(said)))


def gaussian_vs_standard(mu: float, sigma: Real(above=0), ax: Axes = None) -> Figure:
    """The density N(mu, sigma²) beside N(0, 1), with their KL divergence in the title."""
    xs = np.linspace(-5, 5, 400)
    pdf = lambda m, s: np.exp(-0.5 * ((xs - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))  # noqa: E731
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    ax.plot(xs, pdf(0, 1), color="gray", linestyle="--", label="N(0, 1)")
    ax.plot(xs, pdf(mu, sigma), color=SIGMA_COLOR, label=f"N({mu:g}, {sigma:g}²)")
    ax.fill_between(xs, pdf(mu, sigma), alpha=0.2, color=SIGMA_COLOR)
    kl = kl_divergence(torch.tensor([[mu]]), torch.tensor([[2 * np.log(sigma)]])).item()
    ax.set_title(f"μ = {mu:g}, σ = {sigma:g}: KL = {kl:.2f} nats", fontsize=10)
    ax.set(xlabel="latent value", ylabel="density")
    ax.legend(fontsize=SMALLEST_TEXT, loc="upper left")
    return describe(ax.figure, (
        f"The density of N({mu:g}, {sigma:g}²) (solid, shaded) over that of N(0, 1) (dashed), "
        f"latent values from -5 to 5: KL = {kl:.2f} nats."))


def kl_panels(pairs: SequenceOf(TupleOf(Real(), Real(above=0), what="a pair (mu, sigma), sigma above 0"),
                               most=MAX_COLUMNS), title: str = "") -> Figure:
    """:func:`gaussian_vs_standard` for several (mu, sigma) pairs, two panels a row."""
    nrows = int(np.ceil(len(pairs) / 2))
    fig, axes = plt.subplots(nrows, 2, figsize=(BOOK_WIDTH, 2.6 * nrows), sharex=True, squeeze=False)
    for ax, (mu, sigma) in zip(axes.flat, pairs):
        gaussian_vs_standard(mu, sigma, ax=ax)
    for ax in axes.flat[len(pairs):]:
        ax.axis("off")
    _suptitle(fig, title)
    return describe(fig, _said(title, (
        f"{len(pairs)} panels, each the density of N(μ, σ²) (solid, shaded) over that of N(0, 1) "
        "(dashed), with their KL divergence: " + "; ".join(
            ax.get_title().replace(":", ",") for ax in axes.flat[:len(pairs)]) + ".")))


def encoding_bars(images: Images(least=1, most=MAX_COLUMNS), codes: Points(n="images"),
                  labels: ClassLabels("images", len(CLASS_COLORS)), names: Texts(n="images"),
                  title: str = "") -> Figure:
    """A few images (left) and their latent codes as grouped bars (right), one colour per
    class; a repeated class gets a hatched bar."""
    imgs, codes, labels = _np_images(images), codes.numpy(), labels.tolist()
    n, d = codes.shape
    fig, (a, b) = plt.subplots(1, 2, figsize=(BOOK_WIDTH, 2.7), gridspec_kw={"width_ratios": [1, 2]})
    a.imshow(np.concatenate(list(imgs), axis=1), cmap="gray_r", vmin=0, vmax=1)
    a.axis("off")
    a.set_title(", ".join(names), fontsize=SMALLEST_TEXT)
    width = 0.8 / n
    seen: set[int] = set()
    for i, (code, label, name) in enumerate(zip(codes, labels, names)):
        hatch = "//" if int(label) in seen else None
        seen.add(int(label))
        b.bar(np.arange(d) + (i - (n - 1) / 2) * width, code, width=width, label=name,
              color=CLASS_COLORS[int(label)], hatch=hatch, edgecolor="white")
    b.axhline(0, color="gray", linewidth=0.8)
    b.set_xticks(range(d), [f"mu {k + 1}" for k in range(d)])
    b.set_ylabel("value")
    b.legend(fontsize=SMALLEST_TEXT)
    _suptitle(fig, title)
    codes_said = "; ".join(f"{name}: " + ", ".join(f"{v:.1f}" for v in code) for name, code in zip(names, codes))
    return describe(fig, _said(title, (
        f"Left, {n} images ({', '.join(names)}). Right, their {d} latent numbers (mu 1 to mu {d}) "
        f"as groups of bars, one colour per class, a repeated class hatched. The values: {codes_said}.")))


def judged_grid(samples: SHOWN, verdict: Fields("what metrics.judge_samples returns",
                                                pred=ClassLabels("samples", "class_names"),
                                                confidence=Numbers("samples"), clear=Flags("samples")),
                class_names: NAMES = DIGIT_NAMES, ncols: COLUMNS = 10, sort: bool = True, title: str = "") -> Figure:
    """Generated images captioned with the judge's guess (see ``metrics.judge_samples``);
    questionable ones in red and marked "?". With ``sort``, most convincing first, and each
    caption shows, under the guess, the confidence cut (not rounded) to two decimals, so 0.899
    reads 0.89, never a red 0.90. Captions are two short lines, large enough to read on a phone."""
    order = verdict["confidence"].argsort(descending=True) if sort else torch.arange(len(samples))
    titles, guesses = [], []
    for i in order.tolist():
        name = class_names[int(verdict["pred"][i])] + ("" if verdict["clear"][i] else "?")
        guesses.append(name)
        titles.append(f"{name}\n{int(verdict['confidence'][i] * 100) / 100:.2f}" if sort else name)
    colours = ["black" if verdict["clear"][i] else "tab:red" for i in order.tolist()]
    clear = int(verdict["clear"].sum())

    def counted(names: list) -> str:   # "three 7s" reads as "7 ×3"
        return ", ".join(f"{name} ×{names.count(name)}" for name in sorted(set(names), key=class_names.index))

    kept = [g for g in guesses if not g.endswith("?")]
    doubted = [g[:-1] for g in guesses if g.endswith("?")]
    alt = (f"{len(titles)} generated images in rows of {ncols}{', most convincing first' if sort else ''}, "
           f"each captioned with the judge's guess{' and its confidence' if sort else ''}: {clear} "
           f"clear, {len(titles) - clear} questionable (in red, marked with a question mark). "
           f"Clear, by the judge's guess: {counted(kept) or 'none'}. "
           f"Questionable, by its best guess: {counted(doubted) or 'none'}.")
    return image_grid(samples[order], ncols=ncols, titles=titles, title_colors=colours, title=title, alt=alt,
                      caption_size=SMALLEST_TEXT + 3)


def vae_bowtie(sizes: SIZES, title: str = "The VAE's bowtie: two numbers per latent dimension") -> Figure:
    """The bowtie of a VAE (``sizes`` as ``models.layer_sizes`` gives them, e.g.
    [784, 256, 128, 5, 128, 256, 784]): the encoder ends in two heads, mu and sigma, each as
    wide as the latent space; the latent point z = mu + sigma * eps is drawn from them, with
    the noise eps coming from outside; the decoder sees z only. Bar heights are sqrt(width)."""
    mid = len(sizes) // 2
    latent, enc, dec = sizes[mid], sizes[:mid], sizes[mid + 1:]
    h = lambda n: float(np.sqrt(n))  # noqa: E731  (sqrt so 5 is still visible next to 784)
    top = h(max(sizes)) / 2
    fig, ax = plt.subplots(figsize=(BOOK_WIDTH, 3.6))
    head, z_at = len(enc), len(enc) + 1.4  # x positions of the two heads and of z
    # the encoder's layers, then the two heads stacked above and below the axis
    xs = list(range(len(enc))) + [head, head, z_at] + [z_at + 1 + i for i in range(len(dec))]
    boxes = [(x, -h(s) / 2, h(s), "tab:blue", str(s)) for x, s in zip(range(len(enc)), enc)]
    gap = 1.2
    boxes += [(head, gap / 2, h(latent), SIGMA_COLOR, f"mu: {latent}"),
              (head, -gap / 2 - h(latent), h(latent), SIGMA_COLOR, None),
              (z_at, -h(latent) / 2, h(latent), "tab:orange", f"z: {latent}")]
    boxes += [(z_at + 1 + i, -h(s) / 2, h(s), "tab:green", str(s)) for i, s in enumerate(dec)]
    for x, bottom, height, color, label in boxes:
        ax.bar(x, height, bottom=bottom, width=0.45, color=color, alpha=0.85)
        if label:
            ax.text(x, bottom + height + 0.4, label, ha="center", va="bottom", fontsize=SMALLEST_TEXT)
    ax.text(head, -gap / 2 - h(latent) - 0.4, f"sigma: {latent}", ha="center", va="top", fontsize=SMALLEST_TEXT)
    # grey trapezoids between consecutive layers; the last encoder layer feeds both heads
    def link(x0, lo0, hi0, x1, lo1, hi1):
        ax.fill([x0 + 0.23, x1 - 0.23, x1 - 0.23, x0 + 0.23], [hi0, hi1, lo1, lo0],
                color="lightgray", alpha=0.5, linewidth=0)
    for i in range(len(enc) - 1):
        link(i, -h(enc[i]) / 2, h(enc[i]) / 2, i + 1, -h(enc[i + 1]) / 2, h(enc[i + 1]) / 2)
    last = h(enc[-1]) / 2
    link(head - 1, 0, last, head, gap / 2, gap / 2 + h(latent))
    link(head - 1, -last, 0, head, -gap / 2 - h(latent), -gap / 2)
    chain = [latent] + dec
    for i in range(len(dec)):
        x0 = z_at if i == 0 else z_at + i
        link(x0, -h(chain[i]) / 2, h(chain[i]) / 2, z_at + 1 + i, -h(chain[i + 1]) / 2, h(chain[i + 1]) / 2)
    arrow = dict(arrowstyle="->", color="tab:orange", lw=1.2)
    for y in (gap / 2 + h(latent) / 2, -gap / 2 - h(latent) / 2):
        ax.annotate("", xy=(z_at - 0.24, 0), xytext=(head + 0.24, y), arrowprops=arrow)
    ax.annotate("z = mu + sigma · ε\nnoise ε ~ N(0, 1)", xy=(z_at, -h(latent) / 2 - 0.1),
                xytext=(z_at, -top + 2.2),
                ha="center", va="top", fontsize=SMALLEST_TEXT, color="tab:orange", arrowprops=arrow)
    ax.set_xticks(xs[:head + 1] + xs[head + 2:])
    ax.set_xticklabels(["input"] + ["hidden"] * (len(enc) - 1) + ["heads", "latent"]
                       + ["hidden"] * (len(dec) - 1) + ["output"])
    ax.set_yticks([])
    ax.set_xlim(-0.5, xs[-1] + 0.5)
    ax.set_ylim(-top - 1.6, top + 2.6)
    ax.text((len(enc) - 1) / 2 + 0.5, -top - 1.2, "encoder", ha="center", color="tab:blue")
    ax.text(z_at + 1 + (len(dec) - 1) / 2, -top - 1.2, "decoder", ha="center", color="tab:green")
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.set_title(title, fontsize=11)
    return describe(fig, _said(title, (
        "The layers as bars, each as tall as the square root of its width: the encoder narrows "
        f"{' → '.join(map(str, enc))} numbers and ends in two heads, mu and sigma, {latent} numbers "
        f"each; the latent point z = mu + sigma · ε ({latent} numbers) is drawn from them with "
        f"noise ε from N(0, 1); the decoder widens {' → '.join(map(str, [latent] + dec))}.")))


# --------------------------------------------------------------------------- what log p(x) knows

# one colour per data set, the same in every figure of the likelihood chapter (and its widget)
DATASET_COLORS = {"digits": "tab:blue", "clothes": "tab:orange"}


def _dataset_color(name: str, i: int):
    return DATASET_COLORS.get(name, f"C{i + 2}")


def _median(values) -> float:
    """The median as the chapters print it (``tensor.median()``: the lower of the two middle
    values of an even count), so that a legend and the printout beside it agree."""
    return float(torch.as_tensor(np.asarray(values, dtype=float)).median())


def log_likelihood_histograms(scores: Named(Scores(), what="model name -> {set: scores}"),
                              title: str = "log p(x) under each model",
                              xlabel: str = "log p(x), nats (higher: more likely)") -> Figure:
    """One panel per model: histograms of its log p(x) (or any score, higher meaning more
    likely) for each data set. ``scores``: model name -> {data set name -> (N,) scores}."""
    fig, axes = plt.subplots(1, len(scores), figsize=(BOOK_WIDTH, 2.9), squeeze=False)
    for ax, (model_name, per_set) in zip(axes.flat, scores.items()):
        values = {s: v.numpy() for s, v in per_set.items()}
        low = min(np.quantile(v, 0.005) for v in values.values())
        high = max(v.max() for v in values.values())
        bins = np.linspace(low, high, 40)
        for i, (name, v) in enumerate(values.items()):
            ax.hist(np.clip(v, low, None), bins=bins, alpha=0.6, color=_dataset_color(name, i),
                    label=f"{name} (median {_median(v):.0f})")
        ax.set_title(model_name, fontsize=SMALLEST_TEXT)
        ax.set_xlabel(xlabel, fontsize=SMALLEST_TEXT)
        ax.set_yticks([])
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))   # the panels' end labels must not meet
        ax.legend(fontsize=SMALLEST_TEXT, loc="upper left")
    _suptitle(fig, title)
    said = "; ".join(f"{model_name}: " + ", ".join(
        f"{name} median {_median(v):.0f}" for name, v in per_set.items())
        for model_name, per_set in scores.items())
    return describe(fig, _said(title, (
        f"{len(scores)} panels of overlapping histograms, one per model, one colour per data set, "
        f"of {xlabel}. {said}.")))


def complexity_scatter(scores: Named(Scores(like="complexity"), what="model name -> {set: log p(x)}"),
                       complexity: Scores(), title: str = "",
                       xlabel: str = "compressed size of the image (PNG), nats") -> Figure:
    """One panel per model: log p(x) of each image against how complex it is.
    ``scores``: model name -> {data set -> (N,) log p(x)}; ``complexity``: data set -> (N,)."""
    fig, axes = plt.subplots(1, len(scores), figsize=(BOOK_WIDTH, 3.0), squeeze=False, sharex=True)
    for ax, (model_name, per_set) in zip(axes.flat, scores.items()):
        for i, (name, v) in enumerate(per_set.items()):
            ax.scatter(complexity[name].numpy(), v.numpy(), s=4, alpha=0.5,
                       color=_dataset_color(name, i), label=name, linewidths=0)
        ax.set_title(model_name, fontsize=SMALLEST_TEXT)
        ax.set_xlabel(xlabel, fontsize=SMALLEST_TEXT)
        ax.set_ylabel("log p(x), nats", fontsize=SMALLEST_TEXT)
        ax.legend(fontsize=SMALLEST_TEXT, markerscale=3)
    _suptitle(fig, title)
    sets = list(complexity)
    return describe(fig, _said(title, (
        f"{len(scores)} scatter plots, one per model ({', '.join(scores)}): one point per image, "
        f"one colour per data set ({', '.join(sets)}), {xlabel} across and log p(x) in nats up; "
        f"the more complex the image, the lower its log p(x).")))


checked(globals())
