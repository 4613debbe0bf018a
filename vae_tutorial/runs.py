"""Trained models with their history: checkpoints, and ``train_or_load`` with the one cache.

Every trained model (the book's autoencoders and VAEs, and the judge) is found by its
``TrainConfig`` and by the fingerprint of the data it was trained on: first among the weights
that ship with the package, then in this machine's cache; otherwise it is trained now, on the
best device there is, and cached. The model handed out lives on the CPU.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterator

import torch

from .data import ImageData, load_dataset
from .fitting import MODEL_CONFIG, TRAIN_CONFIG, History, Step, fit
from .recording import Recorder, Recording
from .recording import spec as recording_spec
from .models import (VAE, Autoencoder, Classifier, ConditionalVAE, ConvAutoencoder, ConvVAE,
                     ModelConfig)
from .support import cache
from .support.contracts import Fits, Seed, checked
from .support.devices import out_of_memory, pick_device
from .support.errors import ConfigError, TrainingError
from .support.messages import say
from .support.seeds import seeded
from .train import TrainConfig


@dataclass
class TrainedModel:
    """A model with what made it: its configuration, history and the data it was trained on.

    ``data`` is the training data's identity (``ImageData.identity()``); ``origin`` says where
    the weights came from: "trained" (just now), "cache" (trained earlier on this machine) or
    "shipped" (pretrained weights that come with the package); ``step`` names the training step
    when it was not the model's own (chapter 10's bugs), else is ""; ``recording``: what the
    model made of the same inputs after every epoch, when it was recorded (chapter 7). """

    model: torch.nn.Module
    config: TrainConfig
    history: History
    data: dict
    data_variant: str
    data_source: str
    path: Path | None = None
    origin: str = "trained"
    step: str = ""
    recording: Recording | None = None

    @property
    def from_cache(self) -> bool:
        return self.origin != "trained"


def config_from_dict(d: dict) -> TrainConfig:
    """The ``TrainConfig`` that ``TrainConfig.as_dict`` wrote (keys of other versions dropped)."""
    known = {f.name for f in fields(TrainConfig)} - {"model"}
    model = {**d["model"], "hidden_dims": tuple(d["model"]["hidden_dims"])}
    return TrainConfig(**{k: v for k, v in d.items() if k in known}, model=ModelConfig(**model))


def step_name(step: Step = None) -> str:
    """How a training step is named in cache keys and messages: "" for the model's own (None),
    else its module and name, e.g. "vae_tutorial.bugs.kl_sign_flipped_step"."""
    return "" if step is None else f"{step.__module__}.{step.__qualname__}"


def _description(config: TrainConfig, data_identity: dict, step: str = "",
                 record: dict | None = None) -> dict:
    extra = {"step": step} if step else {}
    if record:   # a recorded run is an entry of its own: older entries have no recording
        extra["record"] = record
    return cache.describe("model", data_identity, config=config.as_dict(), **extra)


def _label(config: TrainConfig) -> str:
    kind = "judge" if config.model.kind == "classifier" else config.model.kind
    return f"{kind}-{config.dataset}"


def payload_of(trained: TrainedModel) -> dict:
    """What a checkpoint or cache entry of ``trained`` holds (``cache.write`` adds the format
    version and the checksum)."""
    recording = trained.recording
    payload = {
        "description": _description(trained.config, trained.data, trained.step,
                                    recording.asked if recording else None),
        "data_variant": trained.data_variant,
        "data_source": trained.data_source,
        "history": trained.history.as_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in trained.model.state_dict().items()},
    }
    if recording is not None:
        payload["recording"] = recording.tensors()
    return payload


# Training keeps four numbers of four bytes per weight: the weight, its gradient, and Adam's two
# running averages.
TRAINING_BYTES_PER_WEIGHT = 16


# kind -> architecture -> the class that builds it
MODELS = {"ae": {"mlp": Autoencoder, "conv": ConvAutoencoder}, "vae": {"mlp": VAE, "conv": ConvVAE},
          "cvae": {"mlp": ConditionalVAE}, "classifier": {"mlp": Classifier}}


def _construct(config: ModelConfig) -> torch.nn.Module:
    """An untrained model for ``config``, unchecked (:func:`build` checks it first)."""
    model_class = MODELS[config.kind][config.architecture]
    if model_class is Classifier:
        return Classifier(config.hidden_dims)
    return model_class(config.latent_dim, config.hidden_dims)


def weight_count(config: ModelConfig) -> int:
    """How many weights a model of ``config`` has, counted without allocating them."""
    with torch.device("meta"):
        return sum(p.numel() for p in _construct(config).parameters())


@contextlib.contextmanager
def memory_as_error(what: str) -> Iterator[None]:
    """Turn a failed allocation inside the block into one line (a :class:`TrainingError`)."""
    try:
        yield
    except (MemoryError, RuntimeError) as err:
        if not out_of_memory(err):
            raise
        raise TrainingError(f"ran out of memory {what}; choose a smaller model or batch_size, or "
                            f"another device") from None


def build(config: MODEL_CONFIG & Fits(lambda config: TRAINING_BYTES_PER_WEIGHT * weight_count(config)),
          seed: Seed = None) -> torch.nn.Module:
    """An untrained model for ``config``; with ``seed``, its initial weights come from that seed
    without touching the caller's random state. A model too large to train in this machine's
    memory is refused before anything is allocated."""
    seeding = seeded(seed) if seed is not None else contextlib.nullcontext()
    with memory_as_error("building the model"), seeding:
        return _construct(config)


def save_checkpoint(path: str | Path, trained: TrainedModel) -> Path:
    """Write weights + configuration + data identity + history atomically (temporary file,
    then rename). Raises ``OSError`` when ``path`` cannot be written; an older file there is
    then left as it was."""
    return cache.write(path, payload_of(trained))


def _restore(payload: dict, path: Path, origin: str) -> TrainedModel:
    """Rebuild a TrainedModel from a checked payload; any inconsistency raises."""
    description = payload["description"]
    if description.get("kind") != "model":
        raise ValueError(f"it holds a {description.get('kind')!r}, not a model")
    config = TRAIN_CONFIG.validate(config_from_dict(description["config"]), "its configuration")
    model = _construct(config.model)
    model.load_state_dict(payload["state_dict"])  # strict: every weight present, right shapes
    history = History(**payload["history"])
    recording = None
    if "record" in description:
        recording = Recording.from_tensors(payload["recording"], description["record"])
        if len(recording.epochs) != config.epochs:
            raise ValueError(f"it records {len(recording.epochs)} epochs of {config.epochs}")
    return TrainedModel(model.eval(), config, history, dict(description["data"]),
                        str(payload["data_variant"]), str(payload["data_source"]), path, origin,
                        str(description.get("step", "")), recording)


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> TrainedModel:
    """Rebuild a model from a checkpoint file alone (``weights_only=True``: no pickled code).

    Raises :class:`TrainingError` when the file is missing, unreadable, from another format
    version, incomplete, holds non-finite weights or does not fit its own configuration.
    """
    path = Path(path)
    try:
        exists = path.is_file()
    except OSError as err:   # e.g. a folder on the way that cannot be read
        raise TrainingError(f"checkpoint {path} cannot be read ({err.strerror or err})") from None
    if not exists:
        raise TrainingError(f"checkpoint {path} does not exist; train one with "
                            f"`python -m vae_tutorial train --out DIR`")
    try:
        trained = _restore(cache.read(path), path, "cache")
    except Exception as err:  # any failure means "not a usable checkpoint of ours"
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        if not isinstance(err, cache.CacheEntryError):
            detail = f"{type(err).__name__}: {detail}"
        raise TrainingError(f"checkpoint {path} cannot be used ({detail}). Delete it and train "
                            f"again.") from None
    trained.model.to(pick_device(device))
    return trained


def checkpoint_path(config: TRAIN_CONFIG, data: ImageData, root: str | Path | None = None,
                    step: Step = None, record: bool = False) -> Path:
    """Where this machine's cache keeps the model for ``config`` trained on ``data``."""
    description = _description(config, data.identity(), step_name(step),
                               recording_spec() if record else None)
    return cache.models_dir(root) / cache.entry_name(_label(config), description)


def describe(config: TrainConfig, step: str = "", black_and_white: bool = False) -> str:
    """E.g. "VAE (latent 5, beta 1, mse, mnist)", for messages; ``black_and_white``: trained on
    a binarised copy of the data set ("mnist, black and white")."""
    kind = config.model.kind
    if kind == "classifier":
        return f"judge for {config.dataset}"
    beta = f", beta {config.beta:g}" if kind in ("vae", "cvae") else ""
    trained_by = f", trained by {step.rsplit('.', 1)[-1]}" if step else ""
    name = {"vae": "VAE", "cvae": "conditional VAE"}.get(kind, "autoencoder")
    data = f"{config.dataset}, black and white" if black_and_white else config.dataset
    return f"{name} (latent {config.model.latent_dim}{beta}, {config.loss}, {data}{trained_by})"


def train_or_load(config: TRAIN_CONFIG, data: ImageData | None = None,
                  device: str | torch.device = "auto", cache_root: str | Path | None = None,
                  progress: bool = True, verbose: bool = True, pretrained: bool = True,
                  step: Step = None, record: bool = False) -> TrainedModel:
    """The model for ``config`` trained on ``data``, on the CPU.

    Looked up by configuration (and ``step``, a training step other than the model's own, e.g.
    chapter 10's ``bugs.kl_sign_flipped_step``) and by the fingerprint of ``data``'s training
    split: the package's shipped weights first (unless ``pretrained=False``), then this
    machine's cache; otherwise trained now on ``device`` and saved to the cache. A bad cache
    file is reported and replaced, never used; a cache folder that cannot be written costs a
    warning, not the model. Prints one line saying which of these happened (unless
    ``verbose=False``). ``record``: keep what an autoencoder or VAE makes of the same inputs
    after every epoch (``recording.Recorder``), in ``.recording``; a recorded model is cached
    apart from an unrecorded one.
    """
    name = step_name(step)
    if step is not None and config.model.kind != "vae":
        raise ConfigError(f"a training step of your own (step=...) is for a VAE; this model is a "
                          f"{config.model.kind!r}")
    if record and config.model.kind not in ("ae", "vae"):
        raise ConfigError(f"record=True is for autoencoders and VAEs; this model is a "
                          f"{config.model.kind!r}")
    data = load_dataset(config.dataset) if data is None else data
    if data.name != config.dataset:
        raise ConfigError(f"config.dataset is {config.dataset!r} but the data given is {data.name!r}")
    description = _description(config, data.identity(), name,
                               recording_spec() if record else None)
    said = describe(config, name, data.binarised)
    found = cache.find(_label(config), description, root=cache_root, pretrained=pretrained,
                       restore=lambda payload, path, shipped: _restore(
                           payload, path, "shipped" if shipped else "cache"))
    if found is not None:
        if verbose:
            where = ("that ships with the package, trained with this recipe on exactly this data"
                     if found.shipped else "trained earlier on this machine (from the cache)")
            say(f"Loaded the {said} {where}.")
        return found.value
    model = build(config.model, seed=config.seed)
    device = pick_device(device)
    recorder = Recorder(model, data) if record else None
    with memory_as_error(f"training the {said} on {device}"):
        history = fit(model, data, config, step, device=device, progress=progress,
                      on_epoch=recorder)
    trained = TrainedModel(model.cpu().eval(), config, history, data.identity(), data.variant,
                           data.source, step=name,
                           recording=recorder.recording() if recorder else None)
    trained.path = cache.store(_label(config), description, payload_of(trained),
                               said, cache_root)
    if verbose:
        kept = "; cached for next time" if trained.path is not None else ""
        say(f"Trained the {said} for {config.epochs} epochs in "
            f"{sum(history.seconds):.1f} s{kept}.")
    return trained


checked(globals())
