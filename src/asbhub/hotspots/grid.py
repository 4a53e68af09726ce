"""The hotspot grid: square cells in British National Grid with a fixed origin.

Conventions (docs/hotspots.md, guide section 2): cell (ix, iy) covers
[ix*s, (ix+1)*s) x [iy*s, (iy+1)*s) in EPSG:27700 metres; a cell is *kept* when its square
intersects the force area; the *stable cell index* is a kept cell's position when kept cells are
sorted by (iy, ix) ascending, i.e. south to north, then west to east. Arrays are laid out as
(rows, cols) with row 0 the southernmost row of the bounding box, so a C-order flattening of the
kept cells already follows the stable index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from asbhub.errors import InvalidInput
from asbhub.geography.service import from_bng, geography

PIXEL = 50  # metres; sub-cell raster used by kernel methods, a divisor of every allowed cell size

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def to_bng_geometry(geom: BaseGeometry) -> BaseGeometry:
    """Project a WGS84 shapely geometry to EPSG:27700 with one cached transformer."""

    def _proj(coords: FloatArray) -> FloatArray:
        x, y = _TO_BNG.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _proj)


@dataclass(frozen=True, eq=False)
class Grid:
    """Kept cells of a force area on a fixed-origin BNG grid.

    ``ix0``/``iy0`` are the (ix, iy) of the array's south-west cell; ``mask[r, c]`` says whether
    cell (ix0 + c, iy0 + r) is kept.
    """

    cell: int
    ix0: int
    iy0: int
    mask: BoolArray
    force: str = ""  # the shipped force boundary it was built from, if any
    index: IntArray = field(init=False)  # stable cell index per array position, -1 if not kept

    def __post_init__(self) -> None:
        index = np.full(self.mask.shape, -1, dtype=np.int64)
        index[self.mask] = np.arange(int(self.mask.sum()), dtype=np.int64)
        object.__setattr__(self, "index", index)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.mask.shape[0]), int(self.mask.shape[1]))

    @property
    def n_cells(self) -> int:
        return int(self.mask.sum())

    @property
    def factor(self) -> int:
        """Pixels per cell side on the 50 m sub-grid."""
        return self.cell // PIXEL

    def kept_rc(self) -> tuple[IntArray, IntArray]:
        """Row and column of every kept cell, in stable index order."""
        r, c = np.nonzero(self.mask)
        return r.astype(np.int64), c.astype(np.int64)

    def kept_ixiy(self) -> tuple[IntArray, IntArray]:
        r, c = self.kept_rc()
        return c + self.ix0, r + self.iy0

    def centres(self) -> tuple[FloatArray, FloatArray]:
        """BNG centre of every kept cell, in stable index order."""
        ix, iy = self.kept_ixiy()
        s = float(self.cell)
        return (ix.astype(np.float64) + 0.5) * s, (iy.astype(np.float64) + 0.5) * s

    def locate(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[IntArray, IntArray, BoolArray]:
        """Array row/col of each BNG point and whether its cell is kept.

        Points whose cell is outside the array or not kept get ``False``; their row/col are
        meaningless. Coordinates are never clipped into the grid.
        """
        xa = np.asarray(x, dtype=float)
        ya = np.asarray(y, dtype=float)
        finite = np.isfinite(xa) & np.isfinite(ya)
        col = np.zeros(xa.shape, dtype=np.int64)
        row = np.zeros(xa.shape, dtype=np.int64)
        col[finite] = np.floor(xa[finite] / self.cell).astype(np.int64) - self.ix0
        row[finite] = np.floor(ya[finite] / self.cell).astype(np.int64) - self.iy0
        nr, nc = self.shape
        inside = finite & (row >= 0) & (row < nr) & (col >= 0) & (col < nc)
        kept = inside.copy()
        kept[inside] = self.mask[row[inside], col[inside]]
        return row, col, kept

    def pixels(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """Row/col on the 50 m sub-grid aligned with this grid (same south-west corner)."""
        xa = np.asarray(x, dtype=float)
        ya = np.asarray(y, dtype=float)
        pc = np.floor(xa / PIXEL).astype(np.int64) - self.ix0 * self.factor
        pr = np.floor(ya / PIXEL).astype(np.int64) - self.iy0 * self.factor
        return pr, pc

    def to_flat(self, arr: npt.NDArray[np.floating] | npt.NDArray[np.integer]) -> FloatArray:
        """Values of a (rows, cols) array at the kept cells, in stable index order."""
        return np.asarray(arr[self.mask], dtype=float)

    def from_flat(self, values: npt.ArrayLike, fill: float = -np.inf) -> FloatArray:
        out = np.full(self.shape, fill, dtype=float)
        out[self.mask] = np.asarray(values, dtype=float)
        return out


def build_grid(area_bng: BaseGeometry, cell: int, force: str = "") -> Grid:
    """Grid of ``cell``-metre squares intersecting ``area_bng`` (a polygon in EPSG:27700)."""
    if cell <= 0 or cell % PIXEL:
        raise InvalidInput(
            f"cell size must be a positive multiple of {PIXEL} m", {"--cell": str(cell)}
        )
    minx, miny, maxx, maxy = area_bng.bounds
    ix0 = int(np.floor(minx / cell))
    iy0 = int(np.floor(miny / cell))
    ix1 = int(np.ceil(maxx / cell))
    iy1 = int(np.ceil(maxy / cell))
    ncols, nrows = ix1 - ix0, iy1 - iy0
    iy, ix = np.mgrid[iy0 : iy0 + nrows, ix0 : ix0 + ncols]
    boxes = shapely.box(ix * cell, iy * cell, (ix + 1) * cell, (iy + 1) * cell)
    shapely.prepare(area_bng)
    mask = np.asarray(shapely.intersects(area_bng, boxes), dtype=bool)
    return Grid(cell=cell, ix0=ix0, iy0=iy0, mask=mask, force=force)


@lru_cache(maxsize=8)
def force_area_bng(force: str) -> BaseGeometry:
    return to_bng_geometry(geography(force).force_area)


@lru_cache(maxsize=8)
def force_grid(force: str, cell: int = 250) -> Grid:
    """The cached grid of a force whose boundary asbhub ships."""
    return build_grid(force_area_bng(force), cell, force)


@dataclass(frozen=True)
class CellAreas:
    """LSOA (2021) and policing district of each kept cell, by its centre, stable order."""

    lsoa: npt.NDArray[np.object_]
    lsoa_id: IntArray  # dense integer code of ``lsoa``
    district: npt.NDArray[np.object_]


@lru_cache(maxsize=8)
def cell_areas(grid: Grid) -> CellAreas:
    """Areas of the cells of a force grid; a coastal cell whose centre is in the sea takes the
    nearest area, so every kept cell belongs to a district."""
    n = grid.n_cells
    if not grid.force:
        empty = np.full(n, "", dtype=object)
        return CellAreas(lsoa=empty, lsoa_id=np.zeros(n, dtype=np.int64), district=empty)
    geo = geography(grid.force)
    x, y = grid.centres()
    lon, lat = from_bng(x, y)
    found = geo.locate(lon, lat)
    lsoa = np.asarray(found.lsoa_code, dtype=object)
    la = np.asarray(found.local_authority_code, dtype=object)
    pts = shapely.points(lon, lat)
    codes, tree, _ = geo.lsoa[2021]
    miss = np.flatnonzero(pd_isnull(lsoa))
    if len(miss):
        lsoa[miss] = codes[tree.nearest(pts[miss])]
    miss = np.flatnonzero(pd_isnull(la))
    if len(miss):
        la[miss] = geo.la_codes[geo.la_tree.nearest(pts[miss])]
    district = np.asarray([geo.district_of_la.get(c, "") for c in la], dtype=object)
    _, lsoa_id = np.unique(lsoa.astype(str), return_inverse=True)
    return CellAreas(lsoa=lsoa, lsoa_id=lsoa_id.astype(np.int64), district=district)


def pd_isnull(a: npt.NDArray[np.object_]) -> BoolArray:
    return np.asarray([v is None for v in a], dtype=bool)
