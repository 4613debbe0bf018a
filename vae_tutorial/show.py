"""Show the package's own code in a chapter, so the code a chapter teaches is the code that runs.

    show.code(models.VAE)                       # the class, as it is in vae_tutorial/models.py
    show.changes(models.Autoencoder, models.VAE)  # what the VAE changes, as a diff

The source is read when the cell runs (``inspect.getsource``), so it cannot drift from the
package. It is displayed as a Markdown code block: highlighted in Jupyter, Colab and the built
book alike, in the book's light and dark themes.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import textwrap

from . import losses, models, train
from .support.contracts import Satisfies, checked
from .support.errors import ConfigError


class Code:
    """Source text that shows itself as a highlighted code block (and prints as plain text)."""

    def __init__(self, text: str, language: str = "python") -> None:
        self.text, self.language = text, language

    def _repr_markdown_(self) -> str:
        return f"```{self.language}\n{self.text}\n```"

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


# A function checked at the boundary shows its own source (inspect.unwrap), not the checks'.
SHOWN = Satisfies(lambda obj: inspect.getsourcefile(inspect.unwrap(obj)) and inspect.getsource(inspect.unwrap(obj)),
                  "a function, method or class defined in a file")


def source(obj: SHOWN) -> str:
    """The source of a function, method or class of the package, dedented, without a final
    newline: exactly the lines of its file."""
    return textwrap.dedent(inspect.getsource(inspect.unwrap(obj))).rstrip("\n")


def where(obj: SHOWN) -> str:
    """"vae_tutorial/models.py, lines 70-98": where to find ``obj`` in the package."""
    lines, first = inspect.getsourcelines(inspect.unwrap(obj))
    path = inspect.getsourcefile(inspect.unwrap(obj))
    package = path[path.rfind("vae_tutorial"):] if "vae_tutorial" in path else path
    return f"{package}, lines {first}-{first + len(lines) - 1}"


def code(*objects: SHOWN) -> Code:
    """The source of each of ``objects``, one after the other, with where each lives."""
    return Code("\n\n".join(f"# {where(obj)}\n{source(obj)}" for obj in objects))


def changes(old: SHOWN, new: SHOWN) -> Code:
    """What ``new`` changes from ``old`` (e.g. the VAE from the autoencoder), as a unified diff:
    lines only in ``old`` start with -, lines only in ``new`` with +."""
    old_text, new_text = source(old), source(new)
    diff = difflib.unified_diff(old_text.splitlines(), new_text.splitlines(),
                                fromfile=where(old), tofile=where(new), lineterm="", n=2)
    return Code("\n".join(diff), language="diff")


# The whole VAE, as chapter 7 shows it: model, losses, training step and loop, in the order a
# reader meets them, then the lines that train it (train.py's own ``__main__`` block).
LESSON = (models.mlp, models.VAE, losses.reconstruction_loss, losses.kl_per_latent,
          losses.kl_divergence, losses.LossTerms, losses.vae_loss, train.vae_step,
          train.train_epoch)
LESSON_IMPORTS = ("from typing import NamedTuple\n\nimport torch\nimport torch.nn.functional as F\n"
                  "from torch import nn")


def _main_block(module) -> str:
    """The ``if __name__ == "__main__":`` block of ``module``'s file, as written there."""
    text = inspect.getsource(module)
    for node in ast.parse(text).body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return "\n".join(text.splitlines()[node.lineno - 1:node.end_lineno])
    raise ConfigError(f"{module.__name__} has no __main__ block")


def lesson() -> Code:
    """The whole VAE in one screen, the package's own code: the model, both losses, the step
    and the loop, with the imports they need and the lines that train it on MNIST (downloaded by
    torchvision). Pasted alone into an empty notebook, it trains."""
    parts, shown = [LESSON_IMPORTS], None
    for obj in LESSON:
        path = where(obj).split(",")[0]
        if path != shown:
            parts.append(f"# {path}")
            shown = path
        parts.append(source(obj))
    parts.append(_main_block(train))
    return Code("\n\n".join(parts))


checked(globals())
