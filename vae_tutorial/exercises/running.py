"""Running a reader's function for a check: contained, time-limited, its result a plain tensor.

Whatever the function does (raises, with a message that cannot even be printed; never returns;
returns something that is not a real number), the check ends in one line, and the reader's
session is left as it was: its random numbers, the gradient mode, the default dtype.

The time limit. A thread cannot be killed, and a worker process cannot run a function defined in
a notebook cell (spawn cannot pickle it; fork copies a kernel's threads, and CUDA refuses it). So
the function runs where it was called, and is interrupted there: on POSIX, in the main thread
(where Jupyter and Colab kernels run cells), by SIGALRM from ``setitimer``, which also wakes a
blocking ``time.sleep``; elsewhere (Windows, another thread) by a watchdog thread that raises
the same exception in the caller's thread through ``PyThreadState_SetAsyncExc``. Either
interrupts Python code between two bytecodes, not inside one long PyTorch operation. The
exception derives from BaseException, so ``except Exception`` in the reader's code cannot
swallow it, and it is raised again every quarter second until the call gives up.
"""

from __future__ import annotations

import ctypes
import signal
import threading

import numpy as np
import torch

TIME_LIMIT = 10.0   # seconds per call of the reader's function; a right answer takes milliseconds


class Stopped(BaseException):
    """Raised into a call that ran past the time limit."""


class Failed(Exception):
    """The reader's function failed in a way the check reports as it is: ``message`` is the line
    to show; ``error``, the exception it raised, if any."""

    def __init__(self, message: str, error: BaseException | None = None) -> None:
        super().__init__(message)
        self.message, self.error = message, error


class _Limit:
    """``with _Limit(seconds):`` raises :class:`Stopped` in this thread once ``seconds`` pass."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.armed = seconds, False
        self.posix = (hasattr(signal, "setitimer")
                      and threading.current_thread() is threading.main_thread())

    def _stop(self, *_) -> None:
        if self.armed:
            raise Stopped

    def __enter__(self):
        self.armed = True
        if self.posix:
            self.old = signal.signal(signal.SIGALRM, self._stop)
            self.old_timer = signal.setitimer(signal.ITIMER_REAL, self.seconds, 0.25)
        else:
            self.lock, self.done, me = threading.Lock(), threading.Event(), threading.get_ident()

            def watch() -> None:
                wait = self.seconds
                while not self.done.wait(wait):
                    with self.lock:
                        if self.armed:
                            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                                ctypes.c_ulong(me), ctypes.py_object(Stopped))
                    wait = 0.25
            self.me = me
            threading.Thread(target=watch, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        while True:   # a Stopped that lands here, before the timer is off, is not the call's
            try:
                if self.posix:
                    self.armed = False
                    signal.setitimer(signal.ITIMER_REAL, 0)
                else:
                    with self.lock:
                        self.armed = False
                        self.done.set()
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.me), None)
                break
            except Stopped:
                continue
        if self.posix:
            signal.signal(signal.SIGALRM, self.old)
            if self.old_timer[0] > 0:
                signal.setitimer(signal.ITIMER_REAL, *self.old_timer)


def _first_line(err: BaseException) -> str:
    try:
        text = str(err).strip()
    except BaseException:   # noqa: B036 -- an exception whose str() fails is still reported
        return "(its message cannot be printed)"
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= 160 else line[:157] + "..."


def _shapes(args) -> str:
    shapes = [str(tuple(a.shape)) for a in args if isinstance(a, torch.Tensor)]
    return f" (given shapes {', '.join(shapes)})" if shapes else ""


def call(fn, *args, limit: float | None = None):
    """``fn(*args)``, contained: any failure becomes :class:`Failed` with one line, a call that
    runs past ``limit`` seconds (:data:`TIME_LIMIT`) is stopped, and the gradient mode and the
    default dtype are restored. The caller forks the random number generator where it matters."""
    grad, dtype = torch.is_grad_enabled(), torch.get_default_dtype()
    seconds = TIME_LIMIT if limit is None else limit
    try:
        with _Limit(seconds):
            return fn(*args)
    except Stopped:
        raise Failed(f"your function did not return within {seconds:g} s, so the check stopped it: "
                     f"is there a loop that never ends?") from None
    except (Exception, SystemExit) as err:   # the reader's code failed: say how, in one line
        name = type(err).__name__
        raise Failed(f"your function raised {name}{_shapes(args)}: {_first_line(err)}".rstrip(": "),
                     err) from None
    finally:
        torch.set_grad_enabled(grad)
        torch.set_default_dtype(dtype)


def as_tensor(value) -> torch.Tensor:
    """The reader's result as a float64 CPU tensor to compare, or :class:`Failed` saying why it
    cannot be one: nothing, complex numbers, a tensor without numbers (meta), a sparse or
    quantized tensor, or anything that is not numbers at all."""
    if value is None:
        raise Failed("your function returned nothing (None): finish it with `return ...`")
    if isinstance(value, torch.Tensor):
        kind = ("complex" if value.is_complex() else "meta" if value.is_meta
                else "sparse" if value.layout != torch.strided
                else "quantized" if value.is_quantized else None)
        if kind is not None:
            why = {"complex": "an answer here is real numbers",
                   "meta": "a meta tensor has a shape but no numbers",
                   "sparse": "return an ordinary (dense) tensor",
                   "quantized": "return an ordinary float tensor"}[kind]
            raise Failed(f"your function returned a {kind} tensor: {why}")
    try:
        if isinstance(value, torch.Tensor):
            return value.detach().to("cpu", torch.float64)
        if isinstance(value, (str, bytes)):
            raise TypeError(value)
        array = np.asarray(value)
        if not np.iscomplexobj(array):
            return torch.as_tensor(array.astype(np.float64))
    except Exception:
        raise Failed(f"your function returned a {type(value).__name__}, not a tensor or a "
                     f"number") from None
    raise Failed("your function returned complex numbers: an answer here is real numbers")
