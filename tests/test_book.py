"""The book's named models: one configuration per name, epochs fitted to the data found."""

import pytest

from dataclasses import replace

from vae_tutorial import book, data
from vae_tutorial.models import ModelConfig
from vae_tutorial.train import TrainConfig
from vae_tutorial.support.errors import ConfigError
from vae_tutorial.runs import checkpoint_path


def test_recipes_share_one_configuration_per_name(mnist_root):
    full = data.load_mnist(mnist_root, quiet=True)
    offline = data.load_mnist(quiet=True)
    # the article's VAE, written out: every chapter that asks for "vae" trains exactly this
    article = TrainConfig(model=ModelConfig(kind="vae", latent_dim=5, hidden_dims=(256, 128)),
                          dataset="mnist", loss="mse", beta=1.0, batch_size=128, lr=3e-3, seed=0,
                          schedule="one-cycle", epochs=book.ONE_CYCLE_EPOCHS["offline-5000"])
    assert book.config("vae", offline) == article
    assert book.config("vae", full) == replace(article, epochs=book.ONE_CYCLE_EPOCHS["full"])
    # the 2-d models and the rest keep the constant rate and the book's epochs
    assert book.config("vae-2d", full).epochs == book.EPOCHS["full"]
    assert book.config("vae-2d", full).schedule == "constant"
    assert book.config("vae", offline, beta=10.0) == replace(article, beta=10.0)
    # another beta (or other data) is another cache file
    path = checkpoint_path(book.config("vae", offline), offline)
    assert path.name.startswith("vae-mnist-") and path.name.endswith(".pt")
    assert path != checkpoint_path(book.config("vae", offline, beta=10.0), offline)
    assert path != checkpoint_path(book.config("vae", offline), full)
    # a recorded run (chapter 7) is an entry of its own
    assert path != checkpoint_path(book.config("vae", offline), offline, record=True)


def test_clothes_recipes_keep_their_own_epochs(mnist_root):
    any_data = data.load_mnist(mnist_root, quiet=True)
    assert book.config("clothes-vae", any_data).epochs == book.RECIPES["clothes-vae"].epochs
    assert book.config("clothes-conv-vae", any_data).model.architecture == "conv"


def test_unknown_recipe_or_setting_gets_one_line_naming_the_choices(mnist_root):
    with pytest.raises(ConfigError, match="name must be one of 'ae', 'vae', .*'vae-2d'.*got 'gan'"):
        book.config("gan", None)
    with pytest.raises(ConfigError, match="name must be one of .*got 'gan'"):
        book.trained("gan")
    digits = data.load_mnist(mnist_root, quiet=True)
    with pytest.raises(ConfigError, match="config.beta must be a finite number >= 0, got -1.0"):
        book.trained("vae", digits, beta=-1.0)
    with pytest.raises(ConfigError, match="unexpected keyword argument 'betta'.*TrainConfig"):
        book.trained("vae", digits, betta=1.0)


# ---------------------------------------------------------------- the weights that ship

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from vae_tutorial import recording, runs  # noqa: E402
from vae_tutorial.data import sources  # noqa: E402
from vae_tutorial.support import cache  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((cache.PRETRAINED_DIR / "MANIFEST.json").read_text())
DEBIAN_FASHION = sources.DEBIAN_FASHION_DIR   # before conftest points it elsewhere


def _variant(entry) -> data.ImageData:
    """A stand-in data set with what book.config reads of the data: its variant (full, or its
    first n images)."""
    images, labels = torch.zeros(2, 28, 28, dtype=torch.uint8), torch.tensor([0, 1])
    return data.ImageData(entry["data"]["dataset"], images, labels, images, labels,
                          "full" if entry["first"] is None else f"full-first-{entry['first']}",
                          "a stand-in", tuple(str(k) for k in range(10)))


def test_every_shipped_recipe_is_in_the_manifest_under_the_name_readers_compute():
    models = [e for e in MANIFEST if not e["recipe"].startswith("judge-")]
    named = lambda overrides: {k: runs.step_name(v) if k == "step" else v  # noqa: E731
                               for k, v in overrides.items()}
    assert [(e["recipe"], e["overrides"], e["data"]["dataset"], e["first"]) for e in models] == \
        [(name, named(overrides), dataset.partition(":")[0], first)
         for name, overrides, dataset, first in book.SHIPPED]
    for entry in models:
        overrides = dict(entry["overrides"])
        step = overrides.pop("step", "")
        config = book.config(entry["recipe"], _variant(entry), **overrides)
        record = recording.spec() if entry["recipe"] in book.RECORDED else None
        description = runs._description(config, entry["data"], step, record)
        assert entry["file"] == cache.entry_name(runs._label(config), description)
        payload = cache.read(cache.PRETRAINED_DIR / entry["file"])   # finite, our format
        assert payload["description"] == description and payload["history"]["test_loss"] == []
        assert ("recording" in payload) == (record is not None)   # chapter 7 shows it
    judges = {e["data"]["dataset"]: e for e in MANIFEST if e["recipe"].startswith("judge-")}
    assert set(judges) == {"mnist", "fashion-mnist"}
    for dataset, entry in judges.items():   # the judge is a model like the others, by its recipe
        config = book.judge_config(_variant({"data": {"dataset": dataset}, "first": None}))
        assert entry["file"] == cache.entry_name(runs._label(config), runs._description(config, entry["data"]))
    shipped = {p.name for p in cache.PRETRAINED_DIR.glob("*.pt")}
    assert shipped == {e["file"] for e in MANIFEST}, "every shipped file is listed, and only those"


def test_the_published_mnist_finds_its_shipped_models_and_judge(tmp_path, monkeypatch):
    """MNIST's 60,000 training digits, rebuilt from the development copy exactly as torchvision
    downloads them, get the shipped weights: no chapter but the training chapter trains."""
    dev = os.environ.get("VAE_TUTORIAL_FULL_DATA") or str(ROOT.parent / "shared" / "mnist-dev")
    if not (Path(dev) / "MNIST" / "raw").is_dir():
        pytest.skip("needs ../shared/mnist-dev (or $VAE_TUTORIAL_FULL_DATA) to rebuild MNIST's training set")
    sys.path.insert(0, str(ROOT / "tools"))
    from mnist_standin import build_standin

    digits = data.load_mnist(build_standin(dev, tmp_path / "standin"), quiet=True)
    monkeypatch.setattr(runs, "fit", lambda *a, **k: pytest.fail("trained instead of loading"))
    for name, overrides, dataset, first in book.SHIPPED:
        if dataset.startswith("mnist"):
            d = digits.binarized() if dataset.endswith(":binarised") else digits
            got = book.trained(name, d if first is None else d.first(first), **overrides)
            assert got.origin == "shipped", name
    book.judge(digits)


def test_fashion_mnist_from_debian_finds_its_shipped_models(monkeypatch):
    if not DEBIAN_FASHION.is_dir():
        pytest.skip("needs Debian's dataset-fashion-mnist")
    monkeypatch.setattr(sources, "DEBIAN_FASHION_DIR", DEBIAN_FASHION)
    clothes = data.load_fashion_mnist(quiet=True)
    monkeypatch.setattr(runs, "fit", lambda *a, **k: pytest.fail("trained instead of loading"))
    for name, overrides, dataset, first in book.SHIPPED:
        if dataset.startswith("fashion-mnist"):
            d = clothes.binarized() if dataset.endswith(":binarised") else clothes
            got = book.trained(name, d if first is None else d.first(first), **overrides)
            assert got.origin == "shipped", name
