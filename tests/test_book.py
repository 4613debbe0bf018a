"""The book's named models: one configuration per name, epochs fitted to the data found."""

import pytest

from vae_tutorial import book, data
from vae_tutorial.train import checkpoint_path


def test_recipes_share_one_configuration_per_name(mnist_root):
    full = data.load_mnist(mnist_root, quiet=True)
    offline = data.load_mnist(quiet=True)
    assert book.config("vae", full).epochs == book.EPOCHS["full"]
    assert book.config("vae", offline).epochs == book.EPOCHS["offline-5000"]
    assert book.config("vae", offline) == book.config("vae", offline)
    assert book.config("vae", offline, beta=10.0).beta == 10.0
    # chapters asking for the same model land on the same cache file; another beta does not
    path = checkpoint_path(book.config("vae", offline), offline)
    assert path == checkpoint_path(book.config("vae", offline), offline)
    assert path != checkpoint_path(book.config("vae", offline, beta=10.0), offline)


def test_clothes_recipes_keep_their_own_epochs(mnist_root):
    any_data = data.load_mnist(mnist_root, quiet=True)
    assert book.config("clothes-vae", any_data).epochs == book.RECIPES["clothes-vae"].epochs
    assert book.config("clothes-conv-vae", any_data).model.architecture == "conv"


def test_unknown_recipe_names_the_choices():
    with pytest.raises(KeyError, match="vae-2d"):
        book.config("gan", None)


# ---------------------------------------------------------------- the weights that ship

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from vae_tutorial import cache, metrics, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((cache.PRETRAINED_DIR / "MANIFEST.json").read_text())
DEBIAN_FASHION = data.DEBIAN_FASHION_DIR   # before conftest points it elsewhere


def _variant(entry) -> SimpleNamespace:
    """What book.config reads of the data: its variant (full, or its first n images)."""
    return SimpleNamespace(variant="full" if entry["first"] is None else f"full-first-{entry['first']}")


def test_every_shipped_recipe_is_in_the_manifest_under_the_name_readers_compute():
    models = [e for e in MANIFEST if not e["recipe"].startswith("judge-")]
    assert [(e["recipe"], e["overrides"], e["data"]["dataset"], e["first"]) for e in models] == \
        [tuple(s) for s in book.SHIPPED]
    for entry in models:
        config = book.config(entry["recipe"], _variant(entry), **entry["overrides"])
        description = train._description(config, entry["data"])
        assert entry["file"] == cache.entry_name(train._label(config), description)
        payload = cache.read(cache.PRETRAINED_DIR / entry["file"])   # finite, our format
        assert payload["description"] == description and payload["history"]["test_loss"] == []
    judges = {e["data"]["dataset"]: e for e in MANIFEST if e["recipe"].startswith("judge-")}
    assert set(judges) == {"mnist", "fashion-mnist"}
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
    monkeypatch.setattr(train, "fit", lambda *a, **k: pytest.fail("trained instead of loading"))
    monkeypatch.setattr(metrics, "_fit_classifier", lambda *a: pytest.fail("trained the judge"))
    for name, overrides, dataset, first in book.SHIPPED:
        if dataset == "mnist":
            got = book.trained(name, digits if first is None else digits.first(first), **overrides)
            assert got.origin == "shipped", name
    metrics.train_classifier(digits)


def test_fashion_mnist_from_debian_finds_its_shipped_models(monkeypatch):
    if not DEBIAN_FASHION.is_dir():
        pytest.skip("needs Debian's dataset-fashion-mnist")
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", DEBIAN_FASHION)
    clothes = data.load_fashion_mnist(quiet=True)
    monkeypatch.setattr(train, "fit", lambda *a, **k: pytest.fail("trained instead of loading"))
    for name, overrides, dataset, first in book.SHIPPED:
        if dataset == "fashion-mnist":
            got = book.trained(name, clothes if first is None else clothes.first(first), **overrides)
            assert got.origin == "shipped", name
