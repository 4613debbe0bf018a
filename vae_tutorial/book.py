"""The models the book trains, one name each, so every chapter asks for the same
configuration and the checkpoint cache trains each model once per machine.

    trained = book.trained("vae")          # the article's VAE: 784 -> 5 -> 784, MSE + KL
"""

from __future__ import annotations

from dataclasses import replace

from . import bugs, yardstick
from .data import ImageData, load_dataset
from .metrics.judge import Judge
from .models import ModelConfig
from .fitting import Step
from .runs import TrainedModel, train_or_load
from .support.contracts import Choice, Count, Seed, boundary, checked
from .support.errors import ConfigError
from .train import TrainConfig

# The offline digits are 4,000 images, full MNIST 60,000: about the same number of
# optimiser steps either way (~1,900 and ~7,000), a few seconds to half a minute on a CPU.
EPOCHS = {"full": 15, "offline-5000": 60}
# A fifth of that for the models that only need to show something: chapter 10's bugs (each shows
# within a few epochs) and chapter 8's latent-size sweep (it compares sizes, not finished models).
SHORT_EPOCHS = {"full": 3, "offline-5000": 12}
SHORT = ("vae-short",)
# The book's VAE warms its learning rate up to 3e-3 and anneals it (TrainConfig.schedule
# "one-cycle", stepped by fitting.fit around the loop): a held-out -ELBO as low as 15 epochs at a
# constant 1e-3 in 10 over full MNIST, and in 50 over the offline digits (BENCHMARKS.md).
ONE_CYCLE_EPOCHS = {"full": 10, "offline-5000": 50}
ONE_CYCLE = ("vae",)
# What chapter 7 watches learn (fit's on_epoch, recording.Recorder): the book's VAE, trained live
# there, and chapter 3's two 2-d models, whose maps it shows forming epoch by epoch.
RECORDED = ("vae", "ae-2d", "vae-2d")

RECIPES: dict[str, TrainConfig] = {
    "ae": TrainConfig(model=ModelConfig(kind="ae", latent_dim=5)),
    "vae": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5), lr=3e-3, schedule="one-cycle"),
    # The 2-d models travel into chapter 3's page (its latent maps run them in the browser):
    # 96/48 wide they fit its 2.5 MB budget; held-out loss about 2% (AE) and 5% (VAE) above 256/128.
    "ae-2d": TrainConfig(model=ModelConfig(kind="ae", latent_dim=2, hidden_dims=(96, 48))),
    "vae-2d": TrainConfig(model=ModelConfig(kind="vae", latent_dim=2, hidden_dims=(96, 48))),
    "vae-bce": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5), loss="bce"),
    # the book's VAE for SHORT_EPOCHS: chapter 10 trains its bugs (a buggy step, step=...) and
    # their fixes with it, chapter 8's sweep its latent sizes (with loss="bce")
    "vae-short": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5)),
    # The conditional VAE (chapter 11): the BCE-trained VAE told each digit's label, so the two
    # share one loss and their held-out -ELBOs compare. Its latent numbers hold only the style:
    # three leave fewer holes than five, and the judge reads about 97-99% of its samples as the
    # digit asked for (five: about 93-95%, with a -ELBO 8-10 nats lower: the chapter's exercise
    # "Five latent numbers", which trains it).
    "cvae": TrainConfig(model=ModelConfig(kind="cvae", latent_dim=3), loss="bce"),
    # Fashion-MNIST is always the full 60,000; 8 epochs keep the clothes chapter short on a
    # 2-core CPU. The convolutional VAE is that chapter's second exercise (its solution loads it).
    "clothes-vae": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5), dataset="fashion-mnist",
                               loss="bce", epochs=8),
    "clothes-conv-vae": TrainConfig(model=ModelConfig(kind="vae", latent_dim=5, architecture="conv",
                                                      hidden_dims=(256,)),
                                    dataset="fashion-mnist", loss="bce", epochs=8),
}


# What ships with the package, trained on torchvision's MNIST / Fashion-MNIST training sets by
# tools/train_pretrained.py: every model a chapter asks for, except the training chapter's, which
# always trains live. Each entry: (recipe, overrides, dataset, first n training images or None);
# "<dataset>:binarised" is that data set's ``binarized()`` copy.
EQUAL_FOOTING = 4000   # the clothes chapter compares digits and clothes on this many images each
LATENT_SIZES = (1, 2, 5, 10, 20)   # chapter 8's sweep
# Chapter 10's two bugs that make the loss fall without limit blow up within a few dozen steps:
# one epoch over this many training images (20 batches of 128) shows it, before any overflow.
BUG_STEPS_IMAGES = 2560
FREE_BITS = bugs.FREE_BITS   # nats per latent dimension, chapter 10's cure for posterior collapse
YARDSTICK_SIZES = (5, 50)    # chapter 13: the book's latent size, and the papers' one-layer models'
ANNEALING_SEEDS = (0, 1, 2)  # chapter 13: chapter 10's collapse, plain, free bits and warm-up
SHIPPED: list[tuple[str, dict, str, int | None]] = [
    ("ae", {}, "mnist", None), ("vae", {}, "mnist", None), ("vae-bce", {}, "mnist", None),
    ("vae", {"beta": 0.0}, "mnist", None), ("vae", {"beta": 10.0}, "mnist", None),
    ("ae-2d", {}, "mnist", None), ("vae-2d", {}, "mnist", None),
    ("clothes-vae", {}, "fashion-mnist", None), ("clothes-conv-vae", {}, "fashion-mnist", None),
    ("cvae", {}, "mnist", None), ("cvae", {"latent_dim": 5}, "mnist", None),   # 11 + its exercise
    ("vae-bce", {"dataset": "mnist", "epochs": EPOCHS["offline-5000"]}, "mnist", EQUAL_FOOTING),
    ("vae-bce", {"dataset": "fashion-mnist", "epochs": EPOCHS["offline-5000"]}, "fashion-mnist",
     EQUAL_FOOTING),
    # chapter 8's latent-size sweep (5 is also chapter 10's fix for the [-1, 1] bug)
    *[("vae-short", {"loss": "bce", "latent_dim": n}, "mnist", None)
      for n in LATENT_SIZES],
    # chapter 10: the bugs, their fix, and posterior collapse with and without free bits
    ("vae-short", {}, "mnist", None),
    ("vae-short", {"step": bugs.mean_over_pixels_step}, "mnist", None),
    ("vae-short", {"step": bugs.logvar_as_sigma_step}, "mnist", None),
    ("vae-short", {"step": bugs.kl_sign_flipped_step, "epochs": 1}, "mnist", BUG_STEPS_IMAGES),
    ("vae-short", {"step": bugs.minus_one_to_one_step, "loss": "bce", "epochs": 1}, "mnist",
     BUG_STEPS_IMAGES),
    ("vae-short", {"beta": 10.0}, "mnist", None),
    ("vae-short", {"beta": 10.0, "step": bugs.free_bits_step}, "mnist", None),
    # chapter 13: the yardstick's models, on digits binarised anew in every batch ...
    *[("vae-bce", {"latent_dim": n, "step": yardstick.binarised_step}, "mnist", None)
      for n in YARDSTICK_SIZES],
    # ... and chapter 10's collapse with more seeds, and with KL warm-up (seed 0's plain and
    # free-bits models are chapter 10's, above)
    *[("vae-short", {"beta": 10.0, "seed": seed, **({"step": step} if step else {})}, "mnist", None)
      for seed in ANNEALING_SEEDS for step in (None, bugs.free_bits_step, yardstick.warm_up_step)
      if seed or step is yardstick.warm_up_step],
    # chapter 12: the digits and the clothes models trained on binarised pictures
    # (data.binarized(), seed 0), where the Bernoulli likelihood is exact
    ("vae-bce", {}, "mnist:binarised", None), ("clothes-vae", {}, "fashion-mnist:binarised", None),
]


def epochs(name: Choice(RECIPES), variant: Choice(("full", "offline-5000")) = "full") -> int:
    """How many epochs recipe ``name`` trains for over MNIST's ``variant`` (full or offline)."""
    table = SHORT_EPOCHS if name in SHORT else ONE_CYCLE_EPOCHS if name in ONE_CYCLE else EPOCHS
    return table[variant]


def config(name: Choice(RECIPES), data: ImageData, **overrides) -> TrainConfig:
    """The configuration of recipe ``name`` for ``data`` (epochs fitted to its size).
    ``overrides``: fields of TrainConfig, and ``latent_dim``, the model's latent size."""
    base = RECIPES[name]
    if "latent_dim" in overrides:
        base = replace(base, model=replace(base.model, latent_dim=overrides.pop("latent_dim")))
    if base.dataset == "mnist":  # digits: fit the epochs to the data found (full or offline)
        variant = data.variant if data.variant in EPOCHS else "full"
        base = replace(base, epochs=epochs(name, variant))
    return replace(base, **overrides)


def trained(name: Choice(RECIPES), data: ImageData | None = None, pretrained: bool = True, step: Step = None,
            **overrides) -> TrainedModel:
    """Recipe ``name`` for ``data``, on the CPU: the package's shipped weights when they were
    trained on exactly this data, else this machine's cache, else trained now (with a progress
    bar). ``pretrained=False`` skips the shipped weights; ``step``: a training step other than
    the model's own (chapter 10's ``bugs``). One line says which it was. The recipes of
    ``RECORDED`` keep what the model made of the same inputs after every epoch (``.recording``)."""
    data = load_dataset(RECIPES[name].dataset) if data is None else data
    try:
        chosen = config(name, data, **overrides)
    except TypeError as err:   # an override that is no TrainConfig field
        raise ConfigError(f"book.trained({name!r}, ...): {err}; the settings are the fields of "
                          f"train.TrainConfig") from None
    with boundary():           # settings made from the reader's overrides: checked as theirs
        return train_or_load(chosen, data, pretrained=pretrained, step=step, record=name in RECORDED)


def judge_config(data: ImageData, epochs: Count(1) = None, seed: Seed = 0) -> TrainConfig:
    """The judge's recipe: 784 -> 256 -> 10, Adam 1e-3, batches of 128; 4 epochs over a full
    training set, 25 over the 4,000 offline digits (about the same number of steps)."""
    return TrainConfig(model=ModelConfig(kind="classifier", hidden_dims=(256,)), dataset=data.name,
                       epochs=epochs or (4 if data.is_full else 25), seed=seed)


def judge(data: ImageData, epochs: Count(1) = None, seed: Seed = 0) -> Judge:
    """The judge for ``data``: from the one cache of trained models (the shipped weights, then
    this machine's), else trained now on ``data``'s real training images (``epochs``, ``seed``:
    other than the recipe's). Its accuracy is measured on ``data``'s held-out images every time."""
    trained = train_or_load(judge_config(data, epochs, seed), data, verbose=False)
    return Judge.measured(trained.model, data)


checked(globals())
