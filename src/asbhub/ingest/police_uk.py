"""Load data.police.uk street-level files (``YYYY-MM-<force>-street.csv``) into ``public_records``.

The happy path is columnar: pyarrow parses a file (dictionary-encoding the repetitive columns),
checks run on whole arrays or on the few distinct values of a column, coordinates are projected
and placed in districts once per distinct map point, and the rows go to the database in one
bulk write. Only bad rows take a per-row path, to build their quarantine entry.

Each file is one transaction: the ``source_loads`` row that marks its force-month as loaded,
its records and its quarantined rows commit together or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import itertools
import multiprocessing as mp
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
from sqlalchemy import Connection, Engine, Table, and_, delete, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.geography.service import (
    FORCE_BY_NAME,
    SHIPPED_FORCES,
    UK_LAT,
    UK_LON,
    geography,
    to_bng,
)
from asbhub.ingest.fanout import FanOut
from asbhub.ingest.models import PublicRecord, SourceLoad
from asbhub.ingest.schemas import FileResult, FileStatus, IngestReport, Problem, Progress
from asbhub.ingest.sources import Source, SourceFailure, decode, discover, failed_result
from asbhub.ingest.writer import quarantine
from asbhub.permissions import Actor
from asbhub.store.bulk import (
    INDEX_LOCK_NAMESPACE,
    BlankIsNull,
    Coded,
    Constant,
    Encoded,
    analyze,
    bulk_insert,
    deferred_indexes,
    ensure_indexes,
    tuned_for_load,
)
from asbhub.store.bulk import encode as bulk_encode
from asbhub.store.engine import lock_for_transaction
from asbhub.store.partitions import ensure_months

ASB = "Anti-social behaviour"

# Published header, and the key each column is held under once its name is normalised
# (case, spaces and underscores ignored: one copy of the 2018 files had a snake_case header).
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)
COLUMN_KEYS: dict[str, str] = {
    "crime id": "crime_id",
    "month": "month",
    "reported by": "reported_by",
    "falls within": "falls_within",
    "longitude": "longitude",
    "latitude": "latitude",
    "location": "location",
    "lsoa code": "lsoa_code",
    "lsoa name": "lsoa_name",
    "crime type": "crime_type",
    "last outcome category": "last_outcome",
    "context": "context",
}
KEYS = list(COLUMN_KEYS.values())

FILE_NAME = re.compile(r"^(\d{4}-\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)-street\.csv$", re.I)
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _max_lengths() -> dict[str, int]:
    out: dict[str, int] = {}
    for key in KEYS:
        length = getattr(PublicRecord.__table__.c[key].type, "length", None)
        if length:
            out[key] = int(length)
    return out


MAX_LENGTH = _max_lengths()


def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip().lower())


class Column:
    """A dictionary-encoded column: ``values[codes[i]]`` is row i's text.

    Checks run once per distinct value (``dictionary``), then reach rows through ``codes``.
    """

    def __init__(self, codes: npt.NDArray[np.intp], dictionary: pa.Array) -> None:
        self.codes = codes
        self.dictionary = dictionary

    @cached_property
    def values(self) -> list[str]:
        return cast(list[str], self.dictionary.to_pylist())

    def _per_value(self, mask: Any) -> npt.NDArray[np.bool_]:
        return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)

    def blank(self) -> npt.NDArray[np.bool_]:
        """Per row: is the text empty or only spaces."""
        per_value = pc.equal(pc.utf8_trim_whitespace(self.dictionary), "")
        return self._per_value(per_value)[self.codes]

    def longer_than(self, limit: int) -> npt.NDArray[np.bool_]:
        return self._per_value(pc.greater(pc.utf8_length(self.dictionary), limit))[self.codes]

    def take(self, rows: npt.NDArray[np.intp], *, blank_is_null: bool) -> Coded | Constant:
        """The texts of ``rows``, or a Constant if all are equal; blanks stand for NULL if asked."""
        codes = self.codes[rows]
        if len(codes) and (codes == codes[0]).all():
            value = self.values[int(codes[0])]
            return Constant(None if blank_is_null and not value else value)
        return Coded(codes.astype(np.int32), self.values, blank_is_null)

    def row_text(self, i: int) -> str:
        return str(self.dictionary[int(self.codes[i])].as_py())


@dataclass
class Prepared:
    """A parsed, checked file ready to write (or a failure to report)."""

    source: Source
    result: FileResult
    sha256: str = ""
    month: dt.date | None = None
    problems: list[Problem] = field(default_factory=list)
    # public_records column -> one value per stored row, or a Constant
    columns: dict[str, Any] = field(default_factory=dict)
    # The same rows encoded for PostgreSQL's COPY, when asked for (then ``columns`` is empty)
    encoded: Encoded | None = None
    count: int = 0
    failure: Problem | None = None


def _dict_column(chunked: pa.ChunkedArray) -> Column:
    if chunked.num_chunks == 0:
        return Column(np.zeros(0, dtype=np.intp), pa.array([], pa.string()))
    if not pa.types.is_dictionary(chunked.type):
        chunked = chunked.dictionary_encode()
    chunked = chunked.unify_dictionaries()
    dictionary = chunked.chunk(0).dictionary
    codes = np.concatenate(
        [c.indices.to_numpy(zero_copy_only=False).astype(np.intp) for c in chunked.chunks]
    )
    return Column(codes, dictionary)


@dataclass
class _Parsed:
    columns: dict[str, Column]
    crime_id: pa.ChunkedArray
    lines: npt.NDArray[np.int64]  # physical line of each parsed row
    # (line, text, fields found, fields expected) of rows of the wrong shape
    invalid: list[tuple[int, str, int, int]]
    text: _Lines


class _Lines:
    """Physical lines of a file, indexed only when a bad row needs its line or raw text."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._starts: npt.NDArray[np.int64] | None = None
        self._ends: npt.NDArray[np.int64] | None = None

    def _index(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        if self._starts is None or self._ends is None:
            buf = np.frombuffer(self.data, dtype=np.uint8)
            nl = np.flatnonzero(buf == 10).astype(np.int64)
            starts = np.concatenate(([0], nl + 1))
            ends = np.concatenate((nl, [len(self.data)]))
            if self.data.endswith(b"\n"):
                starts, ends = starts[:-1], ends[:-1]
            self._starts, self._ends = starts, ends
        return self._starts, self._ends

    def text(self, line: int) -> str:
        starts, ends = self._index()
        if 1 <= line <= len(starts):
            raw = self.data[starts[line - 1] : ends[line - 1]]
            return raw.decode("utf-8", "replace").rstrip("\r")
        return ""

    def last_unterminated(self) -> int:
        """Number of the last line when no newline ends the file, else 0."""
        if not self.data or self.data.endswith(b"\n"):
            return 0
        return self.data.count(b"\n") + 1

    def record_lines(self, has_quotes: bool, n_records: int) -> npt.NDArray[np.int64]:
        """Physical line (1-based) on which each of ``n_records`` CSV records starts."""
        data = self.data
        n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if n_lines == n_records:  # no blank lines, no line breaks inside quotes
            return np.arange(1, n_records + 1, dtype=np.int64)
        if not has_quotes:
            # Without quotes a record is a non-blank line (pyarrow skips blank ones).
            starts, ends = self._index()
            buf = np.frombuffer(data, dtype=np.uint8)
            length = ends - starts
            last = buf[np.maximum(ends - 1, 0)]
            blank = (length == 0) | ((length == 1) & (last == 13))
            return np.flatnonzero(~blank).astype(np.int64) + 1
        # Quoted fields may span lines; let the csv module find where each record starts.
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        out: list[int] = []
        previous_end = 0
        for row in reader:
            if row:
                out.append(previous_end + 1)
            previous_end = reader.line_num
        return np.array(out, dtype=np.int64)


def _parse(name: str, data: bytes, column_names: list[str]) -> _Parsed:
    lines = _Lines(data)
    has_quotes = b'"' in data
    invalid_records: list[tuple[int, str, int, int]] = []

    def on_invalid(row: Any) -> str:
        invalid_records.append(
            (int(row.number), str(row.text), int(row.actual_columns), int(row.expected_columns))
        )
        return "skip"

    types = {k: pa.dictionary(pa.int32(), pa.string()) for k in KEYS}
    types["crime_id"] = pa.string()
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(
                skip_rows=1,
                column_names=column_names,
                # Single-threaded so that rejected rows carry their record number.
                use_threads=False,
                block_size=max(1 << 20, min(len(data) + 1, 1 << 26)),
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=has_quotes, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=KEYS,
                column_types=types,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        # Rows of the wrong shape are handled above; this is a file that is not CSV at all.
        raise SourceFailure(Problem(name, 0, f"cannot parse as CSV: {exc}")) from exc

    n_records = table.num_rows + len(invalid_records) + 1  # + header
    record_line = lines.record_lines(has_quotes, n_records)
    if invalid_records:
        bad_numbers = np.array([r[0] for r in invalid_records], dtype=np.int64)
        good_numbers = np.setdiff1d(np.arange(2, n_records + 1, dtype=np.int64), bad_numbers)
    else:
        good_numbers = np.arange(2, n_records + 1, dtype=np.int64)
    good_lines = record_line[good_numbers - 1]
    invalid = [(int(record_line[num - 1]), t, nf, ne) for num, t, nf, ne in invalid_records]
    columns = {k: _dict_column(table.column(k)) for k in KEYS if k != "crime_id"}
    return _Parsed(columns, table.column("crime_id"), good_lines, invalid, lines)


def _header(name: str, data: bytes) -> list[str]:
    """Column keys of the file's header row; raises SourceFailure when it is wrong or missing."""
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")
    names = next(csv.reader([first]), [])
    keys = [COLUMN_KEYS.get(_norm(n)) for n in names]
    if not any(keys):
        raise SourceFailure(
            Problem(
                name,
                1,
                f"missing header: line 1 should name the columns ({HEADER}) "
                f"but reads {first[:120]!r}",
                first,
            )
        )
    found = [k for k in keys if k]
    missing = [n for n, k in COLUMN_KEYS.items() if k not in found]
    repeated = sorted({k for k in found if found.count(k) > 1})
    if missing or repeated:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(repr(m) for m in missing))
        if repeated:
            parts.append("repeated column(s) " + ", ".join(repeated))
        raise SourceFailure(
            Problem(name, 1, f"wrong header: {'; '.join(parts)} (expected {HEADER})", first)
        )
    # Unknown columns are read under a placeholder name and ignored.
    return [k or f"_extra_{i}" for i, k in enumerate(keys)]


def _floats(values: pa.Array) -> npt.NDArray[np.float64]:
    """Numbers of a column's distinct texts; NaN for blank or non-numeric ones."""
    trimmed = pc.utf8_trim_whitespace(values)
    try:
        numbers = pc.cast(pc.if_else(pc.equal(trimmed, ""), None, trimmed), pa.float64())
        return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=float)
    except pa.ArrowInvalid:  # some text is not a number: sort them out one by one
        texts = pd.Series(values.to_pylist(), dtype=object)
        return np.asarray(pd.to_numeric(texts, errors="coerce"), dtype=float)


_PREPARE_LOCK = threading.Lock()


def _locate(
    force_code: str, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.intp], list[str], list[str]]:
    """Local authority code and policing district of each point.

    Returns, per point, an index into the two lists of codes and districts, whose last entry
    ("") stands for "outside the force". Same answer as ``geography(force).locate`` for these
    two fields, but it skips the LSOA lookup (data.police.uk rows carry their own LSOA) and
    tests points against prepared polygons, which is several times faster on boundaries with
    thousands of vertices.
    """
    geo = geography(force_code)
    with _PREPARE_LOCK:
        shapely.prepare(geo.la_geoms)
    found = np.full(len(lon), len(geo.la_geoms), dtype=np.intp)
    # A handful of polygons: a bounding-box test in numpy picks the candidates for each.
    # Highest index first so that, on a shared edge, the first polygon wins as in locate().
    for j in range(len(geo.la_geoms) - 1, -1, -1):
        x0, y0, x1, y1 = geo.la_geoms[j].bounds
        cand = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if len(cand):
            hit = shapely.intersects_xy(geo.la_geoms[j], lon[cand], lat[cand])
            found[cand[hit]] = j
    la_codes = [*geo.la_codes, ""]
    districts = [geo.district_of_la.get(c) or "" for c in geo.la_codes] + [""]
    return found, la_codes, districts


def _file_identity(
    source: Source, cols: dict[str, Column], month_ok: npt.NDArray[np.bool_]
) -> tuple[str, str]:
    """Force slug and ``YYYY-MM`` month, from the file name or else from its rows."""
    m = FILE_NAME.match(source.basename)
    if m:
        return m.group(2).lower(), m.group(1)
    falls = cols["falls_within"]
    names = {falls.values[i] for i in np.unique(falls.codes)}
    forces = {FORCE_BY_NAME.get(n) for n in names}
    month_col = cols["month"]
    months = {month_col.values[i] for i in np.unique(month_col.codes) if month_ok[i]}
    if len(forces) == 1 and None not in forces and len(months) == 1:
        return str(next(iter(forces))), next(iter(months))
    raise SourceFailure(
        Problem(
            source.name,
            0,
            "cannot tell the force and month: the file is not named YYYY-MM-<force>-street.csv "
            "and its rows do not name one known force and one month",
        )
    )


def prepare(source: Source, data: bytes | None = None, *, encode: bool = False) -> Prepared:
    """Read, decode, parse and check one file; no database work happens here.

    With ``encode`` the rows are also encoded for PostgreSQL's COPY (:func:`store.bulk.encode`).
    """
    result = FileResult(source=source.name)
    prep = Prepared(source=source, result=result)
    try:
        if data is None:
            try:
                data = source.read()
            except (OSError, KeyError, ValueError) as exc:
                raise SourceFailure(Problem(source.name, 0, f"cannot read file: {exc}")) from exc
        prep.sha256 = hashlib.sha256(data).hexdigest()
        if not data.strip():
            raise SourceFailure(Problem(source.name, 0, "empty file: no header and no rows"))
        data, encoding, note = decode(source.name, data)
        result.encoding = encoding
        if note:
            result.note(f"{source.name}: {note}")
        column_names = _header(source.name, data)
        parsed = _parse(source.name, data, column_names)
        _check(prep, parsed)
        if encode and prep.count:
            prep.encoded = bulk_encode(prep.columns, cast(Table, PublicRecord.__table__))
            if prep.encoded is not None:
                prep.columns = {}
    except SourceFailure as exc:
        prep.failure = exc.problem
    except (csv.Error, ValueError, RecursionError, MemoryError) as exc:
        # Whatever else one file's bytes can make a parser raise fails that file alone.
        prep.failure = Problem(source.name, 0, f"cannot parse: {type(exc).__name__}: {exc}"[:300])
    if prep.failure is not None:
        result.status = FileStatus.FAILED
        result.note(prep.failure.message())
    return prep


def _check(prep: Prepared, parsed: _Parsed) -> None:
    source, result = prep.source, prep.result
    cols = parsed.columns
    n = len(parsed.lines)
    result.rows = n + len(parsed.invalid)
    problems: list[tuple[int, str, str]] = []  # (line, reason, raw)

    for line, text, nf, ne in parsed.invalid:
        reason = f"expected {ne} fields, found {nf}"
        if line == parsed.text.last_unterminated() and nf < ne:
            reason = f"truncated last line: {reason}"
        problems.append((line, reason, text or parsed.text.text(line)))

    crime = cols["crime_type"]
    asb_code = crime.values.index(ASB) if ASB in crime.values else -1
    result.asb_rows = int(np.count_nonzero(crime.codes == asb_code)) if asb_code >= 0 else 0

    # Month: checked once per distinct value.
    month = cols["month"]
    month_ok = np.array([bool(MONTH.match(v)) for v in month.values], dtype=bool)
    force_code, month_text = _file_identity(source, cols, month_ok)
    result.force_code, result.month = force_code, month_text
    prep.month = dt.date(int(month_text[:4]), int(month_text[5:7]), 1)
    month_same = np.array([v == month_text for v in month.values], dtype=bool)

    bad = np.zeros(n, dtype=bool)
    why: dict[str, npt.NDArray[np.bool_]] = {}

    def flag(reason: str, mask: npt.NDArray[np.bool_]) -> None:
        mask = mask & ~bad
        if mask.any():
            why[reason] = mask
            bad[:] |= mask

    if len(month.values):
        flag("month", ~month_ok[month.codes])
        flag("month_mismatch", ~month_same[month.codes])

    # Coordinates: parse the distinct texts, then look rows up by code.
    lon_c, lat_c = cols["longitude"], cols["latitude"]
    lon_v, lat_v = _floats(lon_c.dictionary), _floats(lat_c.dictionary)
    lon, lat = lon_v[lon_c.codes], lat_v[lat_c.codes]
    lon_b, lat_b = lon_c.blank(), lat_c.blank()
    unmapped = lon_b & lat_b
    flag("half_coordinates", lon_b ^ lat_b)
    with np.errstate(invalid="ignore"):
        flag("non_numeric", ~unmapped & (np.isnan(lon) | np.isnan(lat)))
        outside = (lon < UK_LON[0]) | (lon > UK_LON[1]) | (lat < UK_LAT[0]) | (lat > UK_LAT[1])
    flag("outside_uk", ~unmapped & outside)
    flag("no_crime_type", crime.blank())
    for key, limit in MAX_LENGTH.items():
        if key == "crime_id":
            too_long = pc.greater(pc.utf8_length(parsed.crime_id), limit).to_numpy(
                zero_copy_only=False
            )
            flag(f"long:{key}", np.asarray(too_long, dtype=bool))
        else:
            flag(f"long:{key}", cols[key].longer_than(limit))

    for reason_key, mask in why.items():
        for i in np.flatnonzero(mask).tolist():
            line = int(parsed.lines[i])
            reason = _reason(reason_key, i, cols, month_text)
            problems.append((line, reason, parsed.text.text(line)))

    problems.sort(key=lambda p: p[0])
    prep.problems = [Problem(source.name, line, reason, raw) for line, reason, raw in problems]
    for p in prep.problems:
        result.note(p.message())

    good = np.flatnonzero(~bad)
    prep.count = len(good)
    if not len(good):
        return
    g_unmapped = unmapped[good]
    mapped_rows = good[~g_unmapped]
    x = np.full(len(good), np.nan)
    y = np.full(len(good), np.nan)
    district: Coded | Constant = Constant(None)
    la: Coded | Constant = Constant(None)
    if len(mapped_rows):
        # data.police.uk snaps points to a fixed set, so project and locate each point once.
        width = max(len(lat_v), 1)
        point = lon_c.codes[mapped_rows].astype(np.int64) * width + lat_c.codes[mapped_rows]
        uniq, inverse = np.unique(point, return_inverse=True)
        ulon, ulat = lon_v[uniq // width], lat_v[uniq % width]
        ux, uy = to_bng(ulon, ulat)
        pos = np.flatnonzero(~g_unmapped)
        x[pos] = ux[inverse]
        y[pos] = uy[inverse]
        if force_code in SHIPPED_FORCES:
            found, la_codes, districts = _locate(force_code, ulon, ulat)
            area = np.full(len(good), len(la_codes) - 1, dtype=np.int32)  # last: none
            area[pos] = found[inverse]
            la = Coded(area, la_codes, blank_is_null=True)
            district = Coded(area, districts, blank_is_null=True)

    crime_ids = parsed.crime_id.to_numpy(zero_copy_only=False)[good] if n else np.zeros(0)
    lon_g = np.where(g_unmapped, np.nan, lon[good])
    lat_g = np.where(g_unmapped, np.nan, lat[good])

    def texts(key: str, *, blank_is_null: bool) -> Coded | Constant:
        return cols[key].take(good, blank_is_null=blank_is_null)

    prep.columns = {
        "force_code": Constant(force_code),
        "month": Constant(prep.month),
        "crime_id": BlankIsNull(crime_ids.astype(object).tolist()),
        "reported_by": texts("reported_by", blank_is_null=False),
        "falls_within": texts("falls_within", blank_is_null=False),
        "longitude": lon_g,
        "latitude": lat_g,
        "x_bng": x,
        "y_bng": y,
        "mapped": ~g_unmapped,
        "location": texts("location", blank_is_null=False),
        "lsoa_code": texts("lsoa_code", blank_is_null=True),
        "lsoa_name": texts("lsoa_name", blank_is_null=True),
        "crime_type": texts("crime_type", blank_is_null=False),
        "last_outcome": texts("last_outcome", blank_is_null=True),
        "context": texts("context", blank_is_null=True),
        "district": district,
        "local_authority_code": la,
        "source_file": Constant(source.name),
        "source_line": parsed.lines[good].tolist(),
    }


def _reason(key: str, i: int, cols: dict[str, Column], month_text: str) -> str:
    if key == "month":
        return f"unknown month format {cols['month'].row_text(i)!r} (expected YYYY-MM)"
    if key == "month_mismatch":
        return f"month {cols['month'].row_text(i)} differs from the file's month {month_text}"
    lon, lat = cols["longitude"].row_text(i), cols["latitude"].row_text(i)
    if key == "half_coordinates":
        return f"longitude {lon!r} and latitude {lat!r}: one is blank"
    if key == "non_numeric":
        return f"non-numeric coordinates: longitude {lon!r}, latitude {lat!r}"
    if key == "outside_uk":
        return f"coordinates outside the UK: longitude {lon}, latitude {lat}"
    if key == "no_crime_type":
        return "blank crime type"
    if key.startswith("long:"):
        col = key[5:]
        return f"{col} longer than {MAX_LENGTH[col]} characters"
    return key


class _Months:
    """Month partitions (PostgreSQL) known to exist during a run, so that each is ensured once.

    Each is made in a short transaction of its own before its first file: creating a partition
    locks the whole table, which inside the file's transaction kept readers waiting until that
    file committed, and could deadlock two writers (each holding the table for its COPY while
    waiting for the other's partition lock).
    """

    def __init__(self) -> None:
        self._have: set[dt.date] = set()
        self._lock = threading.Lock()

    def ensure(self, conn: Connection, months: Iterable[dt.date]) -> None:
        if conn.dialect.name != "postgresql":
            return
        with self._lock:
            todo = sorted(set(months) - self._have)
        if todo:
            with conn.begin():
                # Under the lock of the table's index DDL: a run creating the indexes (after a
                # killed bulk load) locks the table, then each partition; a partition's creation
                # locks the default partition, then the table. Both at once deadlocked.
                lock_for_transaction(conn, INDEX_LOCK_NAMESPACE, PublicRecord.__tablename__)
                ensure_months(conn, PublicRecord.__tablename__, todo)
            with self._lock:
                self._have.update(todo)


def _named_months(sources: Sequence[Source]) -> list[dt.date]:
    """The months that the sources' file names give."""
    months = []
    for source in sources:
        m = FILE_NAME.match(source.basename)
        if m and MONTH.match(m.group(1)):
            months.append(dt.date(int(m.group(1)[:4]), int(m.group(1)[5:7]), 1))
    return months


def _write(
    conn: Connection, prep: Prepared, replace: bool = False, months: _Months | None = None
) -> None:
    result = prep.result
    if prep.failure is not None:
        # A file that cannot be read leaves one quarantine entry so the store shows it too.
        try:
            with conn.begin():
                result.quarantined = quarantine(conn, None, [prep.failure])
        except SQLAlchemyError as exc:
            result.note(f"{prep.source.name}: could not quarantine: {exc.__class__.__name__}")
        return
    assert prep.month is not None and result.force_code is not None
    force_code, month = result.force_code, prep.month
    if prep.count == 0 and not prep.problems:
        result.status = FileStatus.NO_ROWS
        result.note(f"{prep.source.name}: no data rows")
        return
    if prep.count:
        (months or _Months()).ensure(conn, [month])
    already = and_(SourceLoad.force_code == force_code, SourceLoad.month == month)
    marking = False
    replaced = False
    try:
        with conn.begin():
            loaded = conn.execute(
                select(SourceLoad.sha256, SourceLoad.source_file).where(already)
            ).first()
            if loaded is not None and loaded.sha256 == prep.sha256:
                result.status = FileStatus.SKIPPED
                result.duplicates_skipped = result.rows
                result.messages = [
                    f"{prep.source.name}: {force_code} {result.month} is already loaded; skipped"
                ]
                return
            if loaded is not None and not replace:
                # Same force-month, other bytes (the demo's ASB-only slice, a corrected
                # re-issue): not duplicates, and not to be mixed with what is stored.
                result.status = FileStatus.CHANGED
                result.messages = [
                    f"{prep.source.name}: {force_code} {result.month} is loaded from different "
                    f"content ({loaded.source_file}, another sha256); not loaded: --replace "
                    "swaps it in"
                ]
                return
            if loaded is not None:
                # In this one transaction: readers see the old month or the new, never neither.
                month_rows = and_(
                    PublicRecord.force_code == force_code, PublicRecord.month == month
                )
                conn.execute(delete(PublicRecord).where(month_rows))
                conn.execute(delete(SourceLoad).where(already))
                replaced = True
            if prep.count:
                # Marks the force-month first, so a concurrent load of it fails fast here.
                marking = True
                conn.execute(
                    insert(SourceLoad).values(
                        force_code=force_code,
                        month=month,
                        source_file=prep.source.name,
                        sha256=prep.sha256,
                        rows=prep.count,
                    )
                )
                marking = False
                bulk_insert(conn, PublicRecord.__tablename__, prep.encoded or prep.columns)
            quarantined = quarantine(conn, force_code, prep.problems)
    except IntegrityError as exc:
        if not marking:
            _refused(result, prep, exc)
            return
        result.status = FileStatus.SKIPPED
        result.duplicates_skipped = result.rows
        result.messages = [f"{prep.source.name}: {force_code} {result.month} was loaded meanwhile"]
        return
    except (SQLAlchemyError, conn.dialect.loaded_dbapi.Error) as exc:
        # The bulk paths talk to the driver directly, so its own errors arrive unwrapped.
        _refused(result, prep, exc)
        return
    result.inserted = prep.count
    result.quarantined = quarantined
    result.status = FileStatus.LOADED if prep.count else FileStatus.NO_ROWS
    if replaced:
        result.status = FileStatus.REPLACED
        result.note(f"{prep.source.name}: {force_code} {result.month} replaced")


def _refused(result: FileResult, prep: Prepared, exc: Exception) -> None:
    result.status = FileStatus.FAILED
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    result.note(f"{prep.source.name}:0: nothing stored, the database refused it: {first_line}")


# Below this many incoming rows (or fewer than are stored already) indexes are kept up to date
# row by row; above it they are rebuilt after the load (see writer.deferred_indexes).
BULK_MIN_ROWS = 100_000
# Rows per index SQLite's ANALYZE reads after a load (PostgreSQL samples on its own).
ANALYSIS_SAMPLE = 2_000
# The columns that readers filter, group or join on (hotspots, analytics, the board), whose
# statistics the planner needs right after a load. The others (free text, the source file and
# line, the raw coordinates) are in no condition, and analysing them too took twice as long
# (on PostgreSQL, which analyses every month partition and the table as a whole); an ANALYZE
# with a column list leaves the partitions' change counters as they were, so autovacuum still
# analyses them whole later.
ANALYSED_COLUMNS = (
    "force_code",
    "month",
    "crime_type",
    "district",
    "local_authority_code",
    "lsoa_code",
    "mapped",
    "x_bng",
    "y_bng",
)
# data.police.uk rows average 190-230 bytes; used to guess the rows of a run from file sizes.
BYTES_PER_ROW = 200


def _incoming(sources: Sequence[Source]) -> int:
    """Rough number of rows in ``sources``, from their sizes."""
    return sum(s.size() for s in sources) // BYTES_PER_ROW


def _bulk(conn: Connection, sources: Sequence[Source]) -> bool:
    if conn.dialect.name != "sqlite":
        # On PostgreSQL dropping an index takes a lock that blocks readers; COPY keeps up anyway.
        return False
    incoming = _incoming(sources)
    if incoming < BULK_MIN_ROWS:
        return False
    with conn.begin():
        stored = conn.scalar(select(func.max(PublicRecord.id))) or 0
    return incoming >= stored


def ingest_police_uk(
    engine: Engine,
    paths: Sequence[Path | str],
    *,
    actor: Actor | None = None,
    progress: Progress | None = None,
    bulk: bool | None = None,
    parallel: bool | None = None,
    replace: bool = False,
) -> IngestReport:
    """Load data.police.uk street-level CSVs from files, folders and monthly archive zips.

    Every crime type is kept; rows without coordinates are stored with ``mapped`` false;
    British National Grid x/y come from the coordinates and, for forces whose boundaries
    asbhub ships, the district and local authority by point-in-polygon. A force-month already
    in ``source_loads`` from the same bytes is skipped whole; from other bytes it is reported
    as changed and left alone, unless ``replace``, which swaps it in one transaction. Bad rows
    are quarantined with file, line and reason; a file that cannot be read at all is reported
    as failed and the others still load.

    ``bulk`` rebuilds the table's indexes after the load instead of updating them row by row;
    by default (None) it is used on SQLite when the run brings at least ``BULK_MIN_ROWS`` rows
    and at least as many as are stored already.

    ``parallel`` parses files in a second process while the first writes; by default (None)
    on runs of more than one file bringing at least ``BULK_MIN_ROWS`` rows, where it pays for
    the process start.

    The run is audited once with its counts, as ``actor`` (the command line passes the
    system actor of the job).
    """
    report = IngestReport()
    items = discover(paths)
    if progress is not None:
        progress.start(len(items))
    sources = [s for s in items if isinstance(s, Source)]
    table = cast(Table, PublicRecord.__table__)
    with engine.connect() as conn, tuned_for_load(conn):
        for problem in (i for i in items if isinstance(i, Problem)):
            prep = Prepared(source=Source(Path(problem.source)), result=failed_result(problem))
            prep.failure = problem
            _write(conn, prep)
            report.results.append(prep.result)
            if progress is not None:
                progress.advance(prep.result)
        ensure_indexes(conn, table)  # in case an earlier bulk load was killed mid-way
        if bulk is None:
            bulk = _bulk(conn, sources)
        if parallel is None:
            parallel = len(sources) > 1 and _incoming(sources) >= BULK_MIN_ROWS
        with deferred_indexes(conn, table) if bulk and sources else nullcontext():
            _load_all(engine, conn, sources, report, progress, parallel=parallel, replace=replace)
        # Sampled on SQLite: months and forces are spread evenly through a load of months.
        analyze(
            conn,
            {"public_records": report.inserted},
            sample=ANALYSIS_SAMPLE,
            columns={"public_records": ANALYSED_COLUMNS},
        )
    _audit_run(engine, actor, report)
    return report


def _audit_run(engine: Engine, actor: Actor | None, report: IngestReport) -> None:
    counts = {
        "files": report.files,
        "failed_files": report.failed_files,
        "rows": report.rows,
        "inserted": report.inserted,
        "duplicates_skipped": report.duplicates_skipped,
        "quarantined": report.quarantined,
    }
    with engine.begin() as conn, Session(bind=conn) as session:
        record(
            session,
            actor=actor,
            event="ingest:public_records:load",
            action=AuditAction.CREATE,
            object_type="public_record",
            result_count=report.inserted,
            fields=counts,
            channel=None if actor else "cli",
        )


def _load_all(
    engine: Engine,
    conn: Connection,
    sources: list[Source],
    report: IngestReport,
    progress: Progress | None,
    *,
    parallel: bool,
    replace: bool = False,
) -> None:
    # Parse the next files while this one is written. On a large run that happens in a second
    # process: on a thread, the GIL taken back after every row's sqlite3_step serialised the two
    # (no overlap was measured). A Prepared holds numpy arrays and codes into small value lists
    # (or, for PostgreSQL, the COPY bytes already encoded), so it pickles cheaply. The process
    # is forked: it starts at once with everything imported, and unlike spawn it does not re-run
    # the caller's __main__. The child only parses; it never touches the parent's database
    # connection or output.
    postgres = conn.dialect.name == "postgresql"
    months = _Months()
    months.ensure(conn, _named_months(sources))
    pool: Executor
    if parallel and "fork" in mp.get_all_start_methods():
        pool = ProcessPoolExecutor(
            max_workers=1, mp_context=mp.get_context("fork"), initializer=_warm_up
        )
    else:
        parallel = False
        pool = ThreadPoolExecutor(max_workers=1)
    with pool:
        prepared = _prepared(pool, sources, parallel=parallel, encode=postgres)
        if not (parallel and postgres):
            for prep in prepared:
                _store(conn, prep, report, progress, replace, months)
            return
        # PostgreSQL, a large run: a second connection writes too (see ingest/fanout.py). It is
        # opened after the fork above, so the parsing process holds no copy of it.
        results: dict[int, FileResult] = {}

        def done(index: int, prep: Prepared) -> None:
            results[index] = prep.result
            if progress is not None:
                progress.advance(prep.result)

        def write(c: Connection, prep: Prepared) -> None:
            _write(c, prep, replace, months)

        try:
            with engine.connect() as second:
                FanOut([conn, second], write, done).run((_key(p), p.count, p) for p in prepared)
        finally:
            report.results.extend(results[i] for i in sorted(results))


def _prepared(
    pool: Executor, sources: list[Source], *, parallel: bool, encode: bool
) -> Iterator[Prepared]:
    """The sources prepared, in their order, up to two ahead of the caller.

    The first jobs are submitted before this returns, so the parsing process is forked before
    the caller starts any thread.
    """
    job = functools.partial(prepare, encode=encode)
    ahead = 2 if parallel else 1  # files parsed ahead of the writer (bounds memory)
    todo = iter(sources)
    # While the child starts and loads the boundaries (~0.15 s), this process takes the first
    # file itself; the files still come in their order.
    first = list(itertools.islice(todo, 1 if parallel else 0))
    pending: deque[Future[Prepared]] = deque(
        pool.submit(job, s) for s in itertools.islice(todo, ahead)
    )

    def in_order() -> Iterator[Prepared]:
        for source in first:
            yield job(source)
        while pending:
            prep = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(job, nxt))
            yield prep

    return in_order()


def _key(prep: Prepared) -> tuple[str, str] | None:
    """The force-month a prepared file would load, which one connection must write in order."""
    result = prep.result
    if prep.failure is None and result.force_code and result.month:
        return result.force_code, result.month
    return None


def _store(
    conn: Connection,
    prep: Prepared,
    report: IngestReport,
    progress: Progress | None,
    replace: bool = False,
    months: _Months | None = None,
) -> None:
    _write(conn, prep, replace, months)
    report.results.append(prep.result)
    if progress is not None:
        progress.advance(prep.result)


def _warm_up() -> None:
    """Load the shipped boundaries in a parsing process before its first file needs them."""
    for force_code in SHIPPED_FORCES:
        geo = geography(force_code)
        with _PREPARE_LOCK:
            shapely.prepare(geo.la_geoms)
