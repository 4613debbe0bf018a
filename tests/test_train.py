import os

import pytest
import torch

from conftest import flat
from vae_tutorial import data, fitting, latent, train
from vae_tutorial.models import ModelConfig
from vae_tutorial.runs import build as build_model
from vae_tutorial import runs
from vae_tutorial.support import devices
from vae_tutorial.support.errors import ConfigError, TrainingError

SMALL = ModelConfig(kind="vae", latent_dim=2, hidden_dims=(32,))


@pytest.fixture
def small_data(mnist_root):
    return data.load_mnist(mnist_root, quiet=True)


def _config(**kw):
    return train.TrainConfig(**{"model": SMALL, "epochs": 3, "batch_size": 32, **kw})


def test_short_run_lowers_loss():
    digits = data.load_mnist(quiet=True)
    history = fitting.fit(build_model(SMALL), digits, _config(epochs=4, loss="bce"), progress=False)
    assert len(history.train_loss) == 4 and len(history.test_loss) == 4
    assert history.train_loss[-1] < 0.8 * history.train_loss[0]
    assert history.test_loss[-1] < history.test_loss[0]
    assert all(s > 0 for s in history.seconds)


def test_same_seed_same_history_bit_for_bit(small_data):
    runs = []
    for _ in range(2):
        torch.manual_seed(123)  # the same init; fit's own randomness comes from config.seed
        model = build_model(SMALL)
        runs.append((fitting.fit(model, small_data, _config(), progress=False), model))
    assert runs[0][0].train_loss == runs[1][0].train_loss
    assert runs[0][0].test_loss == runs[1][0].test_loss
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1].parameters(), runs[1][1].parameters()))
    torch.manual_seed(123)
    other = fitting.fit(build_model(SMALL), small_data, _config(seed=1), progress=False)
    assert other.train_loss != runs[0][0].train_loss


def test_device_auto_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert devices.pick_device("auto") == torch.device("cpu")
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        devices.pick_device("cuda")
    for other in ("tpu", "meta", "xpu", "cuda:x"):
        with pytest.raises(ConfigError, match="unknown or unsupported device .*'cpu', 'cuda'"):
            devices.pick_device(other)


def test_device_auto_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devices.pick_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert devices.pick_device("auto").type == "mps"


def test_nan_loss_stops_with_clear_message(small_data):
    model = build_model(SMALL)
    with torch.no_grad():
        model.decode_logits[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingError, match=r"epoch 1.*smaller learning rate"):
        fitting.fit(model, small_data, _config(), progress=False)


@pytest.mark.parametrize("kw, match", [
    ({"epochs": 0}, "epochs"), ({"lr": 0.0}, "lr"), ({"beta": -1.0}, "beta"),
    ({"loss": "l1"}, "loss"), ({"dataset": "cifar"}, "dataset"), ({"batch_size": 0}, "batch_size"),
    ({"lr": float("nan")}, "lr"),
])
def test_bad_train_config(kw, match, small_data):
    with pytest.raises(ConfigError, match=match):
        fitting.TRAIN_CONFIG.validate(_config(**kw), "config")
    with pytest.raises(ConfigError, match=match):   # where users hand settings in
        runs.train_or_load(_config(**kw), small_data, progress=False)


def test_cache_key_covers_the_configuration_and_the_data(small_data, mnist_root, tmp_path):
    offline = data.load_mnist(quiet=True)
    paths = {runs.checkpoint_path(c, d) for c, d in [
        (_config(), small_data), (_config(), offline), (_config(beta=2.0), small_data),
        (_config(seed=1), small_data), (_config(loss="bce"), small_data), (_config(epochs=4), small_data),
        (_config(model=ModelConfig(kind="ae", latent_dim=2, hidden_dims=(32,))), small_data),
        (_config(model=ModelConfig(kind="vae", latent_dim=3, hidden_dims=(32,))), small_data)]}
    assert len(paths) == 8
    # the same recipe written out anew, and the same images copied elsewhere: the same entry
    import shutil
    shutil.copytree(mnist_root, tmp_path / "copy")
    again = train.TrainConfig(model=ModelConfig(kind="vae", latent_dim=2, hidden_dims=(32,)),
                              epochs=3, batch_size=32)
    copy = data.load_mnist(tmp_path / "copy", quiet=True)
    assert runs.checkpoint_path(again, copy) == runs.checkpoint_path(_config(), small_data)


def test_cache_miss_then_hit(small_data, monkeypatch, capsys):
    first = runs.train_or_load(_config(), small_data, progress=False)
    assert not first.from_cache and first.path.exists()
    assert not [p for p in first.path.parent.iterdir() if p.name.endswith(".tmp")]

    def no_training(*a, **k):
        raise AssertionError("a cache hit must not train")

    monkeypatch.setattr(runs, "fit", no_training)
    second = runs.train_or_load(_config(), small_data, progress=False)
    assert second.from_cache and second.history == first.history
    x = small_data.images("test")[:4]
    torch.testing.assert_close(latent.reconstruct(second.model, x), latent.reconstruct(first.model, x))
    assert "from the cache" in flat(capsys.readouterr().out)
    with pytest.raises(AssertionError, match="must not train"):
        runs.train_or_load(_config(beta=0.5), small_data, progress=False)


def test_corrupt_checkpoint_is_reported_and_retrained(small_data, capsys):
    path = runs.checkpoint_path(_config(), small_data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a checkpoint")
    trained = runs.train_or_load(_config(), small_data, progress=False)
    assert not trained.from_cache
    assert "bad cached file" in flat(capsys.readouterr().err)
    assert runs.load_checkpoint(path).config == _config()


def test_mismatched_checkpoint_is_not_loaded(small_data, capsys):
    other = runs.train_or_load(_config(beta=3.0), small_data, progress=False)
    path = runs.checkpoint_path(_config(), small_data)
    os.replace(other.path, path)  # a file whose content does not match its name
    trained = runs.train_or_load(_config(), small_data, progress=False)
    assert not trained.from_cache and trained.config.beta == 1.0
    assert "different configuration" in flat(capsys.readouterr().err)


def test_checkpoint_rebuilds_from_file_alone(small_data, tmp_path):
    trained = runs.train_or_load(_config(), small_data, progress=False)
    loaded = runs.load_checkpoint(trained.path)
    assert loaded.config == trained.config and loaded.data_variant == "full"
    with pytest.raises(TrainingError, match="does not exist"):
        runs.load_checkpoint(tmp_path / "missing.pt")


def test_train_or_load_rejects_wrong_dataset(small_data):
    with pytest.raises(ConfigError, match="fashion-mnist"):
        runs.train_or_load(_config(dataset="fashion-mnist"), small_data)


def test_cache_env_var_moves_the_cache(small_data, tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(tmp_path / "elsewhere"))
    trained = runs.train_or_load(_config(), small_data, progress=False)
    assert (tmp_path / "elsewhere") in trained.path.parents


def test_one_cycle_warms_the_rate_up_then_anneals_it_around_the_loop(monkeypatch):
    """fit steps the schedule after every batch (train_epoch only sees an optimizer): the rate
    rises from lr/25 to lr over the first 30% of the batches, then falls far below where it
    began. A constant rate leaves the configuration's key as it was before schedules existed."""
    rates, real = [], fitting.schedule_for

    def watched(optimizer, config, batches):
        schedule = real(optimizer, config, batches)
        step = schedule.step
        schedule.step = lambda: (step(), rates.append(optimizer.param_groups[0]["lr"]))
        return schedule

    monkeypatch.setattr(fitting, "schedule_for", watched)
    config, digits = _config(lr=3e-3, schedule="one-cycle", epochs=1), data.load_mnist(quiet=True)
    fitting.fit(build_model(SMALL), digits, config, progress=False)
    batches = config.epochs * -(-len(digits.train_labels) // config.batch_size)
    peak = max(range(len(rates)), key=rates.__getitem__)
    assert len(rates) == batches and abs(rates[peak] - 3e-3) < 3e-5 and rates[0] < 3e-3 / 20
    assert 0.25 * batches <= peak <= 0.35 * batches and rates[-1] < 3e-3 / 25 / 100
    assert "schedule" not in _config().as_dict() and _config(schedule="one-cycle").as_dict()["schedule"]
    with pytest.raises(ConfigError, match=r"runs.train_or_load: config.schedule must be one of 'constant', 'one-cycle', got 'cosine'"):
        runs.train_or_load(_config(schedule="cosine"), digits)


def test_a_recorded_run_trains_exactly_as_an_unrecorded_one(small_data):
    """The recorder draws no random number: same seed, same weights, bit for bit; it keeps one
    row per epoch of the same inputs."""
    from vae_tutorial.recording import Recorder

    plain, watched = build_model(SMALL, seed=0), build_model(SMALL, seed=0)
    fitting.fit(plain, small_data, _config(), progress=False)
    recorder = Recorder(watched, small_data, points=4, codes=50)
    fitting.fit(watched, small_data, _config(), progress=False, on_epoch=recorder)
    assert all(torch.equal(a, b) for a, b in zip(plain.parameters(), watched.parameters()))
    seen = recorder.recording()
    assert seen.decoded.shape == (3, 4, 28, 28) and seen.decoded.dtype == torch.uint8
    assert seen.rebuilt.shape == (3, 10, 28, 28) and seen.codes.shape == (3, 50, 2)
    assert seen.labels.tolist() == small_data.train_labels[:50].tolist()
    last = latent.decode(watched, seen.z).squeeze(1)
    assert (seen.decoded[-1].float() / 255 - last).abs().max() <= 0.5 / 255 + 1e-6
    torch.testing.assert_close(seen.codes[-1], latent.encodings(watched, small_data.train_images[:50]))


def test_a_recording_travels_with_the_model_in_its_own_cache_entry(small_data, tmp_path):
    """record=True: the recording is saved and loaded with the weights, checksummed, in an entry
    apart from the unrecorded model's (whose older entries carry no recording)."""
    recorded = runs.train_or_load(_config(), small_data, progress=False, record=True)
    plain = runs.train_or_load(_config(), small_data, progress=False)
    assert recorded.path != plain.path and plain.recording is None
    again = runs.train_or_load(_config(), small_data, progress=False, record=True)
    assert again.from_cache and torch.equal(again.recording.codes, recorded.recording.codes)
    assert runs.load_checkpoint(recorded.path).recording.epochs == [1, 2, 3]
    payload = torch.load(recorded.path, weights_only=True)
    payload["recording"]["decoded"][0, 0, 0, 0] += 1      # one byte of the recording changed
    torch.save(payload, tmp_path / "changed.pt")
    with pytest.raises(TrainingError, match="damaged"):
        runs.load_checkpoint(tmp_path / "changed.pt")
    with pytest.raises(ConfigError, match="record=True is for autoencoders and VAEs"):
        runs.train_or_load(_config(model=ModelConfig(kind="classifier", hidden_dims=(8,))),
                           small_data, record=True)
