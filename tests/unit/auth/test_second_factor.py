"""Which accounts sign in with a second factor: decided by permissions.needs_second_factor for
the role; a demo account is let off in development mode and nowhere else."""

from __future__ import annotations

import secrets

import pytest

from asbhub.auth.models import User
from asbhub.auth.service import second_factor_required
from asbhub.config import Settings
from asbhub.permissions import GRANTS, STAFF_ROLES, Action, Role, needs_second_factor

STRONG = secrets.token_urlsafe(32)


def test_the_roles_that_see_personal_data_or_manage_accounts_need_it() -> None:
    needing = {r for r in Role if needs_second_factor(r)}
    assert needing == {
        Role.CALL_HANDLER,
        Role.OFFICER,
        Role.ASB_OFFICER,
        Role.SUPERVISOR,
        Role.ADMIN,
    }
    for role in STAFF_ROLES:
        # Read from the grants, not listed by hand: a role given personal data needs it too.
        granted = GRANTS[role]
        sees = Action.PERSONAL_DATA_VIEW in granted or Action.USER_MANAGE in granted
        assert needs_second_factor(role) is sees


@pytest.mark.parametrize(
    ("mode", "demo", "role", "needed"),
    [
        ("development", True, "officer", False),
        ("development", False, "officer", True),
        ("test", True, "officer", True),
        ("production", True, "admin", True),
        ("production", False, "analyst", False),
        ("production", False, "partner", False),
    ],
)
def test_demo_accounts_are_let_off_in_development_mode_only(
    mode: str, demo: bool, role: str, needed: bool
) -> None:
    settings = Settings(mode=mode, secret_key=STRONG)  # type: ignore[arg-type]
    user = User(username="u", role=role, demo=demo)
    assert second_factor_required(user, settings=settings) is needed
