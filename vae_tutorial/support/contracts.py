"""What a public function takes, declared once in its signature and checked where a reader calls it.

    def encodings(model: LatentModel, images: Images(), labels: ModelLabels("images") = None,
                  batch_size: Count(1) = 2000) -> Finite("encodings"):

An annotation is a rule, or a plain type read as one (``str``, ``bool``, ``int``: a whole number
>= 0, ``float``: a finite number, a class, ``tuple[X, Y]``, ``X | None``); a default of None is
always allowed. A rule says what the argument must be, checks it and converts it where the
package promises to (uint8 images to floats in [0, 1], lists to tensors): the function gets the
converted values. ``checked(globals())``, a module's last line, wraps its public functions and
methods that declare a rule; ``contract(fn, **rules)`` declares a function whose signature stays
plain (the lesson's losses). A violation ends in one ``ConfigError`` line naming the function,
the argument, what it must be and what it got. Only the outermost checked call checks: the
package's own calls pass converted values (``VAE_TUTORIAL_CHECK_NESTED=1``, set by the tests,
checks them too). Not jaxtyping with beartype or typeguard: they check types and shapes, not
values (pixels in [0, 1], NaN, a count against memory), do not convert, answer in several lines
and would be two more dependencies for every Colab reader; their shape notation is kept (Shape).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import math
import os
import types
import typing

import numpy as np
import torch

from .devices import memory_bytes
from .errors import ConfigError, TrainingError, TutorialError

MEMORY_SHARE = 0.5             # the work one call sizes may take this share of the machine's memory
IMAGE_BYTES = 28 * 28 * 4      # one float32 image
CHECK_NESTED = os.environ.get("VAE_TUTORIAL_CHECK_NESTED", "") not in ("", "0")
KINDS = {"ae": "a plain autoencoder", "vae": "a VAE", "cvae": "a conditional VAE",
         "classifier": "a classifier (the judge)"}


class Refused(Exception):
    """What a value must be (else the rule's wants), what it got, how to fix it, where inside."""

    def __init__(self, wants: str | None = None, got: str | None = None, hint: str | None = None):
        super().__init__(wants)
        self.wants, self.got, self.hint, self.path = wants, got, hint, ""


def _refuse(*args):
    raise Refused(*args)


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" and not word.startswith("uint") else "a ") + word


def describe(value) -> str:
    """What a value is, in a few words: a message's "got"."""
    if isinstance(value, torch.Tensor):
        where = "" if value.device.type == "cpu" else f" on {value.device}"
        if value.dim() == 0 and value.device.type != "meta":
            return f"a {str(value.dtype)[6:]} tensor holding {value.item()!r}{where}"
        return f"{_a(str(value.dtype)[6:])} tensor of shape {tuple(value.shape)}{where}"
    if isinstance(value, np.ndarray):
        return f"{_a(str(value.dtype))} array of shape {value.shape}"
    if isinstance(value, (list, tuple, dict)):
        kind = type(value).__name__
        return f"a {kind} of {len(value)} ({describe(next(iter(value)))}, ...)" if value else f"an empty {kind}"
    if value is None or isinstance(value, (bool, int, float, str, np.number, np.bool_)):
        return (lambda t: t if len(t) <= 60 else t[:57] + "...")(" ".join(repr(value).split()))
    kind = _kind(value)
    if kind == "classifier" and not type(value).__module__.startswith("vae_tutorial"):
        return _a(type(value).__name__) + " (no latent_dim: read as a classifier)"   # a reader's own
    return _a(type(value).__name__) + (f" ({KINDS[kind]})" if kind else "")


class Rule:
    """``wants`` completes "x must be ..."; ``check(value, args)`` returns what the function gets
    (``args``: the call's arguments) or raises Refused; ``needs``: arguments it reads, first."""

    def __init__(self, wants: str, check, needs: tuple = (), sees_none: bool = False) -> None:
        self.wants, self.check, self.needs, self.sees_none = wants, check, tuple(needs), sees_none

    def __or__(self, other) -> Rule:          # rule | None: None passes as it is
        return Rule(f"{self.wants} (or None)", lambda v, a: None if v is None else self.check(v, a), self.needs, True)

    __ror__ = __or__

    def __and__(self, other: Rule) -> Rule:   # both, the second seeing the first's conversion
        return Rule(f"{self.wants} and {other.wants}", lambda v, a: other.check(self.check(v, a), a),
                    self.needs + other.needs)

    def __repr__(self) -> str:
        return f"<{self.wants}>"

    def validate(self, value, what: str):
        """The value checked outside a call (a configuration), or one ConfigError naming ``what``."""
        return _checked(self, value, {}, what, None)


def _whole(value) -> int | None:
    """``value`` as an int when it is a whole number (int, numpy integer, 0-d integer tensor)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    integer = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
    return int(value) if isinstance(value, torch.Tensor) and value.dim() == 0 and value.dtype in integer else None


def _lookup(args: dict, ref: str):
    """Another argument, or an attribute of one: "codes", "model.latent_dim", "self.model"."""
    head, *rest = ref.split(".")
    return functools.reduce(getattr, rest, args.get(head))


def _size(ref, args: dict) -> int | None:
    """A number, an argument (a whole number, else its length) or a function of arguments."""
    if ref is None or isinstance(ref, int):
        return ref
    if callable(ref):
        return ref(*[args[p] for p in inspect.signature(ref).parameters])
    value = _lookup(args, ref)
    return _whole(value) if _whole(value) is not None else len(value)


def _needs(*refs) -> tuple:
    return tuple(n for r in refs for n in ((r.split(".")[0],) if isinstance(r, str) else
                                           tuple(inspect.signature(r).parameters) if callable(r) else ()))


@functools.lru_cache(maxsize=1)
def memory_budget() -> tuple[int, int]:
    """(what the work of one call may take, this machine's memory) in bytes, read once."""
    total = memory_bytes() or 4 * 2**30        # 4 GiB where it cannot be read
    return int(total * MEMORY_SHARE), total


def Fits(bytes_of) -> Rule:
    """The work fits in memory: ``bytes_of(value, *others)`` (others: arguments by name), in bytes."""
    others = list(inspect.signature(bytes_of).parameters)[1:]

    def check(value, args):
        cost = lambda v: bytes_of(v, *[args[p] for p in others])  # noqa: E731
        (budget, total), low, high = memory_budget(), 0, value if isinstance(value, int) else 0
        if cost(value) <= budget:
            return value
        while high - low > 1:                                      # the largest count that fits
            low, high = ((low + high) // 2, high) if cost((low + high) // 2) <= budget else (low, (low + high) // 2)
        raise Refused(f"{f'at most about {low:,} here' if low else 'smaller'} (the work must fit in "
                      f"{budget / 1e9:,.1f} GB, {MEMORY_SHARE:.0%} of this machine's memory)",
                      f"{describe(value)}, which needs about {cost(value) / 1e9:,.1f} GB")
    return Rule("small enough to fit in memory", check, tuple(others))


def Count(low: int = 0, high=None, *, fits=None) -> Rule:
    """A whole number from ``low`` to ``high`` (a size), as an int; ``fits``: see :func:`Fits`."""
    memory = Fits(fits) if fits else None

    def check(value, args):
        n, top = _whole(value), _size(high, args)
        if n is None or n < low or (top is not None and n > top):
            raise Refused(None if top is None or isinstance(high, int) else f"a whole number from {low:,} to {top:,}")
        return n if memory is None else memory.check(n, args)
    wants = f"a whole number from {low:,} to {high:,}" if isinstance(high, int) else f"a whole number >= {low:,}"
    return Rule(wants, check, _needs(high) + (memory.needs if memory else ()))


Seed = Rule("a whole number from 0 to 2**63 - 1",
            lambda v, a: _whole(v) if _whole(v) is not None and 0 <= _whole(v) < 2**63 else _refuse())


def Real(*, above: float | None = None, at_least: float | None = None, at_most: float | None = None,
         below: float | None = None, infinite: bool = False) -> Rule:
    """One real number, finite (``infinite``: any but NaN), within the bounds given: a float."""
    bounds = [(b, test, word) for b, test, word in ((above, float.__gt__, "above"), (at_least, float.__ge__, ">="),
              (at_most, float.__le__, "<="), (below, float.__lt__, "below")) if b is not None]

    def check(value, args):
        one = isinstance(value, torch.Tensor) and value.numel() == 1 and value.device.type != "meta" and (
            value.is_floating_point() or _whole(value.reshape(())) is not None)
        if not (one or isinstance(value, (int, float, np.integer, np.floating))) or isinstance(value, (bool, np.bool_)):
            raise Refused()
        x = float(value.reshape(()).item()) if one else float(value)
        if math.isnan(x) or (math.isinf(x) and not infinite) or not all(test(x, float(b)) for b, test, _ in bounds):
            raise Refused()
        return x
    return Rule(("a number (not NaN)" if infinite else "a finite number")
                + " and".join(f" {word} {b:g}" for b, _, word in bounds), check)


def _finite(t: torch.Tensor) -> bool:
    """Whether every value of a tensor is finite (one min/max pass)."""
    if t.numel() == 0 or not t.is_floating_point():
        return True
    low, high = torch.aminmax(t.detach())
    return math.isfinite(low.item()) and math.isfinite(high.item())


def _float_type(model) -> torch.dtype:
    weight = next(model.parameters(), None) if isinstance(model, torch.nn.Module) else None
    return torch.float32 if weight is None else weight.dtype


def Images(*, least: int = 0, most: int | None = None, n=None, like: str = "model", one: bool = False) -> Rule:
    """Images as the models take them: (N, 1, 28, 28) floats in [0, 1] in the float type of
    argument ``like`` (a model; else float32), where they are. Taken: tensors or numpy arrays,
    (N, 1, 28, 28) or (N, 28, 28), uint8 0-255 or floats in [0, 1]; ``least`` to ``most``
    images, or ``n`` (an argument: its length); ``one``: a single image, as (1, 1, 28, 28)."""
    def check(value, args):
        x = torch.from_numpy(value) if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" else value
        if not isinstance(x, torch.Tensor) or x.device.type == "meta":
            raise Refused(hint="pass a torch tensor (data.ImageData.images() gives images)")
        x = x.detach()
        if one and tuple(x.shape) in ((28, 28), (1, 28, 28), (1, 1, 28, 28)):
            x = x.reshape(1, 1, 28, 28)
        elif not one and x.dim() == 3 and tuple(x.shape[1:]) == (28, 28):
            x = x.unsqueeze(1)
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28) or len(x) < least or (one and len(x) != 1):
            raise Refused()
        if (most is not None and len(x) > most) or (n is not None and len(x) != _size(n, args)):
            raise Refused(f"{_size(n, args)} images, one per item of {n}" if n else None, f"{len(x):,} images")
        dtype = _float_type(args.get(like.split(".")[0]) and _lookup(args, like))
        if x.dtype == torch.uint8:
            return x.to(dtype).div_(255)
        if not x.is_floating_point():
            raise Refused(hint="use x.float() / 255 if they are 0-255, x.float() if 0-1")
        low, high = (float(v) for v in torch.aminmax(x)) if len(x) else (0.0, 1.0)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise Refused(got=f"{describe(value)} holding NaN or infinite values")
        if low < 0 or high > 1:
            raise Refused(got=f"values from {low:.3g} to {high:.3g}", hint="for images in [-1, 1] use (x + 1) / 2"
                          if -1 <= low and high <= 1 else "for 0-255 floats use x / 255" if 0 <= low else None)
        return x.to(dtype)
    shape = "one (28, 28) image" if one else "(N, 1, 28, 28) or (N, 28, 28) images"
    return Rule(f"{shape}, floats in [0, 1] or uint8 0-255" + f", at least {least}" * bool(least)
                + (f", at most {most:,}" if most else ""), check, _needs(n, like))


def _as_floats(value) -> torch.Tensor:
    """Real numbers (a tensor, an array or nested lists) as float64 on the CPU."""
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.dtype == torch.bool or value.device.type == "meta":
            raise Refused()
        return value.detach().to("cpu", torch.float64)
    return torch.as_tensor(np.asarray(value, dtype=np.float64))


def _finite_or_refuse(t: torch.Tensor, value) -> torch.Tensor:
    return t if _finite(t) else _refuse(None, f"{describe(value)} holding NaN or infinite values")


def Latents(*, like: str = "model") -> Rule:
    """Latent points for the model argument ``like``: (N, latent_dim) finite reals, in its float type."""
    def check(value, args):
        model = _lookup(args, like)
        t = value.detach() if isinstance(value, torch.Tensor) and value.is_floating_point() else _as_floats(value)
        if t.dim() != 2 or t.shape[1] != model.latent_dim:
            raise Refused(f"latent points (N, {model.latent_dim}) for this model, finite",
                          hint="one point is z[None] or torch.tensor([[...]])" if t.dim() == 1 else None)
        return _finite_or_refuse(t, value).to(_float_type(model))
    return Rule("latent points (N, latent_dim), finite", check, _needs(like))


def Points(*, least: int = 1, n=None, dim=None, flatten: bool = False) -> Rule:
    """(N, d) finite reals, ``least`` or ``n`` of them, ``dim`` (an argument: its columns) numbers
    each; ``flatten``: (N, ...) such as images. As float64 on the CPU."""
    def check(value, args):
        t = _as_floats(value)
        t = t.flatten(1) if flatten and t.dim() > 2 else t
        d = _lookup(args, dim) if isinstance(dim, str) else dim
        d = d.shape[1] if isinstance(d, torch.Tensor) else d
        if t.dim() != 2 or t.shape[1] == 0 or (d is not None and t.shape[1] != d):
            raise Refused(None if d is None else f"points (N, {d}), finite, at least {least}")
        if len(t) < least or (n is not None and len(t) != _size(n, args)):
            raise Refused(None if n is None else f"one point per item of {n} ({_size(n, args)})", f"{len(t)} point(s)")
        return _finite_or_refuse(t, value)
    return Rule(f"points (N, d), finite, at least {least}", check, _needs(dim, n))


def Numbers(n=None, *, least: int = 0) -> Rule:
    """One finite number per item, ``n`` (an argument: its length) or at least ``least``: (n,) float64."""
    def check(value, args):
        t = _as_floats(value)
        if t.dim() != 1 or len(t) < least or (n is not None and len(t) != _size(n, args)):
            raise Refused(None if n is None else f"{_size(n, args)} finite numbers, one per item of {n}")
        return _finite_or_refuse(t, value)
    return Rule(f"finite numbers in a flat list, at least {least}", check, _needs(n))


def ClassLabels(n=None, classes=None) -> Rule:
    """Class numbers, one per item of ``n``, each below ``classes`` (sizes): (n,) int64 on the CPU."""
    def check(value, args):
        t = value.detach().cpu() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
        size, top = _size(n, args), _size(classes, args)
        if t.dtype == torch.bool or t.is_complex() or (t.is_floating_point() and not bool((t == t.round()).all())):
            raise Refused(hint="class numbers, e.g. data.class_names.index('Coat')")
        if t.dim() != 1 or (size is not None and len(t) != size):
            raise Refused(f"one class number per item ({size},)")
        if len(t) and (int(t.min()) < 0 or (top is not None and int(t.max()) >= top)):
            raise Refused(f"class numbers 0 to {top - 1} ({top} classes)" if top else None,
                          f"classes from {int(t.min())} to {int(t.max())}")
        return t.long()
    return Rule("class numbers (whole numbers from 0), one per item", check, _needs(n, classes))


def Flags(n=None) -> Rule:
    """True or False per item of ``n`` (an argument): a bool tensor."""
    def check(value, args):
        t = value.detach().cpu() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
        return t if t.dtype == torch.bool and t.dim() == 1 and (n is None or len(t) == _size(n, args)) else _refuse()
    return Rule(f"True or False per item{f' of {n}' if n else ''}", check, _needs(n))


def _kind(model) -> str | None:
    """"ae", "vae", "cvae" or "classifier": what a model of ``models.py`` is, by what it has."""
    if not isinstance(model, torch.nn.Module):
        return None
    if not hasattr(model, "latent_dim"):
        return "classifier"
    if getattr(getattr(model, "encode", None), "__code__", None) and model.encode.__code__.co_argcount == 3:
        return "cvae"                                   # encode(x, y): told each image's label
    return "vae" if hasattr(model, "reparameterize") else "ae"


def Model(*kinds: str, latent_dim: int | None = None, mlp: bool = False) -> Rule:
    """A model of one of ``kinds``, with ``latent_dim`` latent numbers where given, an MLP where ``mlp``."""
    def check(value, args):
        if _kind(value) not in kinds or (latent_dim is not None and value.latent_dim != latent_dim) or (
                mlp and any(isinstance(m, torch.nn.Conv2d) for m in value.modules())):
            raise Refused()
        return value
    names = [KINDS[k] for k in kinds]
    return Rule(" or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
                + (f" with latent_dim={latent_dim}" if latent_dim else "") + (" (an MLP)" if mlp else ""), check)


LatentModel = Model("ae", "vae", "cvae")      # a latent space
ImagesAlone = Model("ae", "vae")              # encodes images without labels
VAEModel = Model("vae")                       # mu and sigma from images alone: p(x), KL


def ModelLabels(n: str, *, like: str = "model", ignored: bool = False) -> Rule:
    """The classes the conditional VAE (or the judge) takes with the rows of ``n``, one for all or
    one per row, as (n,) int64; other models take none (``ignored``: any, left unused)."""
    def check(value, args):
        model, size = _lookup(args, like), _size(n, args)
        if _kind(model) not in ("cvae", "classifier"):
            if value is not None and not ignored:
                raise Refused(f"None: only the conditional VAE takes labels, this is {describe(model)}",
                              hint="leave labels out")
            return value if value is None else ClassLabels(size).check(value, args)
        if value is None:
            raise Refused(hint="pass labels=... (one number 0-9, or one per row)")
        return ClassLabels(size, 10).check([_whole(value)] * size if _whole(value) is not None else value, args)
    return Rule("the class (0-9) of each row, or one for all", check, (like.split(".")[0], n), sees_none=True)


def Shape(dims: str) -> Rule:
    """A float tensor of shape ``dims``, jaxtyping's notation ("b *pixels": a named size, or any
    number of them, is the same for every argument naming it in the call). No value is read."""
    names = dims.split()

    def check(value, args):
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise Refused()
        shape, seen = tuple(value.shape), args.setdefault("  shapes", {})
        own, rest = next((k for k, v in args.items() if v is value), "?"), len(shape) - len(names) + 1
        if rest < 0 or (rest != 1 and not any(d.startswith("*") for d in names)):
            raise Refused()
        for name in names:
            part, shape = (shape[:rest], shape[rest:]) if name.startswith("*") else (shape[0], shape[1:])
            if name.isdigit() and part != int(name):
                raise Refused()
            if seen.setdefault(name, (part, own))[0] != part:
                raise Refused(got=f"{describe(value)}, where {seen[name][1]} has {name} = {seen[name][0]}")
        return value
    return Rule(f"a float tensor of shape ({', '.join(names)})", check)


def _inside(rule: Rule, value, args: dict, where: str):
    """``rule`` on one entry of a container: a refusal says where."""
    try:
        return rule.check(value, args)
    except (Refused, TutorialError) as err:
        if isinstance(err, Refused):
            err.path, err.wants, err.got = where + err.path, err.wants or rule.wants, err.got or describe(value)
        raise
    except Exception:
        refused = Refused(rule.wants, describe(value))
        refused.path = where
        raise refused from None


def Named(inner: Rule | None = None, *, what: str = "name -> value", keys_of: str | None = None) -> Rule:
    """A dict of at least one ``what``, each checked by ``inner``; ``keys_of``: with its names."""
    def check(value, args):
        if not isinstance(value, dict) or not value:
            raise Refused()
        if keys_of is not None and set(value) != set(args[keys_of]):
            raise Refused(f"a dict with the names of {keys_of} ({', '.join(map(repr, args[keys_of]))})",
                          f"the names {', '.join(map(repr, value))}")
        return value if inner is None else {k: _inside(inner, v, args, f"[{k!r}]") for k, v in value.items()}
    return Rule(f"a dict of at least one {what}", check, (inner.needs if inner else ()) + _needs(keys_of))


def Scores(*, like: str | None = None) -> Rule:
    """{data set: (N,) finite scores}, as float64; ``like``: with sets and lengths of that one."""
    named = Named(Numbers(least=1), what="data set name -> scores (one finite number per image)")

    def check(value, args):
        out, other = named.check(value, args), args.get(like)
        for name, v in out.items() if other is not None else ():
            if name not in other or len(v) != len(other[name]):
                raise Refused(f"scores of the sets of {like} ({', '.join(map(repr, other))}), as many each",
                              f"{len(v)} scores of {name!r}")
        return out
    return Rule(named.wants, check, _needs(like))


def Fields(what: str = "a configuration", **rules: Rule) -> Rule:
    """A dataclass or dict (``what``) whose fields each have a rule (a dict's are converted)."""
    def check(value, args):
        if isinstance(value, dict) and not set(rules) <= set(value):
            raise Refused()
        get = value.get if isinstance(value, dict) else functools.partial(getattr, value)
        where = "[{!r}]" if isinstance(value, dict) else ".{}"
        out = {k: _inside(r, get(k), args, where.format(k)) for k, r in rules.items()}
        return {**value, **out} if isinstance(value, dict) else value
    return Rule(f"{what} ({', '.join(rules)})", check, tuple(n for r in rules.values() for n in r.needs))


def SequenceOf(inner: Rule, n=None, *, least=1, most=None, what: str | None = None, hint: str | None = None) -> Rule:
    """A list or tuple of ``n``, or ``least`` to ``most``, items (sizes), each ``inner``: a list."""
    def check(value, args):
        if not isinstance(value, (list, tuple, range)):
            raise Refused(hint=hint)
        size, bottom, top = _size(n, args), _size(least, args), _size(most, args)
        if (size is not None and len(value) != size) or len(value) < bottom or (top is not None and len(value) > top):
            count = size if size is not None else f"{bottom:,} to {top:,}" if top is not None else f"at least {bottom}"
            raise Refused(f"a list of {count} ({inner.wants})", f"{len(value)} of them")
        return [_inside(inner, v, args, f"[{i}]") for i, v in enumerate(value)]
    count = n if isinstance(n, int) else f"one per item of {n}" if n else f"at least {least}" if isinstance(
        least, int) else f"at least one per item of {least}"
    return Rule(f"a list of {what or inner.wants} ({count}{f', at most {most:,}' if isinstance(most, int) else ''})",
                check, inner.needs + _needs(n, least, most))


def TupleOf(*rules: Rule, what: str | None = None) -> Rule:
    """A pair (or n-tuple) whose items each have their own rule, e.g. (mu, sigma)."""
    def check(value, args):
        if not isinstance(value, (list, tuple)) or len(value) != len(rules):
            raise Refused()
        return tuple(_inside(r, v, args, f"[{i}]") for i, (r, v) in enumerate(zip(rules, value)))
    return Rule(what or f"a tuple ({', '.join(r.wants for r in rules)})", check)


def Is(kinds, test=None, wants: str | None = None) -> Rule:
    """An instance of ``kinds`` (a class or a tuple of them) that ``test`` accepts."""
    names = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
    return Rule(wants or _a(names), lambda v, a: v if isinstance(v, kinds) and (test is None or test(v)) else _refuse())


def Satisfies(test, wants: str) -> Rule:
    """Any other test: ``test(value)`` false (or failing) refuses the value."""
    return Rule(wants, lambda v, a: v if test(v) else _refuse())


def Choice(*options) -> Rule:
    """One of ``options`` (or of the items of one collection given)."""
    options = tuple(options[0]) if len(options) == 1 and not isinstance(options[0], str) else options
    return Rule(f"one of {', '.join(map(repr, options))}",
                lambda v, a: v if any(type(v) is type(o) and v == o for o in options) else _refuse())


Text = Is(str, wants="text")
Flag = Rule("True or False", lambda v, a: bool(v) if isinstance(v, (bool, np.bool_)) else _refuse())
Texts = functools.partial(SequenceOf, Text, what="strings")
Colour = Satisfies(lambda v: __import__("matplotlib.colors").colors.is_color_like(v),
                   "a matplotlib colour ('tab:red', '#1f77b4', (r, g, b) in [0, 1], ...)")


def EveryClass(split: str = "test") -> Rule:
    """A data set whose ``split`` holds an image of every class."""
    def check(value, args):
        labels = getattr(value, f"{split}_labels")
        missing = [name for k, name in enumerate(value.class_names) if not bool((labels == k).any())]
        return value if not missing else _refuse(None, f"a data set whose {split} split has no {', '.join(missing)}")
    return Rule(f"a data set (data.ImageData) whose {split} split holds every class", check)


def ClassIndex(data: str = "data") -> Rule:
    """A class of the data set argument ``data``, by number."""
    def check(value, args):
        names, k = args[data].class_names, _whole(value)
        if k is None or not 0 <= k < len(names):
            raise Refused(f"a class number from 0 to {len(names) - 1} ({', '.join(names[:3])}, ...)")
        return k
    return Rule("a class number of the data set", check, (data,))


def Finite(what: str, *, large_input: str | None = None) -> Rule:
    """A finite result: NaN from a model means diverged weights, or (beyond 1e4) too large an input."""
    def check(result, args):
        for t in result if isinstance(result, tuple) else (result,):
            if isinstance(t, torch.Tensor) and not _finite(t):
                given = args.get(large_input)
                if isinstance(given, torch.Tensor) and given.numel() and float(given.abs().max()) > 1e4:
                    raise ConfigError(f"{large_input} must be latent values within a few units of 0, got values "
                                      f"as large as {float(given.abs().max()):.3g}, which overflow the {what}")
                raise TrainingError(f"the model's {what} are not finite (NaN or infinity): its weights "
                                    f"have diverged. Train it again with a smaller learning rate or beta.")
        return result
    return Rule(f"finite {what}", check)


def rule_of(annotation) -> Rule | None:
    """The rule an annotation declares: a Rule, or a plain type read as one (None: no rule)."""
    origin, parts = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, Rule) or annotation in (str, bool, int, float):
        return {str: Text, bool: Flag, int: Count(0), float: Real()}.get(annotation, annotation)
    if origin in (typing.Union, types.UnionType) and len(parts) == 2 and type(None) in parts:
        rule = rule_of(parts[0] if parts[1] is type(None) else parts[1])
        return None if rule is None else rule | None
    if origin is tuple and Ellipsis not in parts:
        return TupleOf(*map(rule_of, parts))
    return Is(annotation) if isinstance(annotation, type) and annotation is not inspect.Parameter.empty else None


def _checked(rule: Rule, value, args: dict, name: str, where: str | None):
    """``rule.check``, any failure one line: "where: name must be ..., got ...; hint"."""
    prefix = f"{where}: " if where else ""
    try:
        return rule.check(value, args)
    except Refused as refused:
        hint = f"; {refused.hint}" if refused.hint else ""
        raise ConfigError(" ".join(f"{prefix}{name}{refused.path} must be {refused.wants or rule.wants}, "
                                   f"got {refused.got or describe(value)}{hint}".split())) from None
    except TutorialError as err:
        raise type(err)(" ".join(f"{prefix}{err}".split())) from None
    except Exception:       # whatever failed inside the rule: the value was not what it wants
        raise ConfigError(f"{prefix}{name} must be {rule.wants}, got {describe(value)}") from None


class _Spec:
    """A checked function's declarations, resolved at import."""

    def __init__(self, fn, name: str, declared: dict) -> None:
        self.name, self.sig, scope = name, inspect.signature(fn), inspect.unwrap(fn).__globals__
        params, rules = self.sig.parameters.values(), {}
        try:
            annotations = {p.name: declared.get(p.name) or (eval(p.annotation, scope) if isinstance(  # noqa: S307
                p.annotation, str) else p.annotation) for p in params}
        except Exception as err:
            raise TypeError(f"{name}: a declaration fails: {err}") from err
        self.declares = any(isinstance(a, Rule) for a in annotations.values())
        for p in params:
            rule = rule_of(annotations[p.name])
            if rule is not None and p.kind != p.VAR_KEYWORD:
                rules[p.name] = SequenceOf(rule, least=0) if p.kind == p.VAR_POSITIONAL else \
                    rule | None if p.default is None and not rule.sees_none else rule
        self.rules = sorted(rules.items(), key=lambda item: bool(item[1].needs))   # what others read, first
        returns = self.sig.return_annotation      # a result is checked where it declares Finite(...)
        returns = eval(returns, scope) if isinstance(returns, str) and returns.startswith("Finite(") else returns
        self.returns = returns if isinstance(returns, Rule) else None

    def apply(self, args: tuple, kwargs: dict, nested: bool):
        try:
            bound = self.sig.bind(*args, **kwargs)
        except TypeError as err:
            raise ConfigError(f"{self.name}: {err}") from None
        bound.apply_defaults()
        values = bound.arguments
        for name, rule in self.rules:
            converted = _checked(rule, values[name], values, name, self.name)
            if nested and not _same(values[name], converted):
                raise AssertionError(f"{self.name}: an internal call passes {name} as {describe(values[name])}, "
                                     f"which needs converting to {describe(converted)}")
            values[name] = converted
        values.pop("  shapes", None)
        return bound, values


def _same(a, b) -> bool:
    """Whether a converted value is what was passed (for nested checks)."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return (a.dtype, a.shape, a.device) == (b.dtype, b.shape, b.device)
    if isinstance(a, (list, tuple, dict)) and isinstance(b, (list, tuple, dict)):
        pairs = [(a[k], b[k]) for k in a] if isinstance(a, dict) else list(zip(a, b))
        return len(a) == len(b) and all(_same(x, y) for x, y in pairs)
    try:
        return a is b or bool(a == b)
    except Exception:
        return False


_INSIDE = contextvars.ContextVar("inside_a_checked_call", default=False)


def contract(fn, name: str | None = None, **declared: Rule):
    """``fn`` checked at the boundary; ``declared``: rules of arguments left plain in its signature."""
    spec = _Spec(fn, name or f"{fn.__module__.removeprefix('vae_tutorial.').split('.')[0]}.{fn.__qualname__}",
                 declared)

    @functools.wraps(fn)
    def checked_call(*args, **kwargs):
        nested = _INSIDE.get()
        if nested and not CHECK_NESTED:
            return fn(*args, **kwargs)          # an internal call: the boundary checked already
        bound, values = spec.apply(args, kwargs, nested)
        token = _INSIDE.set(True)
        try:
            result = fn(*bound.args, **bound.kwargs)
        finally:
            _INSIDE.reset(token)
        return result if spec.returns is None else _checked(spec.returns, result, values, "the result", spec.name)
    checked_call.__contract__ = spec
    return checked_call


@contextlib.contextmanager
def boundary():
    """Checked calls inside are a boundary again: for values a body made from the reader's input
    (``book.trained``'s settings), or a reader's function run from inside the package."""
    token = _INSIDE.set(False)
    try:
        yield
    finally:
        _INSIDE.reset(token)


def checked(namespace: dict) -> None:
    """Check the public functions and methods of a module that declare a rule (its last line)."""
    for key, obj in list(namespace.items()):
        if getattr(obj, "__module__", None) != namespace["__name__"]:
            continue
        owner = obj if inspect.isclass(obj) else None
        for attr, fn in list(vars(obj).items()) if owner else [(key, obj)]:
            if inspect.isfunction(fn) and not attr.startswith("_") and not hasattr(fn, "__contract__"):
                wrapped = contract(fn)
                if wrapped.__contract__.declares or wrapped.__contract__.returns:
                    setattr(owner, attr, wrapped) if owner else namespace.__setitem__(attr, wrapped)
