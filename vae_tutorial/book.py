"""The models the book trains, one name each, so every chapter asks for the same
configuration and the checkpoint cache trains each model once per machine.

    trained = book.trained("vae")          # the article's VAE: 784 -> 5 -> 784, MSE + KL
"""

from __future__ import annotations

from dataclasses import replace

from .data import ImageData, load_dataset
from .models import ModelConfig
from .support import inputs
from .support.errors import ConfigError
from .support.runs import TrainedModel, train_or_load
from .train import TrainConfig

# The offline digits are 4,000 images, full MNIST 60,000: about the same number of
# optimiser steps either way (~1,900 and ~7,000), a few seconds to half a minute on a CPU.
EPOCHS = {"full": 15, "offline-5000": 60}

RECIPES: dict[str, TrainConfig] = {
    "ae": TrainConfig(model=ModelConfig(kind="ae", latent_dim=5)),
    "vae": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5)),
    # The 2-d models travel into chapter 3's page (its latent maps run them in the browser):
    # 96/48 wide they fit its 2.5 MB budget; held-out loss about 2% (AE) and 5% (VAE) above 256/128.
    "ae-2d": TrainConfig(model=ModelConfig(kind="ae", latent_dim=2, hidden_dims=(96, 48))),
    "vae-2d": TrainConfig(model=ModelConfig(kind="vae", latent_dim=2, hidden_dims=(96, 48))),
    "vae-bce": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5), loss="bce"),
    # The conditional VAE (chapter 11): the BCE-trained VAE told each digit's label, so the two
    # share one loss and their held-out -ELBOs compare. Its latent numbers hold only the style:
    # three leave fewer holes than five, and the judge reads about 97-99% of its samples as the
    # digit asked for (five: about 90%, with a -ELBO about 7 nats lower; the chapter's exercise).
    "cvae": TrainConfig(model=ModelConfig(kind="cvae", latent_dim=3), loss="bce"),
    # Fashion-MNIST is always the full 60,000; 8 epochs keep the clothes chapter short on a
    # 2-core CPU. The convolutional VAE is an exercise in that chapter, not part of its build.
    "clothes-vae": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5), dataset="fashion-mnist",
                               loss="bce", epochs=8),
    "clothes-conv-vae": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5, architecture="conv",
                                                      hidden_dims=(256,)),
                                    dataset="fashion-mnist", loss="bce", epochs=8),
}


# What ships with the package, trained on torchvision's MNIST / Fashion-MNIST training sets by
# tools/train_pretrained.py: every model a chapter asks for, except the training chapter's, which
# always trains live. Each entry: (recipe, overrides, dataset, first n training images or None).
EQUAL_FOOTING = 4000   # the clothes chapter compares digits and clothes on this many images each
SHIPPED: list[tuple[str, dict, str, int | None]] = [
    ("ae", {}, "mnist", None), ("vae", {}, "mnist", None), ("vae-bce", {}, "mnist", None),
    ("vae", {"beta": 0.0}, "mnist", None), ("vae", {"beta": 10.0}, "mnist", None),
    ("ae-2d", {}, "mnist", None), ("vae-2d", {}, "mnist", None),
    ("clothes-vae", {}, "fashion-mnist", None), ("cvae", {}, "mnist", None),
    ("vae-bce", {"dataset": "mnist", "epochs": EPOCHS["offline-5000"]}, "mnist", EQUAL_FOOTING),
    ("vae-bce", {"dataset": "fashion-mnist", "epochs": EPOCHS["offline-5000"]}, "fashion-mnist",
     EQUAL_FOOTING),
]


def config(name: str, data: ImageData, **overrides) -> TrainConfig:
    """The configuration of recipe ``name`` for ``data`` (epochs fitted to its size)."""
    if name not in RECIPES:
        raise ConfigError(f"no recipe {name!r}; the book has {', '.join(RECIPES)}")
    base = RECIPES[name]
    if base.dataset == "mnist":  # digits: fit the epochs to the data found (full or offline)
        base = replace(base, epochs=EPOCHS.get(data.variant, EPOCHS["full"]))
    return replace(base, **overrides)


def trained(name: str, data: ImageData | None = None, pretrained: bool = True,
            **overrides) -> TrainedModel:
    """Recipe ``name`` for ``data``, on the CPU: the package's shipped weights when they were
    trained on exactly this data, else this machine's cache, else trained now (with a progress
    bar). ``pretrained=False`` skips the shipped weights. One line says which it was."""
    if name not in RECIPES:
        config(name, data)   # one line naming the recipes there are
    if data is None:
        data = load_dataset(RECIPES[name].dataset)
    try:
        chosen = config(name, data, **overrides)
    except TypeError as err:   # an override that is no TrainConfig field
        raise ConfigError(f"book.trained({name!r}, ...): {err}; the settings are the fields of "
                          f"train.TrainConfig") from None
    return train_or_load(chosen, data, pretrained=pretrained)
