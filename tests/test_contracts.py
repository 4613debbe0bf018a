"""support/contracts.py: each rule passes what it promises to take, converted as promised, and
ends everything else in one ConfigError line that names the function, the argument, what it must
be and what it got; nothing from torch, numpy or matplotlib leaks through."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from vae_tutorial import data
from vae_tutorial.models import ModelConfig
from vae_tutorial.runs import build
from vae_tutorial.support import contracts
from vae_tutorial.support.contracts import (
    ClassIndex, ClassLabels, Choice, Colour, Count, EveryClass, Fields, Finite, Flags, Images, Is,
    LatentModel, Latents, Model, ModelLabels, Named, Numbers, Points, Real, Satisfies, Scores, Seed,
    SequenceOf, Shape, Texts, TupleOf, VAEModel, boundary, contract)
from vae_tutorial.support.errors import ConfigError, TrainingError

VAE, AE, CVAE, JUDGE = (build(ModelConfig(kind=k, latent_dim=2, hidden_dims=(16,)), seed=0).eval()
                        for k in ("vae", "ae", "cvae", "classifier"))
_g = torch.Generator().manual_seed(0)
U8 = torch.randint(0, 256, (4, 28, 28), dtype=torch.uint8, generator=_g)
X = U8.unsqueeze(1).float() / 255
U10 = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8, generator=_g)
DIGITS = data.ImageData("mnist", U10, torch.arange(10), U10, torch.arange(10), "full", "tests", data.DIGIT_NAMES)


def refused(fn, *args, **kwargs) -> str:
    """The one line ``fn`` refuses these arguments with: a ConfigError naming the function, with
    no library exception chained to it."""
    with pytest.raises(ConfigError) as info:
        fn(*args, **kwargs)
    text = str(info.value)
    assert "\n" not in text and text.startswith(fn.__contract__.name + ": "), text
    assert info.value.__cause__ is None and info.value.__suppress_context__
    return text


def says(text: str, *parts: str) -> None:
    for part in parts:
        assert part in text, f"{part!r} not in {text!r}"


_UNSET = object()


def declared(**rules):
    """A checked function of keyword arguments that returns those it is given, with these rules."""
    def fn(**kwargs):
        return {k: v for k, v in kwargs.items() if v is not _UNSET}
    fn.__signature__ = inspect.Signature([inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=_UNSET)
                                          for n in rules])
    return contract(fn, name="f", **{n: contracts.Rule(r.wants, lambda v, a, r=r: v if v is _UNSET else r.check(v, a),
                                                       r.needs) for n, r in rules.items()})


# --------------------------------------------------------------------------- numbers

def test_counts_seeds_and_reals_pass_as_python_numbers():
    f = declared(n=Count(1), top=Count(0, 10), seed=Seed, x=Real(above=0, at_most=1))
    got = f(n=np.int64(5), top=torch.tensor(2), seed=np.uint8(7), x=torch.tensor([0.5]))
    assert got == {"n": 5, "top": 2, "seed": 7, "x": 0.5} and type(got["n"]) is int and type(got["x"]) is float


@pytest.mark.parametrize("bad", [0, -1, 1.5, 2.0, True, "3", torch.tensor(2.0), torch.tensor([2]), [1], 10**30 * 1.0])
def test_a_count_is_a_whole_number_in_range(bad):
    says(refused(declared(n=Count(1)), n=bad), "f: n must be a whole number >= 1, got ")


@pytest.mark.parametrize("bad", [0, 1.5, float("nan"), float("inf"), True, "0.5", torch.tensor([0.1, 0.2]),
                                 torch.tensor(0.5 + 1j), np.array(["a"])])
def test_a_real_is_finite_and_in_its_bounds(bad):
    says(refused(declared(x=Real(above=0, at_most=1)), x=bad), "x must be a finite number above 0 and <= 1, got ")
    says(refused(declared(x=Real(infinite=True)), x=float("nan")), "x must be a number (not NaN), got nan")


def test_seeds_take_what_torch_takes():
    f = declared(seed=Seed)
    assert f(seed=2**63 - 1)["seed"] == 2**63 - 1
    says(refused(f, seed=2**63), "seed must be a whole number from 0 to 2**63 - 1, got 9223372036854775808")


# --------------------------------------------------------------------------- memory

def test_a_count_that_allocates_is_refused_before_the_work(monkeypatch):
    monkeypatch.setattr(contracts, "memory_budget", lambda: (1_000_000, 2_000_000))   # 1 MB to spend
    started = []

    def work(n, k=1, batch=10):
        started.append(n)
        return n
    f = contract(work, n=Count(0, fits=lambda n: n * 1000), k=Count(1, fits=lambda k, batch: k * batch * 100),
                 batch=Count(1))
    assert f(1000) == 1000
    says(refused(f, 1001), "n must be at most about 1,000 here (the work must fit in 0.0 GB, 50% of this "
                           "machine's memory), got 1001, which needs about 0.0 GB")
    says(refused(f, 10**12), "at most about 1,000 here", "which needs about 1,000,000.0 GB")
    says(refused(f, 1, k=200, batch=100), "k must be at most about 100 here")
    assert started == [1000], "the work started before the count was refused"


# --------------------------------------------------------------------------- images, latent points, labels

def test_images_become_floats_in_0_1_in_the_models_type():
    f = contract(lambda model, images: images, images=Images(least=1))
    assert torch.equal(f(VAE, U8), X) and torch.equal(f(VAE, U8.numpy()), X) and torch.equal(f(VAE, X[:, 0]), X)
    assert f(build(ModelConfig(latent_dim=2, hidden_dims=(8,))).double(), U8).dtype == torch.float64
    one = contract(lambda image: image, image=Images(one=True))
    assert one(U8[0]).shape == one(X[:1]).shape == (1, 1, 28, 28)


@pytest.mark.parametrize("bad, said", [
    (U8.short(), "got an int16 tensor of shape (4, 28, 28); use x.float() / 255"),
    (U8.float(), "got values from 0 to 255; for 0-255 floats use x / 255"),
    (X * 2 - 1, "; for images in [-1, 1] use (x + 1) / 2"),
    (torch.full((2, 1, 28, 28), float("nan")), "holding NaN or infinite values"),
    (torch.rand(4, 784), "got a float32 tensor of shape (4, 784)"),
    (torch.zeros(0, 1, 28, 28), "got a float32 tensor of shape (0, 1, 28, 28)"),
    (X.tolist(), "got a list of 4"),
    (X.bool(), "got a bool tensor"),
    (X.to("meta"), "on meta"),
    (None, "got None"),
])
def test_images_refused_in_one_line(bad, said):
    f = contract(lambda model, images: images, name="f", images=Images(least=1))
    says(refused(f, VAE, bad), "f: images must be (N, 1, 28, 28) or (N, 28, 28) images, floats in [0, 1] or "
                               "uint8 0-255, at least 1", said)


def test_latent_points_and_a_models_labels():
    f = contract(lambda model, z, labels=None: (z, labels), name="f", z=Latents(), labels=ModelLabels("z"))
    z, labels = f(CVAE, [[0, 1], [2, 3]], 7)
    assert z.dtype == torch.float32 and labels.tolist() == [7, 7] and labels.dtype == torch.int64
    assert f(VAE, np.zeros((3, 2)))[1] is None
    says(refused(f, VAE, torch.zeros(3, 5)), "z must be latent points (N, 2) for this model")
    says(refused(f, VAE, torch.zeros(2)), "one point is z[None]")
    says(refused(f, VAE, [[float("inf"), 0]]), "holding NaN or infinite values")
    says(refused(f, VAE, torch.zeros(1, 2), 3), "labels must be None: only the conditional VAE takes labels")
    says(refused(f, CVAE, torch.zeros(2, 2)), "labels must be the class (0-9) of each row, or one for all, got None")
    says(refused(f, CVAE, torch.zeros(2, 2), 10), "labels must be class numbers 0 to 9 (10 classes), got classes from 10")
    says(refused(f, CVAE, torch.zeros(2, 2), [0.5, 1]), "labels must be")
    says(refused(f, CVAE, torch.zeros(3, 2), [1, 2]), "one class number per item (3,)")


def test_model_kinds():
    f = declared(vae=VAEModel, any=LatentModel, small=Model("ae", "vae", latent_dim=3))
    assert f(vae=VAE, any=CVAE)
    says(refused(f, vae=AE), "vae must be a VAE, got an Autoencoder (a plain autoencoder)")
    says(refused(f, vae=CVAE), "vae must be a VAE, got a ConditionalVAE (a conditional VAE)")
    says(refused(f, any=JUDGE), "any must be a plain autoencoder, a VAE or a conditional VAE, got a Classifier")
    says(refused(f, small=VAE), "small must be a plain autoencoder or a VAE with latent_dim=3")
    says(refused(f, vae="vae"), "vae must be a VAE, got 'vae'")


class _ReadersEncoder(torch.nn.Module):
    """A model of the reader's own: an encoder giving mu and logvar, no ``latent_dim``."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(784, 4)

    def encode(self, x):
        return self.linear(x.flatten(1)).chunk(2, dim=1)


class _ReadersVAE(_ReadersEncoder):
    latent_dim = 2

    def reparameterize(self, mu, logvar):
        return mu


def test_a_readers_own_model_is_read_by_what_it_has():
    f = declared(model=LatentModel)
    assert isinstance(f(model=_ReadersVAE())["model"], _ReadersVAE)
    # without latent_dim it reads as a classifier: the line says why, not that it is the judge
    says(refused(f, model=_ReadersEncoder()),
         "model must be a plain autoencoder, a VAE or a conditional VAE, got a _ReadersEncoder "
         "(no latent_dim: read as a classifier)")


# --------------------------------------------------------------------------- points, numbers, class labels

def test_points_numbers_and_class_labels():
    f = contract(lambda codes, others=None, confidence=None, labels=None, names=("a", "b", "c"): (
        codes, others, confidence, labels), name="f", codes=Points(least=2), others=Points(least=0, dim="codes"),
        confidence=Numbers("codes"), labels=ClassLabels("codes", "names"), names=Texts())
    codes, others, confidence, labels = f([[0, 1], [2, 3]], np.zeros((0, 2)), (0.5, 1), np.array([2.0, 0.0]))
    assert codes.dtype == confidence.dtype == torch.float64 and labels.tolist() == [2, 0] and others.shape == (0, 2)
    z = np.zeros((2, 2))
    for kwargs, said in [
            ({"codes": [[0, 1]]}, "codes must be points (N, d), finite, at least 2, got 1 point(s)"),
            ({"codes": [[0, np.nan], [1, 2]]}, "holding NaN or infinite values"),
            ({"codes": z, "others": np.zeros((1, 3))}, "others must be points (N, 2)"),
            ({"codes": z, "confidence": [1.0]}, "confidence must be 2 finite numbers, one per item of codes"),
            ({"codes": z, "confidence": [1.0, np.inf]}, "holding NaN or infinite values"),
            ({"codes": z, "labels": [0, 3]}, "labels must be class numbers 0 to 2 (3 classes), got classes from 0 to 3"),
            ({"codes": z, "labels": [0, 0.5]}, "labels must be class numbers"),
            ({"codes": z, "labels": [0]}, "one class number per item (2,)"),
            ({"codes": z, "names": "abc"}, "names must be a list of strings")]:
        says(refused(f, **kwargs), said)


# --------------------------------------------------------------------------- containers, choices, data

def test_containers_say_where_inside_the_value_is_wrong():
    f = declared(models=Named(VAEModel, what="name -> VAE"), sets=Named(Images(least=1)),
                 log_px=Named(Scores(), keys_of="models"), pairs=SequenceOf(TupleOf(Real(), Real(above=0))),
                 verdict=Fields("what metrics.judge_samples returns", pred=ClassLabels(classes=10), clear=Flags()))
    assert f(sets={"d": U8})["sets"]["d"].dtype == torch.float32
    assert f(pairs=[(0, 1), (np.float32(1), 2)])["pairs"] == [(0.0, 1.0), (1.0, 2.0)]
    for kwargs, said in [
            ({"models": {}}, "models must be a dict of at least one name -> VAE, got an empty dict"),
            ({"models": VAE}, "models must be a dict of at least one name -> VAE, got a VAE"),
            ({"models": {"v": VAE, "a": AE}}, "models['a'] must be a VAE, got an Autoencoder"),
            ({"sets": {"x": U8.short()}}, "sets['x'] must be (N, 1, 28, 28)"),
            ({"models": {"v": VAE}, "log_px": {"w": {"d": [1.0]}}}, "log_px must be a dict with the names of models"),
            ({"models": {"v": VAE}, "log_px": {"v": {"d": [np.nan]}}}, "log_px['v']['d'] must be finite numbers"),
            ({"pairs": []}, "pairs must be a list of at least 1"),
            ({"pairs": [(0, 0)]}, "pairs[0][1] must be a finite number above 0, got 0"),
            ({"pairs": (0, 1)}, "pairs[0] must be a tuple"),
            ({"verdict": {"pred": [1]}}, "verdict must be what metrics.judge_samples returns (pred, clear)"),
            ({"verdict": {"pred": [12], "clear": [True]}}, "verdict['pred'] must be class numbers 0 to 9")]:
        says(refused(f, **kwargs), said)


def test_choices_colours_classes_and_data_sets():
    no_sevens = data.ImageData("mnist", U10, torch.arange(10), U8[:3], torch.tensor([0, 1, 2]), "full", "t",
                               data.DIGIT_NAMES)
    f = declared(loss=Choice("mse", "bce"), colour=Colour, data=Is(data.ImageData) & EveryClass("test"),
                 start=ClassIndex("data"), titles=Texts(2), odd=Satisfies(lambda v: v % 2, "an odd number"))
    assert f(loss="bce", colour=(0, 0, 1), start=np.int64(3), data=DIGITS)["start"] == 3
    says(refused(f, loss="MSE"), "loss must be one of 'mse', 'bce', got 'MSE'")
    says(refused(f, loss=["mse"]), "loss must be one of 'mse', 'bce', got a list of 1")
    says(refused(declared(x=Choice(1, 2)), x=True), "x must be one of 1, 2, got True")
    says(refused(f, colour="blu"), "colour must be a matplotlib colour")
    says(refused(f, data=no_sevens), "whose test split holds every class, got a data set whose test split has no 3, 4")
    says(refused(f, data="mnist"), "data must be an ImageData")
    says(refused(f, data=DIGITS, start=10), "start must be a class number from 0 to 9 (0, 1, 2, ...), got 10")
    says(refused(f, titles=("one",)), "titles must be a list of 2 (text), got 1 of them")
    says(refused(f, odd=2), "odd must be an odd number, got 2")


# --------------------------------------------------------------------------- shapes, results, plain types

def test_shapes_share_their_named_sizes_within_a_call():
    loss = contract(lambda logits, x: (logits - x).sum(), name="loss", logits=Shape("b *pixels"),
                    x=Shape("b *pixels"))
    assert loss(torch.zeros(8, 1, 28, 28), torch.zeros(8, 1, 28, 28)) == 0
    assert loss(torch.zeros(4, 1, 1, 1), torch.zeros(4, 1, 1, 1)) == 0     # chapter 10's one pixel
    says(refused(loss, torch.zeros(8, 1, 28, 28), torch.zeros(8, 28, 28)),
         "x must be a float tensor of shape (b, *pixels), got a float32 tensor of shape (8, 28, 28), where "
         "logits has *pixels = (1, 28, 28)")
    says(refused(loss, torch.zeros(8, 1, 28, 28), torch.zeros(7, 1, 28, 28)), "where logits has b = 8")
    says(refused(loss, torch.zeros(8, 1, 28, 28), torch.zeros(8, 1, 28, 28, dtype=torch.long)), "got an int64")


def test_results_must_be_finite():
    nan = contract(lambda model, z: torch.full((1,), float("nan")), z=Latents())
    nan.__contract__.returns = Finite("decoded images", large_input="z")
    with pytest.raises(TrainingError, match="decoded images are not finite.*diverged"):
        nan(VAE, torch.zeros(1, 2))
    says(refused(nan, VAE, torch.full((1, 2), 1e30)), "z must be latent values within a few units of 0, got values "
                                                       "as large as 1e+30, which overflow the decoded images")


def example(title: str = "", flag: bool = True, n: int = 1, x: float = 1.0, data: data.ImageData | None = None,
            titles: tuple[str, str] = ("a", "b"), images: Images() = None):
    return title, flag, n, x, data, titles


def test_plain_types_are_rules_too_where_a_function_declares_one():
    f = contract(example)
    assert f(flag=np.bool_(False), n=np.int64(2), x=1)[1:4] == (False, 2, 1.0)
    for kwargs, said in [({"title": 5}, "title must be text, got 5"), ({"flag": 1}, "flag must be True or False"),
                         ({"n": -1}, "n must be a whole number >= 0"), ({"x": float("nan")}, "x must be a finite number"),
                         ({"data": "mnist"}, "data must be an ImageData (or None), got 'mnist'"),
                         ({"titles": ("a",)}, "titles must be a tuple (text, text)")]:
        says(refused(f, **kwargs), said)
    says(refused(f, nonsense=1), "got an unexpected keyword argument 'nonsense'")


def test_a_declaration_that_cannot_be_evaluated_fails_at_import():
    def broken(x: Missspelt(1)):  # noqa: F821
        return x
    with pytest.raises(TypeError, match="a declaration fails"):
        contract(broken)


# --------------------------------------------------------------------------- the boundary

def test_only_the_outermost_call_checks_and_a_boundary_checks_again(monkeypatch):
    monkeypatch.setattr(contracts, "CHECK_NESTED", False)
    inner = contract(lambda n: n, name="inner", n=Count(1))
    outer = contract(lambda n: inner(n - 1), name="outer", n=Count(1))
    assert outer(1) == 0                                      # nested: runs as written
    with_boundary = contract(lambda n: _again(inner, n - 1), name="outer", n=Count(1))
    says(str(pytest.raises(ConfigError, with_boundary, 1).value), "inner: n must be a whole number >= 1, got 0")


def _again(fn, *args):
    with boundary():
        return fn(*args)


def test_the_tests_check_nested_calls_and_catch_one_that_needs_converting():
    assert contracts.CHECK_NESTED                            # tests/conftest.py sets it
    inner = contract(lambda model, images: images, name="inner", images=Images())
    outer = contract(lambda model, n: inner(model, U8[:n]), name="outer", n=Count(1))
    with pytest.raises(AssertionError, match="inner: an internal call passes images as a uint8 tensor"):
        outer(VAE, 2)
