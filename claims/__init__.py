"""The book's claims, measured: ``harness`` (checks, worlds, the registry) and one module per
group of chapters (``chapters`` for 1-12, ``how_good`` for 13), each claim quoting the sentences
it checks."""

import importlib
import pkgutil


def modules() -> list:
    """Every module of claims (but the harness), imported: importing one registers its claims."""
    return [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)
            if m.name != "harness"]
