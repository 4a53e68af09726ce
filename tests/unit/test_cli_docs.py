"""docs/cli.md is generated from the Typer app; a command change must regenerate it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_reference_is_current(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "typer",
            "asbhub.cli",
            "utils",
            "docs",
            "--name",
            "asbhub",
            "--output",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run `make docs` to regenerate docs/cli.md"
