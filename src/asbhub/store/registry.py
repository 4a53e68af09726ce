"""Imports every module that declares tables, so Alembic and tests see the whole schema."""

from __future__ import annotations

import importlib

from asbhub.store.base import Base

# Each capability with tables adds its models module here.
MODEL_MODULES = [
    "asbhub.store.models",
    "asbhub.auth.models",
    "asbhub.audit.models",
    "asbhub.contact.models",
]


def load_all() -> type[Base]:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base
