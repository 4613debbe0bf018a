"""The code a chapter teaches is the package's own, shown from its source: in the notebook and in
the built book, and never a copy that could drift from what runs."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from vae_tutorial import latent, likelihood, losses, metrics, models, plots, show, train
from vae_tutorial.support.errors import ConfigError

BOOK = Path(__file__).resolve().parents[1] / "book"
NAMESPACE = {"models": models, "losses": losses, "train": train, "likelihood": likelihood,
             "latent": latent, "metrics": metrics, "plots": plots}

# What each chapter teaches, shown from the package (issue "the code is the lesson")
TAUGHT = {
    "02_autoencoder": {"models.encoder_body", "models.decoder", "models.Autoencoder"},
    "03_mu_and_sigma": {"models.Autoencoder -> models.VAE", "models.VAE.reparameterize"},
    "05_reconstruction_loss": {"losses.reconstruction_loss"},
    "06_kl_divergence": {"losses.kl_per_latent", "losses.kl_divergence", "losses.vae_loss"},
    "07_training": {"train.batch_loss", "train.fit"},
}


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
    assert not any("self.decoder = decoder(config)" in line for line in removed + added)  # shared


def test_things_without_source_are_refused_in_one_line():
    with pytest.raises(ConfigError, match="show.code needs a function, method or class"):
        show.code(3)


@pytest.mark.parametrize("chapter", sorted(TAUGHT))
def test_each_chapter_shows_the_code_it_teaches(chapter):
    shown = set()
    for kind, names in shown_in(chapter):
        shown |= {" -> ".join(names)} if kind == "changes" else set(names)
    assert TAUGHT[chapter] <= shown, TAUGHT[chapter] - shown


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
