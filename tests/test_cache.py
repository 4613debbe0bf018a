"""The one cache: never serves a model or a judge trained on other data or another
configuration, rejects damaged entries, survives a cache folder it cannot write, and cleans up
after killed saves."""

from __future__ import annotations

import os
import pickle
import shutil
import tarfile
import time
import warnings

import numpy as np
import pytest
import torch

from conftest import files_in, flat, make_split, write_idx_dataset
from vae_tutorial import book, data, train
from vae_tutorial import runs
from vae_tutorial.data import images, sources
from vae_tutorial.support import cache, idx, paths
from vae_tutorial.support.errors import TrainingError
from vae_tutorial.models import ModelConfig

SMALL = train.TrainConfig(model=ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,)),
                          epochs=1, batch_size=32)


def _folder(tmp_path, name, n_train=96, seed_shift=0):
    """An MNIST folder; different ``seed_shift`` gives different images of the same size."""
    root = tmp_path / name
    raw = root / "MNIST" / "raw"
    write_idx_dataset(raw, n_train=n_train)
    if seed_shift:
        images, labels = make_split(n_train, 100 + seed_shift)
        idx.write_idx(raw / "train-images-idx3-ubyte", images)
    return root


def _trains(monkeypatch) -> list:
    """Count the calls of train.fit while keeping it working."""
    calls, real = [], runs.fit
    monkeypatch.setattr(runs, "fit", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_a_model_is_never_served_for_other_data_of_the_same_kind(tmp_path, monkeypatch):
    first = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    same_size_other_images = data.load_mnist(_folder(tmp_path, "b", seed_shift=1), quiet=True)
    larger = data.load_mnist(_folder(tmp_path, "c", n_train=128), quiet=True)
    assert first.variant == same_size_other_images.variant == larger.variant == "full"
    calls = _trains(monkeypatch)
    a = runs.train_or_load(SMALL, first, progress=False)
    assert runs.train_or_load(SMALL, first, progress=False).from_cache and len(calls) == 1
    for other in (same_size_other_images, larger):
        b = runs.train_or_load(SMALL, other, progress=False)
        assert not b.from_cache and b.data == other.identity() != a.data
    assert len(calls) == 3


def test_the_same_data_in_another_folder_or_gzipped_shares_the_entry(tmp_path, monkeypatch):
    plain = data.load_mnist(_folder(tmp_path, "plain"), quiet=True)
    gz_root = tmp_path / "gz"
    write_idx_dataset(gz_root / "MNIST" / "raw", gz=True)
    gzipped = data.load_mnist(gz_root, quiet=True)
    assert plain.fingerprint == gzipped.fingerprint
    calls = _trains(monkeypatch)
    runs.train_or_load(SMALL, plain, progress=False)
    assert runs.train_or_load(SMALL, gzipped, progress=False).from_cache and len(calls) == 1


def test_the_judge_is_never_served_for_other_data(tmp_path, monkeypatch):
    a = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    b = data.load_mnist(_folder(tmp_path, "b", seed_shift=1), quiet=True)
    calls = _trains(monkeypatch)
    book.judge(a)
    book.judge(a)
    assert len(calls) == 1
    book.judge(b)
    assert len(calls) == 2


def test_the_fingerprint_is_hashed_from_the_content_once_per_load(tmp_path, monkeypatch, isolated_cache):
    root = _folder(tmp_path, "a")
    calls, real = [], images.fingerprint
    monkeypatch.setattr(images, "fingerprint", lambda *a: calls.append(1) or real(*a))
    digits = data.load_mnist(root, quiet=True)
    assert digits.identity() == digits.identity() and len(calls) == 1
    assert data.load_mnist(root, quiet=True).fingerprint == digits.fingerprint and len(calls) == 2
    assert list((isolated_cache / "data").glob("fingerprints*")) == []   # nothing remembered by name


def test_a_cache_folder_that_cannot_be_written_costs_a_warning_not_the_model(
        tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(blocker))   # like a read-only folder
    digits = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    trained = runs.train_or_load(SMALL, digits, progress=False)
    assert trained.path is None and isinstance(trained.model, torch.nn.Module)
    err = flat(capsys.readouterr().err)
    assert "nothing is cached" in err and "VAE_TUTORIAL_CACHE" in err and "Traceback" not in err
    judged = book.judge(digits)
    assert 0 <= judged.accuracy <= 1
    assert "nothing is cached" in flat(capsys.readouterr().err)


@pytest.mark.parametrize("damage", ["nan-weights", "no-data-source", "no-description", "other-format"])
def test_damaged_entries_are_reported_and_retrained_never_served(damage, tmp_path, monkeypatch, capsys):
    digits = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    good = runs.train_or_load(SMALL, digits, progress=False)
    payload = torch.load(good.path, weights_only=True)
    if damage == "nan-weights":
        payload["state_dict"]["decode_logits.0.weight"][0, 0] = float("nan")
    elif damage == "no-data-source":
        del payload["data_source"], payload["data_variant"]
    elif damage == "no-description":
        del payload["description"]
    else:
        payload["format"] = 1
    if damage == "other-format":
        torch.save(payload, good.path)
    else:
        cache.write(good.path, payload)   # a valid checksum: the check for this damage must speak
    calls = _trains(monkeypatch)
    again = runs.train_or_load(SMALL, digits, progress=False)
    assert not again.from_cache and len(calls) == 1
    assert "Ignoring a bad cached file" in flat(capsys.readouterr().err)
    assert all(torch.isfinite(p).all() for p in again.model.parameters())
    with pytest.raises(TrainingError, match="cannot be used"):
        torch.save(payload, tmp_path / "bad.pt")
        runs.load_checkpoint(tmp_path / "bad.pt")


def test_a_killed_save_leaves_no_temporaries_behind_for_long(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    dead = folder / ".model.pt.999999999.abcd.tmp"      # its process is gone
    old = folder / f".model.pt.{os.getpid()}.efgh.tmp"  # ours, but hours old
    live = folder / f".other.pt.{os.getpid()}.ijkl.tmp"  # a save in progress right now
    for p in (dead, old, live):
        p.write_bytes(b"half a file")
    os.utime(old, (time.time() - 2 * paths.STALE_AFTER_S,) * 2)
    paths.atomic_write(folder / "model.pt", lambda f: f.write(b"whole"))
    assert sorted(p.name for p in folder.iterdir()) == sorted(["model.pt", live.name])


def test_entry_names_cover_configuration_data_and_format(monkeypatch):
    d1 = {"dataset": "mnist", "split": "train", "n": 10, "sha256": "a" * 64}
    d2 = {**d1, "sha256": "b" * 64}
    base = cache.describe("model", d1, config={"beta": 1.0})
    names = {cache.entry_name("vae", base), cache.entry_name("vae", cache.describe("model", d2, config={"beta": 1.0})),
             cache.entry_name("vae", cache.describe("model", d1, config={"beta": 2.0})),
             cache.entry_name("vae", cache.describe("judge", d1, config={"beta": 1.0}))}
    assert len(names) == 4
    monkeypatch.setattr(cache, "FORMAT_VERSION", cache.FORMAT_VERSION + 1)
    assert cache.entry_name("vae", base) not in names


def test_shipped_weights_are_used_only_for_their_exact_data(tmp_path, monkeypatch, capsys):
    digits = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    other = data.load_mnist(_folder(tmp_path, "b", seed_shift=1), quiet=True)
    trained = runs.train_or_load(SMALL, digits, progress=False)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    os.replace(trained.path, shipped / trained.path.name)
    monkeypatch.setattr(cache, "PRETRAINED_DIR", shipped)
    capsys.readouterr()
    calls = _trains(monkeypatch)
    loaded = runs.train_or_load(SMALL, digits, progress=False)
    assert loaded.origin == "shipped" and calls == []
    assert "ships with the package" in flat(capsys.readouterr().out)
    assert runs.train_or_load(SMALL, other, progress=False).origin == "trained" and len(calls) == 1
    # asked not to use shipped weights, it trains (then finds its own copy next time)
    assert runs.train_or_load(SMALL, digits, progress=False, pretrained=False).origin == "trained"
    assert runs.train_or_load(SMALL, digits, progress=False, pretrained=False).origin == "cache"
    np.testing.assert_equal(len(calls), 2)



def test_the_loader_line_says_when_a_model_saw_black_and_white_pictures(tmp_path, capsys):
    grey = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    binary = grey.binarized()
    assert binary.binarised and not grey.binarised and not grey.first(10).binarised
    lines = {}
    for name, d in (("grey", grey), ("binary", binary)):
        for _ in range(2):                       # trained, then loaded from the cache
            runs.train_or_load(SMALL, d, progress=False)
        lines[name] = flat(capsys.readouterr().out)
    assert lines["binary"].count("2, beta 1, mse, mnist, black and white)") == 2, lines["binary"]
    assert "black and white" not in lines["grey"] and "mse, mnist)" in lines["grey"]

# ---------------------------------------------------------------- issue 20: full disks, stale identities, damage

def test_a_full_disk_under_the_cache_costs_a_warning_not_the_model(full_disk, tmp_path, monkeypatch, capsys):
    digits = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    disk = full_disk(tmp_path / "disk")
    monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(disk / "cache"))
    before = files_in(disk)
    trained = runs.train_or_load(SMALL, digits, progress=False)
    assert trained.path is None and trained.origin == "trained"
    err = flat(capsys.readouterr().err)
    assert "nothing is cached" in err and "No space left on device" in err and "Traceback" not in err
    assert files_in(disk) == before
    # cache.store itself, asked directly
    assert cache.store("vae-mnist", {"kind": "x"}, {"state_dict": {"w": torch.ones(20_000)}}, "test model") is None


def _same_size_and_times(new: "os.PathLike", old: "os.PathLike") -> None:
    st = os.stat(old)
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("how", ["cp -p", "tar"])
def test_other_data_with_the_same_size_and_times_gets_its_own_model(how, tmp_path, monkeypatch):
    root = _folder(tmp_path, "a")
    images = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    whole_second = (int(time.time()) - 3600) * 10**9   # what a tar archive can keep exactly
    os.utime(images, ns=(whole_second, whole_second))
    first = data.load_mnist(root, quiet=True)
    runs.train_or_load(SMALL, first, progress=False)
    other = _folder(tmp_path, "b", seed_shift=1) / "MNIST" / "raw" / "train-images-idx3-ubyte"
    assert other.stat().st_size == images.stat().st_size
    _same_size_and_times(other, images)
    if how == "cp -p":
        shutil.copy2(other, images)
    else:
        archive = tmp_path / "data.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(other, arcname=images.name)
        images.unlink()
        with tarfile.open(archive) as tar:
            tar.extractall(images.parent, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    assert images.stat().st_mtime_ns == os.stat(other).st_mtime_ns
    again = data.load_mnist(root, quiet=True)
    assert again.fingerprint == data.load_mnist(other.parents[2], quiet=True).fingerprint != first.fingerprint
    calls = _trains(monkeypatch)
    assert runs.train_or_load(SMALL, again, progress=False).origin == "trained" and len(calls) == 1


def _zero_the_middle_of(path, weights: torch.Tensor) -> bytes:
    """Write zeros over half of ``weights``' bytes inside the file ``path``; return the result."""
    raw, blob = bytearray(path.read_bytes()), weights.numpy().tobytes()
    at = raw.find(blob[:64])
    assert at > 0
    raw[at:at + len(blob) // 2] = bytes(len(blob) // 2)
    path.write_bytes(raw)
    return bytes(raw)


def test_zeros_written_into_an_entry_are_found_and_it_is_trained_again(tmp_path, monkeypatch, capsys):
    digits = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    good = runs.train_or_load(SMALL, digits, progress=False)
    damaged = _zero_the_middle_of(good.path, good.model.state_dict()["encoder.1.weight"])
    # torch reads the file without complaint: only a checksum tells
    assert (torch.load(good.path, weights_only=True)["state_dict"]["encoder.1.weight"] == 0).sum() > 1000
    capsys.readouterr()
    calls = _trains(monkeypatch)
    again = runs.train_or_load(SMALL, digits, progress=False)
    assert again.origin == "trained" and len(calls) == 1
    err = flat(capsys.readouterr().err)
    assert "Ignoring a bad cached file" in err and "damaged" in err
    torch.testing.assert_close(again.model.state_dict(), good.model.state_dict())   # same seed, same model
    (tmp_path / "damaged.pt").write_bytes(damaged)
    with pytest.raises(TrainingError, match="damaged"):
        runs.load_checkpoint(tmp_path / "damaged.pt")


def test_a_malicious_pickle_in_the_cache_is_never_run(tmp_path, monkeypatch, capsys):
    digits = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    path = runs.checkpoint_path(SMALL, digits)
    marker = tmp_path / "it-ran"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps(Payload()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trained = runs.train_or_load(SMALL, digits, progress=False)
    assert trained.origin == "trained" and not marker.exists() and caught == []
    assert "Ignoring a bad cached file" in flat(capsys.readouterr().err)


def test_every_entry_carries_a_checksum_of_its_content(tmp_path):
    digits = data.load_mnist(_folder(tmp_path, "a"), quiet=True)
    trained = runs.train_or_load(SMALL, digits, progress=False)
    payload = torch.load(trained.path, weights_only=True)
    assert payload["format"] == cache.FORMAT_VERSION >= 4 and len(payload["checksum"]) == 64
    payload["history"]["train_loss"][0] += 1.0        # any field, not only the weights
    torch.save(payload, tmp_path / "edited.pt")
    with pytest.raises(cache.CacheEntryError, match="damaged"):
        cache.read(tmp_path / "edited.pt")
