"""The patrol plan: every place in the PDF, numbered markers that never overlap on the page."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pandas as pd
import pypdf
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from matplotlib.text import Text

from asbhub.hotspots.events import month_index
from asbhub.hotspots.patrol import LABEL_RADIUS, place_labels, plan_map, plan_pages, render
from asbhub.hotspots.predict import Prediction

# Colchester town centre (BNG metres): the plan's cells are packed there, the worst case.
CENTRE_IX, CENTRE_IY = 599_520 // 250, 225_070 // 250


def _prediction(n: int, district: str = "Colchester") -> Prediction:
    """``n`` flagged cells: most in one solid block, a few on their own nearby."""
    side = math.ceil(math.sqrt(n * 0.8))
    spots = [(CENTRE_IX + i % side, CENTRE_IY + i // side) for i in range(n)]
    spots[-3:] = [(CENTRE_IX - 12, CENTRE_IY + 9), (CENTRE_IX + 15, CENTRE_IY - 6),
                  (CENTRE_IX + 3, CENTRE_IY + 20)]  # fmt: skip
    rows = [
        {
            "rank": r,
            "cell_index": 1000 + r,
            "ix": ix,
            "iy": iy,
            "district": district,
            "location": f"On or near Test Place {r}",
            "band": "top 1%",
            "status": "emerging",
            "reason": (
                f"{r} reports in the last 3 months (fictitious test figures); the busiest place "
                "is a car park behind the shops, then the bus station and the footpath along "
                f"the river; new to the list this month; end of reason {r}"
            ),
        }
        for r, (ix, iy) in enumerate(spots, start=1)
    ]
    return Prediction(month_index("2026-01"), "naive", 6, 1, 250, 60_580, pd.DataFrame(rows))


def _markers(fig: Figure) -> tuple[list[Circle], list[Text], list[Rectangle]]:
    fig.canvas.draw()  # lays the page out as it will be written
    ax = fig.axes[0]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    texts = [t for t in ax.texts if str(t.get_gid()).startswith("label-text-")]
    cells = [p for p in ax.patches if isinstance(p, Rectangle)]
    return circles, texts, cells


def _circle(c: Circle) -> tuple[float, float, float]:
    box = c.get_window_extent()
    return (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, box.width / 2


def _rect_distance(x: float, y: float, box: object) -> float:
    dx = max(box.x0 - x, 0.0, x - box.x1)  # type: ignore[attr-defined]
    dy = max(box.y0 - y, 0.0, y - box.y1)  # type: ignore[attr-defined]
    return math.hypot(dx, dy)


@pytest.mark.parametrize("n", [15, 40])
def test_markers_never_overlap_and_keep_the_cells_visible(n: int) -> None:
    (fig, *_rest) = plan_pages("essex", _prediction(n), "Colchester", n)
    circles, texts, cells = _markers(fig)
    assert len(circles) == len(texts) == len(cells) == n
    assert sorted(int(str(c.get_gid()).removeprefix("label-")) for c in circles) == list(
        range(1, n + 1)
    )
    for a, b in itertools.combinations(circles, 2):
        (ax, ay, ar), (bx, by, br) = _circle(a), _circle(b)
        assert math.hypot(ax - bx, ay - by) >= ar + br, (a.get_gid(), b.get_gid())
    for a, b in itertools.combinations(texts, 2):
        assert not a.get_window_extent().overlaps(b.get_window_extent()), a.get_text()
    frame = fig.axes[0].get_window_extent()
    for c in circles:
        x, y, r = _circle(c)
        assert frame.x0 <= x - r and x + r <= frame.x1 and frame.y0 <= y - r and y + r <= frame.y1
        # No marker hides a flagged cell.
        assert all(_rect_distance(x, y, cell.get_window_extent()) >= r for cell in cells)
    for t, c in zip(
        sorted(texts, key=lambda t: int(t.get_text())),
        sorted(circles, key=lambda c: int(str(c.get_gid()).removeprefix("label-"))),
        strict=True,
    ):
        # The number fits inside its marker, at a size that reads on paper.
        x, y, r = _circle(c)
        tb = t.get_window_extent()
        assert all(math.hypot(px - x, py - y) <= r for px, py in [(tb.x0, tb.y0), (tb.x1, tb.y1)])
        assert t.get_fontsize() >= 7
    for f in [fig, *_rest]:
        f.clear()


def test_place_labels_spreads_a_solid_block_of_cells() -> None:
    size = 3.0  # points: cells of a county-wide map
    corners = [(100 + i * size, 100 + j * size) for i in range(8) for j in range(8)]
    boxes = np.array([(x, y, x + size, y + size) for x, y in corners])
    anchors = (boxes[:, :2] + boxes[:, 2:]) / 2
    at = place_labels(anchors, radius=LABEL_RADIUS, bounds=(0, 0, 400, 300), keep_clear=boxes)
    assert at.shape == (64, 2)
    d = np.hypot(*(at[:, None, :] - at[None, :, :]).transpose(2, 0, 1))
    assert (d[np.triu_indices(64, 1)] >= 2 * LABEL_RADIUS).all()
    assert ((at >= LABEL_RADIUS) & (at <= np.array([400, 300]) - LABEL_RADIUS)).all()


def test_every_place_of_the_plan_is_in_its_pdf() -> None:
    n = 40
    pdf = render(plan_pages("essex", _prediction(n), "Colchester", n), "pdf", title="Test plan")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= 3  # 40 places with their reasons do not fit on one or two pages
    text = "\n".join(pages)
    assert f"{n} places" in pages[0] and "data to" not in pages[0]
    for r in range(1, n + 1):
        assert f"{r}. On or near Test Place {r} " in text
        assert f"end of reason {r}" in text.replace("\n", " ")  # wrapped lines all there
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in page
    assert "list continues" not in text
    assert reader.metadata is not None and reader.metadata.title == "Test plan"


def test_plan_shows_the_month_of_the_last_data() -> None:
    figs = plan_pages("essex", _prediction(5), "Colchester", 5, latest=month_index("2025-12"))
    text = pypdf.PdfReader(io.BytesIO(render(figs, "pdf"))).pages[0].extract_text()
    assert "Month 2026-01 · data to 2025-12" in text


def test_plan_map_alone_as_svg() -> None:
    svg = render(plan_map("essex", _prediction(15), "Colchester", 15), "svg", title="Map").decode()
    assert svg.count('id="label-') == 30  # a marker and a number per place
    assert "<dc:title>Map</dc:title>" in svg
