"""The policy module on its own: the check pair, the one scoping rule and the field rule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from asbhub.agencies.service import reference_agency
from asbhub.contact.models import Chat, ChatStatus
from asbhub.errors import NotPermitted
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentType,
    Location,
    Person,
    PremisesType,
)
from asbhub.permissions import (
    GRANTS,
    PUBLIC_ACTIONS,
    Action,
    Actor,
    Agreement,
    CaseSharing,
    DataClass,
    Role,
    Share,
    allowed,
    case_access,
    check,
    field_rule,
    granted_actions,
    in_scope,
    may_update_action,
    pseudonym,
    require,
    restrict,
    share_decision,
)
from asbhub.store.engine import session_scope

T = dt.datetime(2025, 1, 1)
BASILDON, THURROCK = "E07000066", "E06000034"


def actor(role: Role, agency: str | None = None, force: str = "essex") -> Actor:
    found = reference_agency("essex", agency) if agency else None
    return Actor(1, "u", "U", role, force_code=force, agency=found)


PARTNER = actor(Role.PARTNER, "thurrock-council")


def test_allowed_follows_the_grants_and_public_actions() -> None:
    for role in Role:
        a = actor(role, "basildon-council" if role is Role.PARTNER else None)
        for action in Action:
            assert allowed(a, action) == (action in GRANTS[role] or action in PUBLIC_ACTIONS)
        assert granted_actions(a) == GRANTS[role]
    assert allowed(None, Action.PUBLIC_REPORT_CREATE)
    assert not allowed(None, Action.INCIDENT_LIST)
    # A partner account without an agency has no scope at all.
    assert not allowed(actor(Role.PARTNER), Action.INCIDENT_LIST)
    assert granted_actions(actor(Role.PARTNER)) == frozenset()


def test_require_and_check_refuse_with_the_action_named() -> None:
    assert require(actor(Role.OFFICER), Action.PERSON_VIEW).role is Role.OFFICER
    with pytest.raises(NotPermitted, match="analyst may not open a person"):
        require(actor(Role.ANALYST), Action.PERSON_VIEW)
    with pytest.raises(NotPermitted, match="anonymous"):
        require(None, Action.PUBLIC_REPORT_CREATE)  # require wants a signed-in actor
    check(None, Action.PUBLIC_REPORT_CREATE)
    with pytest.raises(NotPermitted, match="anonymous may not"):
        check(None, Action.INCIDENT_VIEW)


def test_field_rule_is_decided_once_per_role() -> None:
    for role in Role:
        a = actor(role, "basildon-council" if role is Role.PARTNER else None)
        rule = field_rule(a)
        personal = allowed(a, Action.PERSONAL_DATA_VIEW)
        assert rule.names == rule.free_text == rule.exact_positions == rule.location_ids == personal
    coarse = field_rule(actor(Role.ANALYST))
    assert coarse.position(0.4592371) == 0.459 and coarse.position(None) is None
    assert coarse.metres(571234.5) == 571200.0 and coarse.location_id(7) is None
    exact = field_rule(actor(Role.OFFICER))
    assert exact.position(0.4592371) == 0.459237 and exact.location_id(7) == 7


def test_pseudonyms_are_stable_and_distinct() -> None:
    keyed = Actor(1, "u", "U", Role.ANALYST, force_code="essex", pseudonym_key=b"k1")
    assert pseudonym(keyed, 1) == pseudonym(keyed, 1) != pseudonym(keyed, 2)
    assert pseudonym(keyed, 1).startswith("P-") and len(pseudonym(keyed, 1)) == 10
    # The key is the app's secret, carried by the actor: another secret, other labels.
    other = Actor(1, "u", "U", Role.ANALYST, force_code="essex", pseudonym_key=b"k2")
    assert pseudonym(other, 1) != pseudonym(keyed, 1)
    with pytest.raises(ValueError, match="no pseudonym key"):
        pseudonym(actor(Role.ANALYST), 1)


def test_restrict_narrows_every_entity_in_the_query(engine: Engine) -> None:
    with session_scope(engine) as s:
        for force, la in (("essex", BASILDON), ("essex", THURROCK), ("kent", None)):
            s.add(
                Incident(
                    force_code=force,
                    reference=f"R-{force}-{la}",
                    received_at=T,
                    channel=Channel.NON_EMERGENCY,
                    opening_code=IncidentType.NOISE,
                    local_authority_code=la,
                )
            )
            s.add(
                Location(
                    force_code=force,
                    address=f"1 {la} Road",
                    premises_type=PremisesType.STREET,
                    local_authority_code=la,
                )
            )
        s.add_all(
            [
                Person(force_code="essex", forename="A", surname="B"),
                Person(force_code="kent", forename="C", surname="D"),
                Chat(
                    force_code="essex", token_hash="x" * 64, status=ChatStatus.WAITING, started_at=T
                ),
            ]
        )
    officer = actor(Role.OFFICER)
    with session_scope(engine) as s:

        def seen(who: Actor, entity: type, column: object) -> list[object]:
            return sorted(s.scalars(restrict(who, select(column), entity)).all(), key=str)

        assert seen(officer, Incident, Incident.local_authority_code) == [THURROCK, BASILDON]
        assert seen(PARTNER, Incident, Incident.local_authority_code) == [THURROCK]
        assert seen(PARTNER, Location, Location.local_authority_code) == [THURROCK]
        assert seen(officer, Location, Location.local_authority_code) == [THURROCK, BASILDON]
        assert seen(officer, Person, Person.surname) == ["B"]
        assert seen(PARTNER, Person, Person.surname) == []  # people carry no area
        assert seen(actor(Role.CALL_HANDLER), Chat, Chat.force_code) == ["essex"]
        assert seen(PARTNER, Chat, Chat.force_code) == []
        assert seen(actor(Role.OFFICER, force="kent"), Incident, Incident.force_code) == ["kent"]
        chat = s.scalars(select(Chat)).one()
        assert in_scope(officer, chat) and not in_scope(PARTNER, chat)
        assert not in_scope(actor(Role.OFFICER, force="kent"), chat)


# The case policy (issue 18): role x agency x agreement x the case's sharing settings.
ON = dt.date(2026, 6, 1)
POLICE = "essex-police"
ISA = Agreement(
    reference="ISA-T",
    parties=frozenset({POLICE, "thurrock-council"}),
    data_classes=frozenset({DataClass.PERSONAL_DETAILS, DataClass.CASE_NOTES}),
    lawful_basis="uk-gdpr-6-1-e",
    starts_on=dt.date(2026, 1, 1),
    ends_on=dt.date(2026, 12, 31),
)


def with_isa(a: Actor, *agreements: Agreement) -> Actor:
    return Actor(
        1, "u", "U", a.role, force_code=a.force_code, agency=a.agency, agreements=agreements
    )


def case(shares: tuple[Share, ...] = (), locked: bool = False, la: str = BASILDON) -> CaseSharing:
    return CaseSharing("essex", POLICE, la, victim_locked=locked, shares=shares)


SHARED = Share("thurrock-council", frozenset(DataClass), agreement_reference="ISA-T")


def test_case_access_follows_owner_share_agreement_and_lock() -> None:
    asb, analyst = actor(Role.ASB_OFFICER), actor(Role.ANALYST)
    partner = with_isa(PARTNER, ISA)
    assert case_access(asb, case(), on=ON).classes == frozenset(DataClass)
    assert case_access(analyst, case(), on=ON).classes == {DataClass.INCIDENT_SUMMARY}
    # Outside its area and not shared: the partner does not know the case exists.
    assert not case_access(partner, case(), on=ON).exists
    # In its area: it exists (whom to ask), nothing more.
    inside = case_access(partner, case(la=THURROCK), on=ON)
    assert inside.exists and inside.classes == frozenset() and not inside.may_update
    shared = case_access(partner, case((SHARED,)), on=ON)
    assert shared.classes == {
        DataClass.INCIDENT_SUMMARY,
        DataClass.PERSONAL_DETAILS,
        DataClass.CASE_NOTES,
    }  # not the risk assessment: the agreement does not cover it
    assert not shared.may_update and not shared.may_share
    assert may_update_action(partner, shared, "thurrock-council")
    assert not may_update_action(partner, shared, "ecfrs")
    assert not may_update_action(partner, inside, "thurrock-council")  # not shared
    assert (
        DataClass.PERSONAL_DETAILS not in case_access(partner, case((SHARED,), True), on=ON).classes
    )
    # The agreement lapses: only the depersonalised summary stays.
    after = case_access(partner, case((SHARED,)), on=dt.date(2027, 1, 1))
    assert after.classes == {DataClass.INCIDENT_SUMMARY}
    assert case_access(PARTNER, case((SHARED,)), on=ON).classes == {DataClass.INCIDENT_SUMMARY}
    revoked = Share("thurrock-council", frozenset(DataClass), override=True, revoked=True)
    assert not case_access(partner, case((revoked,)), on=ON).exists
    override = Share("thurrock-council", frozenset({DataClass.RISK_ASSESSMENT}), override=True)
    assert case_access(partner, case((override,)), on=ON).classes == {DataClass.RISK_ASSESSMENT}
    assert not case_access(actor(Role.ADMIN), case(), on=ON).exists
    assert not case_access(actor(Role.OFFICER, force="kent"), case(), on=ON).exists


def test_a_share_without_an_agreement_is_refused_unless_overridden() -> None:
    asb = with_isa(actor(Role.ASB_OFFICER), ISA)
    officer = with_isa(actor(Role.OFFICER), ISA)
    personal = [DataClass.PERSONAL_DETAILS]
    d = share_decision(asb, case(), recipient="thurrock-council", data_classes=personal, on=ON)
    assert d.agreement == ISA and not d.override and d.lawful_basis == "uk-gdpr-6-1-e"
    summary = share_decision(
        officer, case(), recipient="ecfrs", data_classes=[DataClass.INCIDENT_SUMMARY], on=ON
    )
    assert summary.agreement is None and not summary.override
    with pytest.raises(NotPermitted, match="no information sharing agreement"):
        share_decision(asb, case(), recipient="ecfrs", data_classes=personal, on=ON)
    with pytest.raises(NotPermitted, match="no information sharing agreement"):
        share_decision(  # the agreement does not cover the risk assessment
            asb, case(), recipient="thurrock-council", data_classes=list(DataClass), on=ON
        )
    with pytest.raises(NotPermitted, match="may not override"):
        share_decision(
            officer, case(), recipient="ecfrs", data_classes=personal, on=ON, override_reason="x"
        )
    o = share_decision(
        asb, case(), recipient="ecfrs", data_classes=personal, on=ON, override_reason="fire risk"
    )
    assert o.override and o.agreement is None
    with pytest.raises(NotPermitted, match="only the owning agency"):
        share_decision(
            with_isa(PARTNER, ISA), case((SHARED,)), recipient="ecfrs", data_classes=personal, on=ON
        )
