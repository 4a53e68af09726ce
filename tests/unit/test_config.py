from __future__ import annotations

import ast
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


def _calls_and_defaults() -> list[tuple[str, ast.AST]]:
    out = []
    for path in sorted((ROOT / "src" / "asbhub").rglob("*.py")):
        rel = str(path.relative_to(ROOT / "src"))
        out += [(rel, node) for node in ast.walk(ast.parse(path.read_text(), rel))]
    return out


# The command line, the app factory and the settings module read the settings; everything
# below them is handed what it needs (create_app(settings=...) reaches sign-in and pseudonyms).
READS_SETTINGS = ("asbhub/config.py", "asbhub/clikit.py", "asbhub/web/app.py")


def test_only_the_entry_points_read_the_settings() -> None:
    readers = {
        f"{rel}:{node.lineno}"
        for rel, node in _calls_and_defaults()
        if isinstance(node, ast.Name) and node.id == "get_settings"
        if rel not in READS_SETTINGS and not rel.endswith("/cli.py")
    }
    assert readers == set()


def test_no_function_defaults_to_a_force() -> None:
    """A force comes from the caller or ``settings.default_force``, never a literal default.
    The generator is the exception: it is calibrated to Essex's figures and no other force."""
    literal = {
        f"{rel}:{default.lineno}"
        for rel, node in _calls_and_defaults()
        if isinstance(node, ast.arguments)
        for default in [*node.defaults, *node.kw_defaults]
        if isinstance(default, ast.Constant) and default.value == "essex"
        if not rel.startswith("asbhub/generate/")
    }
    assert literal == set()


def test_commands_take_the_default_force_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from asbhub.cli import app
    from asbhub.config import get_settings

    db = f"sqlite:///{tmp_path / 'f.db'}"
    monkeypatch.setenv("ASBHUB_DEFAULT_FORCE", "kent")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["db", "upgrade", "--db", db])
    assert result.exit_code != 0 and "kent" in result.output + result.stderr
