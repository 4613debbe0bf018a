import pytest

from vae_tutorial.support import paths


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "sub" / "model.pt"
    paths.atomic_write(target, lambda f: f.write(b"first"))
    paths.atomic_write(target, lambda f: f.write(b"second"))
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["model.pt"]


def test_a_failed_write_leaves_the_old_file_and_no_litter(tmp_path):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the user's model")

    def half_then_crash(f):
        f.write(b"half a fi")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        paths.atomic_write(target, half_then_crash)
    assert target.read_bytes() == b"the user's model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_TUTORIAL_CACHE", str(tmp_path / "here"))
    assert paths.cache_dir() == tmp_path / "here"
    assert not (tmp_path / "here").exists()  # reading creates nothing; writers create folders
    monkeypatch.delenv("VAE_TUTORIAL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "vae-tutorial"
