"""``asbhub report board``: the PDF's text holds every table's figures; contradictions refused."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from asbhub.cli import app

runner = CliRunner()
MSG_ARGS = ["--msg-from", "2025-01", "--msg-to", "2025-06", "--channels-to", "2020-12-31"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def pdf(
    deep_dive_db: str, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[bytes, str]:
    out = tmp_path_factory.mktemp("board") / "board.pdf"
    result = runner.invoke(
        app,
        [
            "report",
            "board",
            "--period-end",
            "2021-03-31",
            "--out",
            str(out),
            "--db",
            deep_dive_db,
            "--msg-source",
            str(shared_data / "police-uk"),
            *MSG_ARGS,
        ],
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    return data, re.sub(r"[ \t]+", " ", text)


def test_the_pdf_is_tagged_and_has_its_charts_as_text(pdf: tuple[bytes, str]) -> None:
    data, text = pdf
    assert data.startswith(b"%PDF")
    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert "/StructTreeRoot" in root  # tagged for screen readers
    assert "Excluding COVID-19 breaches" in text and "ASB per 1,000 residents" in text


def test_volume_attendance_and_year_on_year_tables(
    pdf: tuple[bytes, str], shared_data: Path
) -> None:
    _, text = pdf
    dd = shared_data / "deep-dive-2021"
    for r in _rows(dd / "annual_volumes.csv"):
        assert f"{int(r['incidents']):,}" in text
        assert f"{int(r['attended']):,}" in text
        if r["incidents_excluding_covid"]:
            assert f"{int(r['incidents_excluding_covid']):,}" in text
    for r in _rows(dd / "reported_yoy.csv"):
        if r["diff"]:
            assert f"{int(r['diff']):+,}" in text
    for r in _rows(dd / "category_mix.csv"):
        for q in ("personal_pct", "nuisance_pct", "environmental_pct"):
            assert f"{float(r[q]):.1f}%" in text, (r["period_end"], q)


def test_forecast_msg_survey_and_channel_tables(pdf: tuple[bytes, str], shared_data: Path) -> None:
    _, text = pdf
    dd = shared_data / "deep-dive-2021"
    for r in _rows(dd / "forecast.csv"):  # the reference column
        assert f"{int(r['including_covid']):,}" in text
        assert f"{int(r['excluding_covid']):,}" in text
    assert "MAPE" in text and "MASE" in text and "80% interval" in text
    asb: Counter[str] = Counter()
    for r in _rows(shared_data / "police-uk" / "MANIFEST.csv"):
        if "2025-01" <= r["month"] <= "2025-06":
            asb[r["force"]] += int(r["asb_rows"])
    assert len(asb) == 8
    for n in asb.values():
        assert f"{n:,}" in text
    assert "2025-05, 2025-06" in text  # Avon and Somerset's missing months
    for r in _rows(dd / "perception_csew.csv"):
        assert r["measure"] in text.replace("\n", " ")
        assert r["2016-03-31"] in text and r["pt_diff_from_2016"] in text
    for r in _rows(dd / "confidence_survey.csv"):
        assert f"{r['agree_pct']}%" in text
    for figure in ("10,730", "1,975", "3,535", "-1,464", "733", "-177", "8.9", "43.3"):
        assert figure in text, figure


def test_sentences_are_written_from_the_numbers(pdf: tuple[bytes, str]) -> None:
    _, text = pdf
    flat = text.replace("\n", " ")
    assert "a 21.7% decrease compared to March 2016 (52,837)" in flat
    assert "Excluding 15,396 COVID-19 breaches there were 44,995 incidents" in flat


def test_a_figure_stated_twice_with_two_values_is_refused_naming_both(
    deep_dive_db: str, tmp_path: Path
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "key,value,place\nincidents@2016-03-31,52750,the deep dive's section 2\n",
        encoding="utf-8",
    )
    out = tmp_path / "board.html"
    result = runner.invoke(
        app,
        [
            "report",
            "board",
            "--period-end",
            "2021-03-31",
            "--out",
            str(out),
            "--db",
            deep_dive_db,
            "--also",
            str(claims),
            "--channels-to",
            "2020-12-31",
        ],
    )
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "contradict" in flat
    assert "52,837 in Table 1 (volumes), 12 months to 31 March 2016" in flat
    assert "52,750 in the deep dive's section 2" in flat
    assert not out.exists()


def test_bad_claims_file_and_format_are_named(deep_dive_db: str, tmp_path: Path) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text("key,value,place\nincidents@2016-03-31,many,x\n", encoding="utf-8")
    base = ["report", "board", "--period-end", "2021-03-31", "--db", deep_dive_db]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "r.html"), "--also", str(claims)])
    assert result.exit_code == 2 and "claims.csv:2" in " ".join(result.output.split())
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 2 and "--out" in result.output


def test_the_effect_of_orders_section(pdf: tuple[bytes, str]) -> None:
    """The seed's nine CBO subjects: 62 incidents as suspect before their orders, 6 after."""
    _, text = pdf
    flat = " ".join(text.split())
    assert "Effect of orders" in flat
    assert "Table 14. Effect of Criminal Behaviour Orders on their subjects" in flat
    assert "Criminal Behaviour Orders 9 62 6 -90.3%" in flat
