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
