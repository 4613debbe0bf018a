"""The ground floor: what every other part of the package uses. It imports nothing above it.

- ``errors``, ``messages``: the one exception family and one-line messages;
- ``contracts``: what public functions take, declared in their signatures and checked where
  users' data and settings enter;
- ``devices``, ``seeds``: which device to use; randomness from an explicit seed;
- ``paths``, ``idx``: the cache folder and safe writes; IDX files;
- ``cache``, ``pretrained/``: the files of the one cache of trained models, and the weights that
  ship with the package;
- ``figures``: a figure's text description, carried inside its PNG.
"""
