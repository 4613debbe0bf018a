"""The code a chapter teaches is the package's own, shown from its source: in the notebook and in
the built book, and never a copy that could drift from what runs."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vae_tutorial import (bugs, latent, likelihood, losses, metrics, models, plots, show, train,
                          yardstick)
from vae_tutorial.support.errors import ConfigError

BOOK = Path(__file__).resolve().parents[1] / "book"
NAMESPACE = {"models": models, "losses": losses, "train": train, "likelihood": likelihood,
             "latent": latent, "metrics": metrics, "plots": plots, "bugs": bugs,
             "yardstick": yardstick}

# What each chapter teaches, shown from the package (issue "the code is the lesson"); "lesson" is
# show.lesson(): the whole VAE, model, losses and loop.
TAUGHT = {
    "02_autoencoder": {"models.mlp", "models.Autoencoder"},
    "03_mu_and_sigma": {"models.Autoencoder -> models.VAE", "models.VAE.reparameterize"},
    "05_reconstruction_loss": {"losses.reconstruction_loss"},
    "06_kl_divergence": {"losses.kl_per_latent", "losses.kl_divergence", "losses.vae_loss"},
    "07_training": {"lesson"},
    "10_when_a_vae_misbehaves": {"bugs.vae_loss_mean_over_pixels", "bugs.vae_loss_kl_sign_flipped",
                                 "models.VAE.reparameterize -> bugs.reparameterize", "bugs.minus_one_to_one",
                                 "losses.vae_loss -> bugs.vae_loss_with_free_bits"},
    "11_draw_me_a_7": {"models.ConditionalVAE", "train.vae_step -> train.conditional_vae_step"},
    "13_how_good": {"yardstick.binarised_step", "yardstick.KLWarmUp"},
}
COLUMNS = 76   # what the book's code column holds at 1280 px without scrolling sideways


def shown_in(chapter: str) -> list[tuple[str, list[str]]]:
    """("code" or "changes", [dotted names]) for every ``show.code(...)`` / ``show.changes(...)``
    call in the chapter's code cells."""
    cells = json.loads((BOOK / f"{chapter}.ipynb").read_text())["cells"]
    calls = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if "show." not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "show"):
                calls.append((node.func.attr, [ast.unparse(arg) for arg in node.args]))
    return calls


def expected_text(kind: str, names: list[str]) -> str:
    if kind == "lesson":
        return str(show.lesson())
    objects = [eval(name, NAMESPACE) for name in names]  # noqa: S307 (names from our own chapters)
    return str(show.code(*objects) if kind == "code" else show.changes(*objects))


def test_code_is_the_exact_source_with_where_it_lives():
    shown = str(show.code(models.VAE.reparameterize))
    first, *body = shown.splitlines()
    assert re.fullmatch(r"# vae_tutorial/models\.py, lines \d+-\d+", first)
    assert "\n".join(body) == show.source(models.VAE.reparameterize)
    assert "mu + sigma * eps" in shown and shown.count("def ") == 1
    assert show.code(losses.kl_divergence)._repr_markdown_().startswith("```python\n# vae_tutorial/losses.py")


def test_changes_show_what_the_vae_adds_to_the_autoencoder():
    diff = str(show.changes(models.Autoencoder, models.VAE)).splitlines()
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert any("fc_z" in line for line in removed)
    assert any("fc_mu" in line for line in added) and any("fc_logvar" in line for line in added)
    assert any("def reparameterize" in line for line in added)
    assert not any("self.decode_logits = " in line or "self.encoder = " in line
                   for line in removed + added)  # the body and the decoder are shared


def test_things_without_source_are_refused_in_one_line():
    with pytest.raises(ConfigError, match=r"show.code: objects\[0\] must be a function, method or class defined in a file, got 3"):
        show.code(3)


@pytest.mark.parametrize("chapter", sorted(TAUGHT))
def test_each_chapter_shows_the_code_it_teaches(chapter):
    shown = set()
    for kind, names in shown_in(chapter):
        shown |= {" -> ".join(names)} if kind == "changes" else {"lesson"} if kind == "lesson" else set(names)
    assert TAUGHT[chapter] <= shown, TAUGHT[chapter] - shown


def test_every_chapter_that_shows_code_is_listed():
    showing = {path.stem for path in BOOK.glob("*.ipynb") if shown_in(path.stem)}
    assert showing == set(TAUGHT)


@pytest.mark.parametrize("chapter", sorted(TAUGHT))
def test_shown_code_fits_the_column(chapter):
    """Shown code is read, not scrolled: each line of each snippet within 76 columns."""
    for kind, names in shown_in(chapter):
        long = [line for line in expected_text(kind, names).splitlines() if len(line) > COLUMNS]
        assert not long, f"{chapter}: show.{kind}({', '.join(names)}) has lines over {COLUMNS}: {long}"


def _code_blocks(page: Path) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [pre.get_text() for pre in soup.select("div.highlight pre")]


@pytest.mark.parametrize("chapter", sorted(TAUGHT))
def test_the_built_book_shows_the_code_that_runs(built_book, chapter):
    """The executed page holds every shown snippet exactly as the package's source is now: a
    stale build, or a copy pasted into a chapter, fails here."""
    blocks = [block.rstrip("\n") for block in _code_blocks(built_book / "book" / f"{chapter}.html")]
    for kind, names in shown_in(chapter):
        assert expected_text(kind, names) in blocks, f"{chapter}: show.{kind}({', '.join(names)})"


# --------------------------------------------------------------------------- the whole VAE, alone

def test_the_lesson_is_the_vae_alone_model_losses_and_loop():
    """Chapter 7's one screen: the VAE, its two losses, its step and loop, and nothing of the other
    chapters (no isinstance ladder, no bug, no conditional VAE, no other model's step)."""
    text = str(show.lesson())
    for wanted in ("class VAE(nn.Module)", "def reparameterize", "def reconstruction_loss",
                   "def kl_divergence", "def vae_loss", "def vae_step", "def train_epoch",
                   "optimizer.zero_grad()", ".backward()", "optimizer.step()"):
        assert wanted in text, wanted
    for unwanted in ("isinstance", "bug", "Conditional", "conditional", "classifier",
                     "Autoencoder", "free_bits", "vae_tutorial.", "from ."):
        assert unwanted not in text.replace("# vae_tutorial/", "# "), unwanted
    code_lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(code_lines) <= 95, len(code_lines)   # one screen: about the size of pytorch's example


def _lesson_from_the_page(built_book) -> str:
    blocks = _code_blocks(built_book / "book" / "07_training.html")
    found = [b for b in blocks if "class VAE(nn.Module)" in b and "def train_epoch" in b]
    assert len(found) == 1, "chapter 7 shows the lesson once"
    return found[0]


def test_the_lesson_from_the_page_trains_alone(built_book, tmp_path):
    """The text chapter 7 shows, taken from the built page and run as it is in a fresh Python with
    only PyTorch and torchvision (the package cannot be imported there), trains a VAE: its own
    last lines read MNIST through torchvision (the offline digits, written where torchvision
    looks, so nothing is downloaded) and run its 15 epochs, each loss lower than the first."""
    from vae_tutorial import data
    from vae_tutorial.support import idx

    digits = data.load_mnist(quiet=True)
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, images, labels in (("train", digits.train_images, digits.train_labels),
                                  ("t10k", digits.test_images, digits.test_labels)):
        idx.write_idx(raw / f"{split}-images-idx3-ubyte", images.numpy())
        idx.write_idx(raw / f"{split}-labels-idx1-ubyte", labels.numpy().astype("uint8"))
    (tmp_path / "lesson.py").write_text(_lesson_from_the_page(built_book))
    guard = ("import sys; sys.modules['vae_tutorial'] = None; sys.argv = ['lesson.py']; "
             "exec(compile(open('lesson.py').read(), 'lesson.py', 'exec'), {'__name__': '__main__'})")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    done = subprocess.run([sys.executable, "-c", guard], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    losses_printed = [float(m) for m in re.findall(r"epoch \d+: loss ([\d.]+)", done.stdout)]
    assert len(losses_printed) == 15, done.stdout
    assert all(loss < losses_printed[0] for loss in losses_printed[1:]), losses_printed
