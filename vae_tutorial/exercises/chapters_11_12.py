"""The exercises of chapters 11 and 12: what the conditional VAE's decoder reads, and the
complexity-corrected score."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .. import metrics, models
from .checking import Exercise, call_scalar, gen

# ------------------------------------------------------------------------ 11: the decoder's input
# Some batches lack the 9s: F.one_hot(y) without num_classes then makes fewer than ten columns.

def _decoder_cases(case: int) -> tuple:
    g = gen(case)
    top = (7, 10, 4)[case]
    return torch.randn(6, 3, generator=g), torch.randint(0, top, (6,), generator=g)


DECODER_INPUT = Exercise(
    "decoder_input", "11", "the latent points, then each label one-hot: (B, latent + 10)",
    lambda z, y: torch.cat([z, models.one_hot(y)], 1), _decoder_cases, call_scalar,
    {
        "label-number": ("the label goes in as one number: the decoder reads it one-hot, ten "
                         "numbers with a 1 at the digit (models.one_hot(y), or F.one_hot(y, 10))",
                         lambda z, y: torch.cat([z, y[:, None].float()], 1)),
        "one-hot-width": ("F.one_hot(y) without num_classes makes only as many columns as the "
                          "largest label in the batch needs: pass num_classes=10",
                          lambda z, y: torch.cat([z, F.one_hot(y).float()], 1)),
        "label-first": ("the label comes first: the decoder reads z first, then the ten label "
                        "numbers (torch.cat([z, one_hot], dim=1)), and a trained one reads them "
                        "in that order", lambda z, y: torch.cat([models.one_hot(y), z], 1)),
        "no-label": ("the label is missing: the conditional decoder reads z and the label, "
                     "one-hot", lambda z, y: z),
        "added": ("the label is added to z, not put beside it: join them with torch.cat(..., "
                 "dim=1)", lambda z, y: z + y[:, None]),
    },
    "The decoder's input: how (z), then which digit (one-hot).")


# ------------------------------------------------------------------------ 12: the corrected score
# A PNG's length in bytes, L(x) in nats: 8 bits a byte, ln 2 nats a bit.

NATS_PER_BYTE = 8 * math.log(2)


def _score_cases(case: int) -> tuple:
    g = gen(case)
    log_px = -100 - 300 * torch.rand(8, generator=g, dtype=torch.float64)
    return log_px, torch.randint(90, 400, (8,), generator=g)


def _corrected(log_px, png_bytes):
    lengths = {"images": png_bytes * NATS_PER_BYTE}
    return metrics.complexity_corrected({"model": {"images": log_px}}, lengths)["model"]["images"]


CORRECTED_SCORE = Exercise(
    "corrected_score", "12", "log p(x) + L(x), with L(x) the PNG's length in nats",
    _corrected, _score_cases, call_scalar,
    {
        "bytes": ("the length is still in bytes: a byte is 8 bits and a bit is ln 2 nats, so "
                  "L(x) = bytes * 8 * ln 2", lambda log_px, n: log_px + n),
        "bits": ("the length is in bits: a bit is ln 2 (0.693) nats, so multiply by "
                 "math.log(2) too", lambda log_px, n: log_px + 8 * n),
        "divided": ("it divides by ln 2: a bit is ln 2 nats, so multiply by math.log(2)",
                    lambda log_px, n: log_px + 8 * n / math.log(2)),
        "minus": ("the length is subtracted: the score adds it, log p(x) + L(x), the nats the "
                  "model saves over the compressor", lambda log_px, n: log_px - n * NATS_PER_BYTE),
        "s-itself": ("that is Serrà et al.'s S(x) = -log p(x) - L(x), which is higher for "
                     "strangers: flip its sign, so that higher means more like the model's data",
                     lambda log_px, n: -log_px - n * NATS_PER_BYTE),
        "no-length": ("that is log p(x) alone: add the compressed length L(x)",
                      lambda log_px, n: log_px + 0 * n),
    },
    "Higher means more like the model's own data, once the compressor's share is taken out.")
