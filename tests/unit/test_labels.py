"""The labels module's copy of the chat statuses stays in step with contact's own enum."""

from asbhub.contact.models import ChatStatus
from asbhub.incidents import labels


def test_chat_status_copy_matches_contact() -> None:
    assert {s.value for s in labels.ChatStatus} == {s.value for s in ChatStatus}
    assert labels.label(ChatStatus.WAITING) == "Waiting"
    assert labels.label(ChatStatus.ACTIVE) == "In progress"
