"""How a check judges a function: the exercise's record, the verdict, and the words it prints."""

from __future__ import annotations

import copy
import re
import textwrap
from dataclasses import dataclass
from typing import Callable

import torch

from .running import Failed, as_tensor, call

CASES = 3   # random input sets each function is tried on
WIDTH = 72  # the exercise boxes' column


@dataclass(frozen=True)
class Verdict:
    """What :func:`diagnose` found: ``ok``; ``mistake``, the key of the known mistake the
    function matched (None when right or unrecognised); ``message``, the one line ``check``
    prints."""

    exercise: str
    ok: bool
    mistake: str | None
    message: str

    def __str__(self) -> str:
        return self.message


class Found(Exception):
    """Raised inside an exercise's ``run`` when a mistake shows before any comparison (weights
    of the wrong shape, noise that never changes): ``key`` names it in the exercise's
    ``mistakes``; ``details`` fill the ``{...}`` in its hint."""

    def __init__(self, key: str, **details) -> None:
        super().__init__(key)
        self.key, self.details = key, details


@dataclass(frozen=True)
class Exercise:
    """One checkable exercise.

    ``run(fn, case)`` calls a function written for the exercise on one random input set and
    returns what is compared (a tensor); ``reference`` is the book's own function, and each of
    ``mistakes`` maps a key to (the line a reader is shown, that mistake written out as a
    function the same ``run`` can call, or None for mistakes found another way: ``run`` or
    ``spot`` raising :class:`Found`, or the gradient)."""

    name: str
    chapter: str
    task: str
    reference: Callable
    cases: Callable[[int], tuple]
    run: Callable[[Callable, tuple], torch.Tensor]
    mistakes: dict[str, tuple[str, Callable | None]]
    right: str
    rtol: float = 1e-4
    atol: float = 1e-5
    compare: Callable | None = None    # (got, expected) -> bool, when closeness is not enough
    describe: Callable | None = None   # (got, expected, args) -> how they differ, in words
    spot: Callable | None = None       # (got, expected, args): raise Found when no version matched
    gradient: tuple[int, ...] = ()     # the arguments a result must pass gradients back to
    after: Callable | None = None      # (fn) -> a mistake's key or None: a last test, once right


# --------------------------------------------------------------------------- inputs and runs
# Each exercise's random inputs are seeded by the case number.

def gen(case: int) -> torch.Generator:
    return torch.Generator().manual_seed(1000 + case)


def pictures(n: int, g: torch.Generator) -> torch.Tensor:
    """(n, 1, 28, 28) in [0, 1], like digits: mostly background, some full ink, some grey."""
    u = torch.rand(n, 1, 28, 28, generator=g)
    grey = torch.rand(n, 1, 28, 28, generator=g)
    return torch.where(u < 0.6, 0.0, torch.where(u < 0.7, 1.0, grey))


def call_scalar(fn, args) -> torch.Tensor:
    """The ``run`` of exercises whose function takes the case's tensors and returns numbers."""
    return as_tensor(call(fn, *args))


def _close(ex: Exercise, got: torch.Tensor, expected: torch.Tensor) -> bool:
    if got.shape != expected.shape:
        return False
    if ex.compare is not None:
        return bool(ex.compare(got, expected))
    return bool(torch.isclose(got, expected, rtol=ex.rtol, atol=ex.atol, equal_nan=True).all())


def digits(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` with as many significant digits (4 to 12) as it takes to tell them apart."""
    for p in range(4, 13):
        sa, sb = f"{a:.{p}g}", f"{b:.{p}g}"
        if sa != sb:
            break
    return sa, sb


def _shape(t: torch.Tensor) -> str:
    return "a single number" if t.dim() == 0 else f"shape {tuple(t.shape)}"


def describe(got: torch.Tensor, expected: torch.Tensor) -> str:
    """How a result differs from the book's, with the digits that show it."""
    if got.shape != expected.shape:
        return f"yours gives {_shape(got)}, the book's {_shape(expected)}"
    if got.numel() == 1:
        a, b = digits(got.item(), expected.item())
        return f"yours gives {a}, the book's {b} on the same inputs"
    gap = (got - expected).abs().nan_to_num(float("inf"))
    worst = int(gap.flatten().argmax())
    a, b = digits(got.flatten()[worst].item(), expected.flatten()[worst].item())
    where = list(torch.unravel_index(torch.tensor(worst), got.shape))
    return (f"on the same inputs yours differs from the book's by up to {gap.max().item():.3g}: "
            f"at [{', '.join(str(int(i)) for i in where)}] yours is {a}, the book's {b}")


def _recognise(ex: Exercise, got: torch.Tensor, expected: torch.Tensor, args: tuple) -> None:
    """Raise :class:`Found` for the first known mistake that gives ``got`` on ``args``."""
    for key, (_, version) in ex.mistakes.items():
        if version is None:
            continue
        try:
            theirs = ex.run(version, copy.deepcopy(args))
        except (Failed, Found):
            continue
        if _close(ex, got, theirs):
            raise Found(key)
    if ex.spot is not None:
        ex.spot(got, expected, args)


def _keeps_gradient(ex: Exercise, fn: Callable) -> bool:
    """Whether ``fn``'s result passes a gradient back to each argument of ``ex.gradient``, on
    the first case's inputs: a loss must, for ``backward()``; so must a sample z (the
    reparameterisation trick). Its shape must follow the inputs' there too, so a size written
    into the code shows."""
    args = list(ex.cases(0))
    expected = as_tensor(call(ex.reference, *args))
    leaves = [args[i].detach().clone().requires_grad_(True) for i in ex.gradient]
    for i, leaf in zip(ex.gradient, leaves):
        args[i] = leaf
    try:
        out = call(fn, *args)
    except Failed as failed:
        if failed.error is not None and "requires grad" in str(failed.message):
            return False    # .numpy() on a tensor that carries a gradient
        raise
    got = as_tensor(out)
    if got.shape != expected.shape:
        shapes = ", ".join(str(tuple(a.shape)) for a in args if isinstance(a, torch.Tensor))
        raise Failed(f"given inputs of shapes {shapes}, {describe(got, expected)}: does a size "
                     f"written into your code not follow the inputs?")
    if not isinstance(out, torch.Tensor) or out.grad_fn is None:
        return False
    grads = call(lambda: torch.autograd.grad(out.sum(), leaves, allow_unused=True))
    return all(g is not None and bool(g.abs().sum() > 0) for g in grads)


def diagnose_exercise(ex: Exercise, fn: Callable) -> Verdict:
    """The verdict on ``fn`` for ``ex``: compare with the book's function on every case; when
    they differ, name the mistake ``fn`` matches. The inputs are small: one thread runs them
    fastest, and does not wait for cores that other work holds. The reader's random number
    generator is left as it was."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():     # the reader's random numbers stay theirs
            return _diagnose(ex, fn)
    finally:
        torch.set_num_threads(threads)


def _diagnose(ex: Exercise, fn: Callable) -> Verdict:
    def verdict(key: str | None, text: str) -> Verdict:
        return Verdict(ex.name, False, key, f"✗ {ex.name}: {text}")

    try:
        for case in range(CASES):
            args = ex.cases(case)
            got = ex.run(fn, copy.deepcopy(args))
            expected = ex.run(ex.reference, copy.deepcopy(args))
            if _close(ex, got, expected):
                continue
            _recognise(ex, got, expected, args)
            words = (ex.describe or (lambda g, e, a: describe(g, e)))(got, expected, args)
            return verdict(None, f"not what the book's code gives ({words}), and not one of the "
                                 f"usual mistakes. Compare it with the code shown in chapter "
                                 f"{ex.chapter}.")
        if ex.gradient and not _keeps_gradient(ex, fn):
            raise Found("no-gradient")
        if ex.after is not None and (key := ex.after(fn)) is not None:
            raise Found(key)
    except Found as found:
        hint = ex.mistakes[found.key][0]
        return verdict(found.key, hint.format(**found.details) if found.details else hint)
    except Failed as failed:
        return verdict(None, failed.message)
    return Verdict(ex.name, True, None, f"✓ {ex.name}: right. {ex.right}")


# --------------------------------------------------------------------------- printing

_OPERATOR = re.compile(r"[=+\-*/<>~×−·≤≥→]+[,:;.]?")
_PREFIX = {"log", "exp", "sqrt", "ln", "½", "+½", "-½"}   # glued to the word after them
_SHORT = 40   # a bracket of prose this short that holds an operator is one formula


def wrap(message: str, width: int = WIDTH) -> str:
    """``message`` wrapped to ``width`` between words, never inside a formula: not inside a
    call's brackets (``Linear(784, 256)``, ``log(1 - p)``), a short bracket that holds an
    operator (``(mu² + sigma²)``), a `code span`, nor next to an operator
    (``z = mu + sigma * eps``), nor after ``log`` or ``½``."""
    tokens = message.split(" ")
    glued, depth, code, formula = [], 0, False, []
    for i, token in enumerate(tokens):
        if i:
            before = tokens[i - 1]
            keep = (code or bool(formula) or before in _PREFIX
                    or _OPERATOR.fullmatch(before) is not None
                    or _OPERATOR.fullmatch(token) is not None)
            glued.append("\u00a0" if keep else " ")
        glued.append(token)
        code ^= token.count("`") % 2 == 1
        for j, ch in enumerate(token):
            if ch in "([":
                depth += 1
                rest = " ".join(tokens[i:])[j:]
                inside = rest[:_closing(rest) + 1]
                call = j > 0 and (token[j - 1].isalnum() or token[j - 1] in "._")
                if call or (len(inside) <= _SHORT
                            and any(_OPERATOR.fullmatch(t.strip("()[]")) for t in inside.split())):
                    formula.append(depth)
            elif ch in ")]":
                if formula and formula[-1] == depth:
                    formula.pop()
                depth = max(depth - 1, 0)
    text = textwrap.fill("".join(glued), width, subsequent_indent="  ", break_long_words=False,
                         break_on_hyphens=False)
    return text.replace("\u00a0", " ")


def _closing(text: str) -> int:
    """Where the bracket that opens ``text`` closes (its length if it never does)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0:
            return i
    return len(text)
