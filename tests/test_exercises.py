"""The exercises' checks are fair: no right answer is rejected, no wrong one accepted, each
known mistake is named, and whatever the reader's function does, the check ends in one line.

The learners' answers live in ``exercise_answers.py`` (right ones written quite differently from
the book's, one or more wrong ones per named mistake, and wrong ones no mistake explains);
``test_the_answers_tried_per_exercise`` prints how many of each every check was given."""

from __future__ import annotations

import contextlib
import io
import json
import re
import signal
import threading
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from exercise_answers import ODD, RIGHT, WRONG
from vae_tutorial import exercises, losses
from vae_tutorial.exercises import checking, running
from vae_tutorial.support.errors import ConfigError

BOOK = Path(__file__).resolve().parents[1] / "book"


def _one_line_failure(name, fn) -> exercises.Verdict:
    verdict = exercises.diagnose(name, fn)
    assert not verdict.ok and "\n" not in verdict.message, verdict.message
    return verdict


# --------------------------------------------------------------------------- every answer tried

def test_every_exercise_has_answers_of_each_kind():
    assert set(RIGHT) == set(WRONG) == set(ODD) == set(exercises.EXERCISES)
    for name, ex in exercises.EXERCISES.items():
        assert set(WRONG[name]) == set(ex.mistakes), name        # every named mistake is tried
        assert len(RIGHT[name]) >= 3 and ODD[name], name


@pytest.mark.parametrize("name, i", [(n, i) for n, fns in RIGHT.items() for i in range(len(fns))])
def test_a_right_answer_passes(name, i):
    verdict = exercises.diagnose(name, RIGHT[name][i])
    assert verdict.ok and verdict.message.startswith(f"✓ {name}: right."), verdict.message


@pytest.mark.parametrize("name, mistake, i", [(n, m, i) for n, ms in WRONG.items() for m, fns in ms.items()
                                               for i in range(len(fns))])
def test_a_wrong_answer_fails_with_its_mistakes_hint(name, mistake, i):
    verdict = _one_line_failure(name, WRONG[name][mistake][i])
    assert verdict.mistake == mistake, verdict.message
    hint = exercises.EXERCISES[name].mistakes[mistake][0]
    assert re.fullmatch(re.sub(r"\\\{\w+\\\}", ".+", re.escape(f"✗ {name}: {hint}")), verdict.message)


@pytest.mark.parametrize("name, i", [(n, i) for n, fns in ODD.items() for i in range(len(fns))])
def test_a_wrong_answer_no_mistake_explains_gets_the_general_message(name, i):
    verdict = _one_line_failure(name, ODD[name][i])
    assert verdict.mistake is None
    chapter = exercises.EXERCISES[name].chapter
    assert "not one of the usual mistakes" in verdict.message and f"chapter {chapter}" in verdict.message


def test_the_answers_tried_per_exercise(capsys):
    """The table of what every check was given and what it said (run with -s to see it)."""
    rows, totals = [], [0, 0, 0, 0]
    for name in exercises.EXERCISES:
        right = sum(exercises.diagnose(name, fn).ok for fn in RIGHT[name])
        wrong = [(m, fn) for m, fns in WRONG[name].items() for fn in fns]
        named = sum(exercises.diagnose(name, fn).mistake == m for m, fn in wrong)
        odd = sum(not exercises.diagnose(name, fn).ok for fn in ODD[name])
        counts = (len(RIGHT[name]), len(wrong) + len(ODD[name]), right, named + odd)
        totals = [t + c for t, c in zip(totals, counts)]
        rows.append(f"| {name} | {counts[0]} | {counts[2]} passed | {counts[1]} "
                    f"({len(WRONG[name])} mistakes named) | {named} named, {odd} general |")
    with capsys.disabled():
        print("\n| exercise | right answers | result | wrong answers | result |\n|---|---|---|---|---|")
        print("\n".join(rows))
        print(f"| all | {totals[0]} | {totals[2]} passed | {totals[1]} | {totals[3]} failed |")
    assert totals[0] == totals[2] and totals[1] == totals[3]


# --------------------------------------------------------------------------- issue 29's cases, one by one

def _step(sample=None, before=None, loss=None, between=False):
    def train_step(model, optimizer, x):
        if before:
            before(model, x)
        if sample is None:
            logits, mu, logvar = model(x)
        else:
            mu, logvar = model.encode(x)
            logits = model.decode_logits(sample(mu, logvar))
        total = (loss or (lambda *a: losses.vae_loss(*a).total))(logits, x, mu, logvar)
        optimizer.zero_grad()
        total.backward()
        if between:
            optimizer.zero_grad()
        optimizer.step()
        return total.item()
    return train_step


def _sigma(logvar):
    return (0.5 * logvar).exp()


def _look_first(model, x):
    with torch.no_grad():
        model(x)              # a look before the step: it draws noise the step never uses


@pytest.mark.parametrize("step", [
    _step(lambda mu, lv: mu + _sigma(lv) * torch.randn(mu.shape[1], mu.shape[0]).T),
    _step(lambda mu, lv: mu + _sigma(lv) * torch.randn(mu.shape, dtype=torch.float64).float()),
    _step(before=_look_first),
], ids=["transposed", "float64", "extra model(x)"])
def test_train_step_accepts_noise_drawn_another_way(step):
    assert exercises.diagnose("train_step", step).ok


def test_train_step_that_zeroes_gradients_between_backward_and_step_fails():
    assert _one_line_failure("train_step", _step(between=True)).mistake == "weights-unchanged"


@pytest.mark.parametrize("mistake, loss", [
    ("no-kl", lambda l, x, m, v: losses.reconstruction_loss(l, x)),
    ("bce", lambda l, x, m, v: losses.vae_loss(l, x, m, v, "bce").total),
    ("beta", lambda l, x, m, v: losses.vae_loss(l, x, m, v, beta=0.5).total),
    ("kl-sum-over-batch", lambda l, x, m, v: losses.reconstruction_loss(l, x) + losses.kl_per_latent(m, v).sum()),
    ("rec-logits", lambda l, x, m, v: (l - x).pow(2).sum() / len(x) + losses.kl_divergence(m, v)),
])
def test_train_step_names_each_mistake_of_the_loss(mistake, loss):
    assert _one_line_failure("train_step", _step(loss=loss)).mistake == mistake


def test_train_step_says_beta_with_its_value():
    message = exercises.diagnose("train_step", _step(loss=lambda l, x, m, v: losses.vae_loss(
        l, x, m, v, beta=0.5).total)).message
    assert "weighted by 0.5 (beta = 0.5)" in message


@pytest.mark.parametrize("mistake, loss", [
    ("kl-no-minus-one", lambda l, x, m, v: losses.reconstruction_loss(l, x) + 0.5 * (m ** 2 + v.exp() - v).sum(1).mean()),
    ("kl-mean-over-latent", lambda l, x, m, v: losses.reconstruction_loss(l, x) + losses.kl_per_latent(m, v).mean()),
    ("kl-logvar-as-log-sigma", lambda l, x, m, v: losses.reconstruction_loss(l, x) + losses.kl_divergence(m, 2 * v)),
    ("rec-logits", lambda l, x, m, v: F.mse_loss(l, x, reduction="sum") / len(x) + losses.kl_divergence(m, v)),
    ("beta", lambda l, x, m, v: losses.vae_loss(l, x, m, v, beta=10).total),
])
def test_vae_loss_names_each_mistake_of_its_chapter(mistake, loss):
    assert _one_line_failure("vae_loss", loss).mistake == mistake


def test_make_encoder_with_layers_registered_in_another_order_passes():
    class Encoder(nn.Module):
        def __init__(self, latent_dim):
            super().__init__()
            self.head = nn.Linear(128, latent_dim)     # registered first, used last
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU())

        def forward(self, x):
            return self.head(self.body(x))
    assert exercises.diagnose("make_encoder", Encoder).ok


def test_make_encoder_without_bias_is_told_so():
    def make_encoder(d):
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256, bias=False), nn.ReLU(),
                             nn.Linear(256, 128, bias=False), nn.ReLU(), nn.Linear(128, d, bias=False))
    verdict = _one_line_failure("make_encoder", make_encoder)
    assert verdict.mistake == "no-bias" and "bias=False" in verdict.message


@pytest.mark.parametrize("how", ["generator", "manual_seed"])
def test_reparameterize_with_fixed_noise_fails(how):
    def with_generator(mu, logvar):
        return mu + _sigma(logvar) * torch.randn(mu.shape, generator=torch.Generator().manual_seed(0))

    def with_seed(mu, logvar):
        torch.manual_seed(0)
        return mu + _sigma(logvar) * torch.randn_like(mu)
    fn = with_generator if how == "generator" else with_seed
    assert _one_line_failure("reparameterize", fn).mistake == "fixed-noise"


def test_reparameterize_says_whether_the_mean_or_the_spread_is_off():
    half = _one_line_failure("reparameterize", lambda mu, lv: mu + 0.5 * _sigma(lv) * torch.randn_like(mu))
    assert "their average is right (mu), and their spread is" in half.message
    shifted = _one_line_failure("reparameterize", lambda mu, lv: mu + 1 + _sigma(lv) * torch.randn_like(mu))
    assert "where mu is" in shifted.message and "their spread is right (sigma)" in shifted.message


def test_naive_log_mean_exp_in_float64_fails():
    verdict = _one_line_failure("log_mean_exp", lambda log_w: log_w.double().exp().mean(1).log())
    assert verdict.mistake == "underflow" and "float64" in verdict.message


@pytest.mark.parametrize("name, fn", [
    ("reconstruction_loss", lambda logits, x: losses.reconstruction_loss(logits, x).detach()),
    ("bce", lambda logits, x: losses.reconstruction_loss(logits, x, "bce").detach()),
    ("kl_divergence", lambda mu, lv: losses.kl_divergence(mu, lv).detach()),
    ("vae_loss", lambda logits, x, mu, lv: losses.vae_loss(logits, x, mu, lv).total.detach()),
])
def test_a_detached_loss_fails(name, fn):
    assert _one_line_failure(name, fn).mistake == "no-gradient"


def test_numbers_are_shown_with_the_digits_that_differ():
    assert checking.digits(1.601, 1.61) == ("1.601", "1.61")
    assert checking.digits(1.6012345, 1.6012399) == ("1.60123", "1.60124")
    message = exercises.diagnose("kl_divergence", lambda mu, lv: losses.kl_divergence(mu, lv) * 1.001).message
    book, yours = re.search(r"yours gives ([\d.]+), the book's ([\d.]+)", message).groups()
    assert book != yours


# --------------------------------------------------------------------------- how check talks

def _formulas(text: str) -> list[str]:
    """The calls (``Linear(784, 256)``) and short operator formulas (``z = mu + sigma * eps``)
    in a message."""
    calls = re.findall(r"[\w.]+\([^()]*\)", text)
    chains = re.findall(r"[\w²½.()\[\]-]+(?: [=+*/~] [\w²½.()\[\]-]+)+", text)
    return calls + chains


@pytest.mark.parametrize("width", [40, 56, 72])
def test_messages_wrap_between_words_never_inside_a_formula(width):
    for name, ex in exercises.EXERCISES.items():
        for key, (hint, _) in ex.mistakes.items():
            message = f"✗ {name}: {hint}"
            lines = checking.wrap(message, width).splitlines()
            assert " ".join(line.strip() for line in lines) == message
            for formula in _formulas(message):
                assert any(formula in line for line in lines), (formula, lines)
            assert not any(re.search(r" [=+*/-]$", line) for line in lines), lines


def test_the_issues_examples_stay_whole():
    text = ("✗ bce: the sign is flipped: cross-entropy is -[x log p + (1 - x) log(1 - p)], never negative; "
            "the book's layers are Linear(784, 256), Linear(256, 128)")
    for width in range(30, 80):
        wrapped = checking.wrap(text, width)
        assert "log(1 - p)" in wrapped and "Linear(784, 256)" in wrapped


def test_check_prints_one_message(capsys):
    wrong = WRONG["kl_divergence"]["sign-flipped"][0]
    exercises.check("kl_divergence", wrong)
    out = capsys.readouterr().out
    assert " ".join(line.strip() for line in out.splitlines()) == exercises.diagnose("kl_divergence", wrong).message
    assert out.startswith("✗ kl_divergence: the sign is flipped")


def test_a_verdict_prints_within_the_books_column(capsys):
    exercises.check("kl_divergence", lambda mu, logvar: None)
    exercises.check("kl_divergence", exercises.EXERCISES["kl_divergence"].reference)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 3 and max(map(len, lines)) <= 72
    assert lines[0].startswith("✗ kl_divergence: your function returned nothing")


def test_a_function_that_raises_gets_its_error_in_one_line():
    message = _one_line_failure("kl_divergence", lambda mu, logvar: mu @ logvar).message
    assert message.startswith("✗ kl_divergence: your function raised RuntimeError (given shapes (6, 5), (6, 5))")


@pytest.mark.parametrize("name", list(exercises.EXERCISES))
def test_a_check_leaves_the_readers_random_numbers_alone(name):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    exercises.diagnose(name, exercises.EXERCISES[name].reference)
    assert torch.equal(torch.rand(3), expected)


# --------------------------------------------------------------------------- containment (issue 28)

def test_bad_names_and_functions_are_refused_in_one_line():
    with pytest.raises(ConfigError, match="no exercise 'kl'; .*the exercises are .*kl_divergence"):
        exercises.check("kl", lambda mu, lv: 0)
    with pytest.raises(ConfigError, match="did you mean 'kl_divergence'"):
        exercises.check("kl_divergnce", lambda mu, lv: 0)
    for name in (["kl_divergence"], None, 3, {"kl_divergence"}):
        with pytest.raises(ConfigError, match="the exercise's name, a string"):
            exercises.check(name, lambda mu, lv: 0)
    with pytest.raises(ConfigError, match="needs your function itself"):
        exercises.check("kl_divergence", 3.0)


def test_numpy_in_the_gradient_check_is_one_line():
    def reparameterize(mu, logvar):
        eps = torch.randn_like(mu)
        return torch.from_numpy(mu.numpy() + (0.5 * logvar).exp().numpy() * eps.numpy())
    assert _one_line_failure("reparameterize", reparameterize).mistake == "no-gradient"


def test_a_size_written_into_the_code_is_one_line():
    message = _one_line_failure("reparameterize", lambda mu, lv: mu + _sigma(lv) * torch.randn(4000, 6)).message
    assert "yours gives shape (4000, 6), the book's shape (1, 6)" in message
    message = _one_line_failure("reparameterize", lambda mu, lv: mu + _sigma(lv) * torch.randn(4000, 5)).message
    assert "your function raised RuntimeError" in message


@pytest.mark.parametrize("result, words", [
    (lambda mu, lv: losses.kl_divergence(mu, lv) + 5j, "a complex tensor"),
    (lambda mu, lv: complex(losses.kl_divergence(mu, lv).item(), 1), "complex numbers"),
    (lambda mu, lv: torch.empty((), device="meta"), "a meta tensor"),
    (lambda mu, lv: losses.kl_divergence(mu, lv).reshape(1, 1).to_sparse(), "a sparse tensor"),
    (lambda mu, lv: "8.9", "returned a str, not a tensor or a number"),
    (lambda mu, lv: [mu, "x"], "returned a list, not a tensor or a number"),
])
def test_results_that_are_not_real_numbers_are_wrong_with_a_reason(result, words):
    assert words in _one_line_failure("kl_divergence", result).message


def test_an_exception_that_cannot_be_printed_is_one_line():
    class Odd(Exception):
        def __str__(self):
            raise ValueError("no")

    def kl(mu, logvar):
        raise Odd()
    assert "your function raised Odd" in _one_line_failure("kl_divergence", kl).message


def test_sys_exit_in_the_readers_code_is_one_line():
    def kl(mu, logvar):
        raise SystemExit(3)
    assert "raised SystemExit" in _one_line_failure("kl_divergence", kl).message


def _endless(mu, logvar):
    while True:
        pass


def _stubborn(mu, logvar):
    while True:
        try:
            time.sleep(0.01)
        except Exception:      # what a reader's retry loop does: the check's stop is no Exception
            pass


def _asleep(mu, logvar):
    time.sleep(1000)


@pytest.mark.parametrize("fn", [_endless, _stubborn, _asleep])
def test_an_answer_that_never_returns_is_stopped(monkeypatch, fn):
    monkeypatch.setattr(running, "TIME_LIMIT", 0.3)
    handler = signal.getsignal(signal.SIGALRM)
    started = time.perf_counter()
    message = _one_line_failure("kl_divergence", fn).message
    assert time.perf_counter() - started < 5
    assert "did not return within 0.3 s, so the check stopped it" in message
    assert signal.getsignal(signal.SIGALRM) is handler and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_answer_that_never_returns_is_stopped_outside_the_main_thread_too(monkeypatch):
    monkeypatch.setattr(running, "TIME_LIMIT", 0.3)
    out = []
    worker = threading.Thread(target=lambda: out.append(exercises.diagnose("kl_divergence", _stubborn)))
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and "did not return within 0.3 s" in out[0].message
    time.sleep(0.6)               # no stray stop lands in this thread afterwards
    assert exercises.diagnose("kl_divergence", exercises.EXERCISES["kl_divergence"].reference).ok


def test_the_readers_session_is_left_as_it_was():
    def careless(mu, logvar):
        torch.set_grad_enabled(False)
        torch.set_default_dtype(torch.float64)
        torch.manual_seed(123)
        return losses.kl_divergence(mu, logvar)
    threads = torch.get_num_threads()
    exercises.diagnose("kl_divergence", careless)
    assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32
    assert torch.get_num_threads() == threads


# --------------------------------------------------------------------------- the chapters' solutions

def _solution_cells() -> list[tuple[str, str]]:
    """(chapter, source) of every solution code cell: the code cells tagged ``solution`` (the
    book makes each run of them the hidden solution of the exercise above, book/_ext/tagged_cells.py)."""
    return [(path.stem, "".join(cell["source"]))
            for path in sorted(BOOK.glob("*.ipynb"))
            for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code" and "solution" in cell["metadata"].get("tags", [])]


SOLUTIONS = [(chapter, src) for chapter, src in _solution_cells() if "exercises.check(" in src]


def test_every_exercise_has_a_solution_that_runs_its_check():
    checked = {name for _, src in SOLUTIONS for name in exercises.EXERCISES
               if f'exercises.check("{name}"' in src}
    assert checked == set(exercises.EXERCISES)


@pytest.mark.parametrize("chapter", ["11_draw_me_a_7", "12_is_this_a_digit"])
def test_chapters_11_and_12_have_exercises_like_the_others(chapter):
    """At least two exercises, one of them code with a check; no questions left in a tip."""
    cells = json.loads((BOOK / f"{chapter}.ipynb").read_text())["cells"]
    assert sum("exercise" in c["metadata"].get("tags", []) for c in cells) >= 2
    assert any(c == chapter for c, _ in SOLUTIONS)
    assert not any("tip" in c["metadata"].get("tags", []) and "Exercises" in "".join(c["source"])
                   for c in cells)


@pytest.mark.parametrize("chapter, source", SOLUTIONS,
                         ids=[f"{c}-{i}" for i, (c, _) in enumerate(SOLUTIONS)])
def test_every_solution_passes_its_check(chapter, source):
    """Each solution cell of the chapters, run as it is: every check it calls prints ✓."""
    namespace: dict = {}
    exec("from vae_tutorial import exercises\nimport torch\n", namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, namespace)
    lines = [line for line in out.getvalue().splitlines() if line.startswith(("✓", "✗"))]
    assert lines and all(line.startswith("✓") for line in lines), out.getvalue()
