"""Move through the latent space: one room for everything a reader moves.

- ``kernel``: ipywidgets that need a running kernel (Jupyter, Colab, Binder):
  :func:`latent_sliders`, :func:`interpolation`, :func:`kl_explorer`;
- ``static``: plain HTML + JavaScript (``js/``) that works in the static online book too, the
  models' weights inside the page: :func:`draw_digit`, :func:`latent_maps`,
  :func:`decoder_sliders`, :func:`static_kl_explorer`, :func:`conditional_sliders`,
  :func:`likelihood_pad`, :func:`epoch_slider` (two maps forming, epoch by epoch) and
  :func:`direction_sliders` (a digit steered along directions found from data).
"""

from .kernel import interpolation, kl_explorer, latent_sliders
from .static import (conditional_sliders, decoder_sliders, direction_sliders, draw_digit,
                     epoch_slider, latent_maps, likelihood_pad)
from .static import kl_explorer as static_kl_explorer

__all__ = ["latent_sliders", "interpolation", "kl_explorer", "draw_digit", "latent_maps",
           "decoder_sliders", "static_kl_explorer", "conditional_sliders", "likelihood_pad",
           "epoch_slider", "direction_sliders"]
