from __future__ import annotations

from sqlalchemy import func, select

from asbhub.geography.models import Area, AreaLevel, AreaPopulation
from asbhub.geography.service import load_reference
from asbhub.store.engine import session_scope, upgrade


def test_reference_geography_loaded_once(engine) -> None:
    upgrade(engine)  # already at head: a no-op
    with session_scope(engine) as s:
        assert load_reference(s, "essex") == 0
        counts = dict(
            s.execute(select(Area.level, func.count()).group_by(Area.level)).tuples().all()
        )
        pop = s.scalar(select(func.count()).select_from(AreaPopulation))
    assert counts[AreaLevel.FORCE] == 1
    assert counts[AreaLevel.DISTRICT] == 10
    assert counts[AreaLevel.LOCAL_AUTHORITY] == 14
    assert counts[AreaLevel.LSOA] == 1077 + 1111
    assert pop == 14 * 8 + 8 + 1077 * 3


def test_district_hierarchy(engine) -> None:
    with session_scope(engine) as s:
        tendring = s.scalars(select(Area).where(Area.code == "E07000076")).one()
        assert tendring.parent is not None
        assert tendring.parent.name == "Tendring"
        assert tendring.parent.parent is not None
        assert tendring.parent.parent.name == "North"
