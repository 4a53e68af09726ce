from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from asbhub.config import DEFAULT_SECRET, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_default_secret_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASBHUB_MODE", "production")
    monkeypatch.delenv("ASBHUB_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="ASBHUB_SECRET_KEY"):
        Settings()


def test_real_secret_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASBHUB_MODE", "production")
    monkeypatch.setenv("ASBHUB_SECRET_KEY", "kTpQr1yJAER86r_WbSAaBQQggysX_F4vjsCQv4527nM")
    assert Settings().secret_key != DEFAULT_SECRET


def test_every_setting_is_documented() -> None:
    example = (ROOT / "config.example.env").read_text(encoding="utf-8")
    documented = set(re.findall(r"^ASBHUB_([A-Z_]+)=", example, flags=re.M))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields == documented
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
