"""Alembic environment: runs against the engine handed in by ``asbhub.store.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from asbhub.store.registry import load_all

config = context.config
target_metadata = load_all().metadata


def run() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no engine or sqlalchemy.url given to the migrations")
        engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
