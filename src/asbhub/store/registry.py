"""Finds every capability's tables, so Alembic and tests see the whole schema.

A capability declares its tables in ``asbhub.<capability>.models``; nothing else needs to list
them. Discovery walks the package rather than reading a hand-kept list, which a new capability
could forget to join.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import asbhub
from asbhub.store.base import Base


def model_modules() -> list[str]:
    """The names of the capability modules that declare tables, in a stable order."""
    names = []
    for info in pkgutil.iter_modules(asbhub.__path__):
        if not info.ispkg:
            continue
        candidate = f"asbhub.{info.name}.models"
        if importlib.util.find_spec(candidate) is not None:
            names.append(candidate)
    return sorted(names)


def load_all() -> type[Base]:
    for name in model_modules():
        importlib.import_module(name)
    return Base
