"""Declarative base shared by every capability's models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, declared_attr

# Named constraints keep Alembic autogenerate stable on both SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ForceKeyed:
    """A row of a table distributed on ``force_code`` (docs/scale.md section 3).

    The ORM knows such a row by ``(id, force_code)``, so every statement it writes on its own
    (the UPDATE and DELETE of a flush, the load of a row by its key) names the force, which a
    distributed PostgreSQL routes to the one node holding it. The database's key stays ``id``
    (unique across forces from its sequence); only the ORM's identity grows, so
    ``session.get(Model, (id, force_code))`` is how a row is fetched by key.
    """

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        table = cls.__table__  # type: ignore[attr-defined]
        key = list(table.primary_key.columns)
        return {"primary_key": [*key, table.c.force_code]}


def same_force(foreign_key: str, target: str) -> dict[str, Any]:
    """The join of a relationship between two force-keyed classes, for either side of it:
    ``foreign_key`` (``"Child.parent_id"``) to ``target``'s id, within one force, so that its
    lazy loads and joins name ``force_code`` too. The force is not copied from the parent:
    a child is written with its own ``force_code`` like any other row."""
    owner = foreign_key.split(".", 1)[0]
    return {
        "primaryjoin": f"and_({target}.id == {foreign_key}, "
        f"{target}.force_code == {owner}.force_code)",
        "foreign_keys": foreign_key,
    }
