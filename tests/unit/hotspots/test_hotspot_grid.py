"""Grid conventions: fixed origin, kept cells, stable index."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from asbhub.errors import InvalidInput
from asbhub.hotspots.grid import build_grid, force_grid


def test_corners_on_multiples_and_stable_index() -> None:
    # An L-shaped area: the north-east cell of the 2 x 2 block is not touched.
    area = shapely.Polygon([(1010, 2010), (1490, 2010), (1490, 2240), (1240, 2240),
                            (1240, 2490), (1010, 2490)])  # fmt: skip
    g = build_grid(area, 250)
    assert (g.ix0, g.iy0) == (4, 8)
    assert g.mask.tolist() == [[True, True], [True, False]]
    ix, iy = g.kept_ixiy()
    # South to north, then west to east.
    assert list(zip(ix.tolist(), iy.tolist(), strict=True)) == [(4, 8), (5, 8), (4, 9)]
    row, col, kept = g.locate([1000.0, 1499.0, 1300.0, 900.0, np.nan], [2000, 2000, 2300, 2000, 1])
    assert kept.tolist() == [True, True, False, False, False]
    assert g.index[row[:2], col[:2]].tolist() == [0, 1]
    cx, cy = g.centres()
    assert cx.tolist() == [1125.0, 1375.0, 1125.0] and cy.tolist() == [2125.0, 2125.0, 2375.0]


def test_cell_must_be_multiple_of_50() -> None:
    with pytest.raises(InvalidInput):
        build_grid(shapely.box(0, 0, 1000, 1000), 120)


def test_essex_grid_size() -> None:
    g = force_grid("essex", 250)
    assert g.n_cells == 60580
    assert g.ix0 * 250 <= 536935 < (g.ix0 + 1) * 250
