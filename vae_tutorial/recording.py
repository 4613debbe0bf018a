"""Watch a model learn: what it makes of the same inputs after every epoch (chapter 7).

A :class:`Recorder` is ``fitting.fit``'s ``on_epoch``: it wraps the loop from outside, like
the progress bar. After each epoch it runs the model, without gradients and without drawing a
random number (so a recorded run trains exactly as an unrecorded one), on inputs fixed before
training starts:

- ``points`` latent points from N(0, I) (``latent.latent_points``, ``seed``), decoded;
- the first training digit of each class, rebuilt from its code (mu for a VAE);
- the first ``codes`` training digits, encoded: where the model puts them.

Training digits, not held-out ones: the shipped models are recorded while they are made, on a
training set whose held-out split the package cannot know. The :class:`Recording` travels with
the trained model in its cache entry or checkpoint (``runs.payload_of``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import torch

from .latent import latent_points

POINTS, CODES, SEED = 10, 1000, 0   # the book's recordings


@dataclass
class Recording:
    """One row per epoch, of the same inputs. Images are uint8 (0-255)."""

    z: torch.Tensor        # (P, latent) the fixed latent points
    digits: torch.Tensor   # (D, 28, 28) the first training digit of each class
    labels: torch.Tensor   # (C,) labels of the training digits whose codes are kept
    decoded: torch.Tensor  # (E, P, 28, 28) the points, decoded after each epoch
    rebuilt: torch.Tensor  # (E, D, 28, 28) the digits, rebuilt after each epoch
    codes: torch.Tensor    # (E, C, latent) the C digits' codes after each epoch
    asked: dict = field(default_factory=lambda: spec())   # points, codes, seed

    @property
    def epochs(self) -> list[int]:
        return list(range(1, len(self.decoded) + 1))

    def tensors(self) -> dict[str, torch.Tensor]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "asked"}

    @classmethod
    def from_tensors(cls, tensors: dict, asked: dict) -> "Recording":
        return cls(**{f.name: tensors[f.name] for f in fields(cls) if f.name != "asked"},
                   asked=dict(asked))


def spec(points: int = POINTS, codes: int = CODES, seed: int = SEED) -> dict:
    """What a recording keeps, as the cache key names it (at most ``codes`` codes: fewer when
    the training set is smaller)."""
    return {"points": points, "codes": codes, "seed": seed}


class Recorder:
    """``on_epoch`` for ``fit``: records ``model`` on ``data``'s training digits after each
    epoch; :meth:`recording` gives what it saw."""

    def __init__(self, model, data, points: int = POINTS, codes: int = CODES,
                 seed: int = SEED) -> None:
        labels = data.train_labels
        first = [int((labels == k).nonzero()[0]) for k in labels.unique()]
        self.model, self.asked = model, spec(points, codes, seed)
        self.z = latent_points(model.latent_dim, points, seed)
        self.digits = data.train_images[first]
        self.coded, self.labels = data.train_images[:codes], labels[:codes]
        self.frames: list[tuple[torch.Tensor, ...]] = []

    @torch.no_grad()
    def __call__(self, epoch: int | None = None, history=None) -> None:
        model, d = self.model, len(self.digits)
        device, was_training = next(model.parameters()).device, model.training
        model.eval()
        x = torch.cat([self.digits, self.coded]).to(device)
        code = model.encode(x.unsqueeze(1).float() / 255)
        code = code[0] if isinstance(code, tuple) else code    # the VAE's mu
        images = model.decode(torch.cat([self.z.to(device), code[:d]]))
        pixels = (images.squeeze(1) * 255).round().to(torch.uint8).cpu()
        p = len(self.z)
        self.frames.append((pixels[:p], pixels[p:], code[d:].float().cpu()))
        model.train(was_training)

    def recording(self) -> Recording:
        decoded, rebuilt, codes = (torch.stack(part) for part in zip(*self.frames))
        return Recording(self.z, self.digits, self.labels, decoded, rebuilt, codes, self.asked)
