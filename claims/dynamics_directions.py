"""Issue 31's sentences: chapter 7's schedule and its maps forming epoch by epoch (the recordings
of ``book.RECORDED``), and chapter 8's directions found from data (see ``harness.py``)."""

from __future__ import annotations

import math

import torch

from vae_tutorial import book, fitting, metrics
from vae_tutorial.fitting import evaluate_loss

from .harness import World, above, below, claim, lower, ratio, word


@claim()
def test_07_the_schedule_trains_as_well_in_fewer_epochs(w):
    """07: "the book's VAE trains for 10 epochs over full MNIST instead of 15 (50 over the offline
    digits instead of 60) and reaches a held-out −ELBO within 1% of what 15 (60) at a constant
    0.001 reach, or lower"; recap: "The book's run adds a one-cycle learning-rate schedule around
    the loop (fit steps it after every batch): a model as good in fewer epochs" (the chapter's
    run against the recipe before the schedule, both trained here; the −ELBO of the world's
    held-out digits)."""
    def compute():
        data, held_out = w.train_data, w.digits.test_images
        constant = book.EPOCHS.get(data.variant, book.EPOCHS["full"])
        fast = w.trained("vae", pretrained=False)
        slow = w.trained("vae", pretrained=False, lr=1e-3, schedule="constant", epochs=constant)
        return {name: (run.config.epochs, evaluate_loss(run.model, held_out, elbo=True).total)
                for name, run in (("one-cycle", fast), ("constant", slow))}
    r = w.memo("07 schedule", compute)
    (fast_epochs, fast), (slow_epochs, slow) = r["one-cycle"], r["constant"]
    full = (book.ONE_CYCLE_EPOCHS["full"], book.EPOCHS["full"])
    offline = (book.ONE_CYCLE_EPOCHS["offline-5000"], book.EPOCHS["offline-5000"])
    return [below("held-out -ELBO, one-cycle / constant", fast / slow, 1.01, "< 1.01 (within 1%, or lower)"),
            lower("epochs, one-cycle under constant", fast_epochs, slow_epochs),
            below("epochs on full MNIST (one-cycle, constant), distance from (10, 15)",
                  abs(full[0] - 10) + abs(full[1] - 15), 0.5, "as stated"),
            below("epochs offline (one-cycle, constant), distance from (50, 60)",
                  abs(offline[0] - 50) + abs(offline[1] - 60), 0.5, "as stated")]


@claim()
def test_07_one_cycle_starts_low_peaks_at_30_percent_and_ends_near_nothing(w):
    """07: "the one-cycle schedule (Smith and Topin, 2017; PyTorch's OneCycleLR) starts at a 25th
    of the peak rate (lr), warms up to it over the first 30% of the batches, then anneals it to
    almost nothing"; "For the book's VAE it also sets the learning rate before every batch, from
    a schedule (below): the loop never sees it" (the rate of every batch of the book's VAE's run,
    read from fitting.schedule_for as fit steps it; almost nothing: below a thousandth of lr)."""
    config = book.config("vae", w.train_data)
    batches = math.ceil(len(w.train_data.train_images) / config.batch_size)
    optimizer = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=config.lr)
    schedule = fitting.schedule_for(optimizer, config, batches)
    rates = []
    for _ in range(config.epochs * batches):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    rates = torch.tensor(rates)
    return [below("first rate x 25 / lr, distance from 1", abs(float(rates[0]) * 25 / config.lr - 1), 1e-6, "= 1"),
            below("peak rate / lr, distance from 1", abs(float(rates.max()) / config.lr - 1), 1e-6, "= 1"),
            below("batch of the peak / all batches, distance from 30%",
                  abs(int(rates.argmax()) / len(rates) - 0.3), 1 / len(rates) + 1e-9, "30%"),
            below("last rate / lr", float(rates[-1]) / config.lr, 1e-3)]


def _recordings(w: World) -> dict:
    return {name: w.trained(name).recording for name in ("ae-2d", "vae-2d")}


@claim()
def test_07_vae_codes_gather_inside_the_circle_at_once_autoencoders_stay_outside(w):
    """07: "from the second epoch on, most of them lie inside it [...] The autoencoder's codes
    sit off the origin from the start, most of them outside the circle in every epoch" (the
    recorded codes of the 2-d models' first 1,000 training digits)."""
    r = _recordings(w)
    vae, ae = metrics.inside_shares(r["vae-2d"]), metrics.inside_shares(r["ae-2d"])
    return [word("2-d VAE: fewest codes inside the circle, epoch 2 on", float(vae[1:].min()), "most"),
            word("2-d autoencoder: fewest codes outside the circle, any epoch", 1 - float(ae.max()), "most")]


@claim()
def test_07_the_vae_map_settles_far_sooner_the_autoencoders_keeps_spreading(w):
    """07: "its map reaches its final size far sooner than the autoencoder's (the epoch from which
    the spread stays within 10% of its last value [...] by the last epoch its spread is more than
    one and a half times what it was after the first" (far sooner: the autoencoder's epoch at
    least twice the VAE's)."""
    r = _recordings(w)
    ae, vae = metrics.spreads(r["ae-2d"]), metrics.spreads(r["vae-2d"])
    return [word("epoch the spread settles, autoencoder / VAE",
                 ratio(metrics.settled(ae), metrics.settled(vae)), "far more"),
            above("autoencoder's spread, last epoch / first", float(ae[-1] / ae[0]), 1.5)]


def _steering(w: World) -> dict:
    """Chapter 8's cell: each direction found from the training digits, every held-out digit of
    the world moved half a step and a whole step each way."""
    def compute():
        vae, x = w.model("vae"), w.digits.images("test")
        out = {}
        for name in ("thickness", "slant"):
            d = metrics.direction(vae, w.train_data, name)
            out[name] = {a: metrics.steer(vae, w.judge, x, d, name, a) for a in (0.5, 1.0)}
        return out
    return w.memo("08 steering", compute)


@claim()
def test_08_half_a_step_changes_the_attribute_and_keeps_the_digit(w):
    """08: "Half a step each way, the attribute grows along its direction for most held-out digits
    [...] and the judge still reads the same digit at both ends for most of them."; recap: "half a
    step changes the attribute as named for most held-out digits, and most of them stay the same
    digit" (held-out digits, none of which helped find the directions)."""
    out = []
    for name, steps in _steering(w).items():
        out += [word(f"{name}: grows along the direction, half a step each way",
                     steps[0.5].changes_as_said, "most"),
                word(f"{name}: read as the same digit at both ends, half a step", steps[0.5].same_digit, "most")]
    return out


@claim()
def test_08_a_whole_step_changes_the_digit_more_often(w):
    """08: "A whole step each way changes the digit itself more often: the judge reads the same
    digit at both ends for fewer of them." """
    return [lower(f"{name}: read as the same digit at both ends, a whole step against half",
                  steps[1.0].same_digit, steps[0.5].same_digit)
            for name, steps in _steering(w).items()]
