"""Agencies and agreements as data: the shipped reference set, validation, the actor's view."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from asbhub.agencies import service
from asbhub.agencies.models import AgencyRow
from asbhub.audit.models import AuditEvent
from asbhub.auth.models import User
from asbhub.auth.service import actor_for
from asbhub.config import get_settings
from asbhub.errors import InvalidInput
from asbhub.permissions import AgencyKind, DataClass, Role
from asbhub.store.engine import session_scope
from factories import staff_actor

D = dt.date(2026, 1, 1)


def test_reference_agencies_load_once_with_their_areas(engine: Engine) -> None:
    with session_scope(engine) as s:
        # conftest loaded them into the template; a second run adds nothing.
        assert service.load_reference_agencies(s, "essex") == 0
        n = s.scalar(select(func.count()).select_from(AgencyRow))
        found = {a.code: a for a in service.list_agencies(s, force_code="essex")}
    assert n == len(service.reference_file("essex")["agencies"]) == 19
    assert found["thurrock-council"].local_authority_codes == {"E06000034"}
    assert found["essex-police"].local_authority_codes is None  # the whole force
    assert (
        found["ecfrs"].kind is AgencyKind.FIRE
        and len(found["ecfrs"].local_authority_codes or ()) == 14
    )


def test_an_agreement_names_each_bad_field(engine: Engine) -> None:
    admin = staff_actor(engine, "admin.a", Role.ADMIN, "Admin A")
    with session_scope(engine) as s, pytest.raises(InvalidInput) as err:
        service.add_agreement(
            s,
            actor=admin,
            reference="",
            title="",
            purpose=" ",
            lawful_basis="because",
            data_classes=["gossip"],
            parties=["thurrock-council"],
            starts_on=D,
            ends_on=D - dt.timedelta(days=1),
            review_on=D - dt.timedelta(days=2),
        )
    assert set(err.value.fields) == {
        "reference",
        "title",
        "purpose",
        "lawful_basis",
        "data_classes",
        "parties",
        "ends_on",
        "review_on",
    }
    with session_scope(engine) as s:  # nothing half-written
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_an_actor_carries_its_agency_and_agreements(engine: Engine) -> None:
    admin = staff_actor(engine, "admin.a", Role.ADMIN, "Admin A")
    staff_actor(engine, "p.thurrock", Role.PARTNER, "P", agency_code="thurrock-council")
    with session_scope(engine) as s:
        g = service.add_agreement(
            s,
            actor=admin,
            reference="ISA-TEST-1",
            title="Fictitious partnership agreement",
            purpose="Problem-solving of ASB",
            lawful_basis="uk-gdpr-6-1-e",
            data_classes=["personal_details", "case_notes"],
            parties=["essex-police", "thurrock-council"],
            starts_on=D,
            ends_on=None,
            review_on=D.replace(year=2027),
        )
        assert g.parties == {"essex-police", "thurrock-council"}
        with pytest.raises(InvalidInput, match="cannot be recorded"):
            service.add_agreement(
                s,
                actor=admin,
                reference="ISA-TEST-1",
                title="t",
                purpose="p",
                lawful_basis="uk-gdpr-6-1-e",
                data_classes=["case_notes"],
                parties=["essex-police", "ecfrs"],
                starts_on=D,
                ends_on=None,
                review_on=None,
            )
    with session_scope(engine) as s:
        user = s.scalar(select(User).where(User.username == "p.thurrock"))
        assert user is not None
        partner = actor_for(user, settings=get_settings())
        assert partner.agency_code == "thurrock-council"
        assert partner.organisation == "Thurrock Council"
        [carried] = partner.agreements
        assert carried.reference == "ISA-TEST-1"
        assert carried.data_classes == {DataClass.PERSONAL_DETAILS, DataClass.CASE_NOTES}
        police = actor_for(s.get_one(User, admin.user_id), settings=get_settings())
        assert police.agency is None and police.acts_for == "essex-police"
        assert [g.reference for g in police.agreements] == ["ISA-TEST-1"]


def test_a_partner_account_needs_a_partner_agency(engine: Engine) -> None:
    from asbhub.auth.service import add_user

    with session_scope(engine) as s:
        for code, why in (("nowhere-council", "must be one of"), ("essex-police", "police staff")):
            with pytest.raises(InvalidInput) as err:
                add_user(
                    s,
                    username=f"p-{code}",
                    password="fictitious-password-1",
                    role="partner",
                    agency_code=code,
                    force_code="essex",
                )
            assert why in err.value.fields["agency"]
