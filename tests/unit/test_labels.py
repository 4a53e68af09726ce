"""Labels from one place: every stored code a screen shows has words, counts are plural-aware,
and validation errors read as plain instructions."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from asbhub.contact.models import ChatStatus
from asbhub.incidents.models import Channel, IncidentStatus, PersonRole, Qualifier
from asbhub.incidents.schemas import IncidentFilters
from asbhub.labels import event_label, label, plural
from asbhub.permissions import Actor, Role
from asbhub.web.labels import plain_errors


@pytest.mark.parametrize(
    "members", [Channel, Qualifier, ChatStatus, Role, IncidentStatus, PersonRole]
)
def test_every_code_shown_has_words(members: type) -> None:
    for m in members:
        words = label(m)
        assert words and "_" not in words and not words[0].islower(), m
        assert label(m.value) == words  # the stored value reads the same


def test_the_codes_the_review_found() -> None:
    assert label(Channel.LIVE_CHAT) == "Live chat"
    assert label(ChatStatus.ACTIVE) == "In progress"
    assert label(Qualifier.PERSONAL) == label("personal") == "Personal"
    assert event_label("contact:chat:convert") == "Recorded from a live chat"
    assert Actor(1, "u", "U", Role.OFFICER).organisation == "Essex Police"


def test_counts_are_plural_aware() -> None:
    assert plural(1, "incident") == "1 incident"
    assert plural(0, "incident") == "0 incidents"
    assert plural(5717, "incident") == "5,717 incidents"
    assert plural(2, "person") == "2 people"


def test_field_errors_in_plain_words_and_a_reversed_range_named() -> None:
    with pytest.raises(ValidationError) as exc:
        IncidentFilters.model_validate({"date_from": "2021-1"})
    assert plain_errors(exc.value.errors()) == {
        "date_from": "Received from: enter a real date, for example 2021-03-31"
    }
    with pytest.raises(ValidationError) as exc:
        IncidentFilters.model_validate({"date_from": "2021-03-02", "date_to": "2021-03-01"})
    assert plain_errors(exc.value.errors()) == {
        "date_to": "Received to: the end date must be the same as or after the start date"
    }
    with pytest.raises(ValidationError) as exc:
        IncidentFilters.model_validate({"channel": "carrier pigeon", "district": "x" * 81})
    assert plain_errors(exc.value.errors()) == {
        "district": "Policing district: must be 80 characters or fewer",
        "channel": "Channel: select one of the options in the list",
    }
