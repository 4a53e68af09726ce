"""The store: engine, sessions, declarative base, shared tables and Alembic migrations."""

from asbhub.store.engine import make_engine, session_scope, upgrade

__all__ = ["make_engine", "session_scope", "upgrade"]
