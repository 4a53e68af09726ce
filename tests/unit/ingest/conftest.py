"""Small data.police.uk-shaped files for the ingest tests (every row made up for the test)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)


def police_row(
    *,
    crime_id: str = "",
    month: str = "2025-01",
    force: str = "Essex Police",
    lon: str = "0.470000",
    lat: str = "51.735000",
    location: str = "On or near Test Street",
    lsoa: str = "E01021600",
    lsoa_name: str = "Chelmsford 001A",
    crime_type: str = "Anti-social behaviour",
    outcome: str = "",
) -> str:
    fields = [crime_id, month, force, force, lon, lat, location, lsoa, lsoa_name, crime_type]
    return ",".join([*fields, outcome, ""])


WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write ``lines`` (header first unless ``header`` is given) to ``name`` under tmp_path."""

    def write(
        name: str,
        lines: list[str],
        *,
        header: str | None = HEADER,
        encoding: str = "utf-8",
        newline_at_end: bool = True,
        folder: Path | None = None,
    ) -> Path:
        path = (folder or tmp_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "\n".join(([header] if header is not None else []) + lines)
        if newline_at_end and text:
            text += "\n"
        path.write_bytes(text.encode(encoding))
        return path

    return write
