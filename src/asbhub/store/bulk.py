"""The store's one bulk writer: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, inside the
caller's transaction. ``ingest police-uk`` writes public records with it, and the bulk form of
:func:`asbhub.incidents.service.record_incidents` (``ingest incidents`` and the generator)
writes locations, people, incidents and their links with it.

The ORM and even SQLAlchemy Core ``insert`` cost several microseconds per row in Python; these
paths hand whole columns to the driver so that a month of a force (15,000 rows) stores in a
few tens of milliseconds.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Index, Table, text
from sqlalchemy.schema import CreateIndex, DropIndex
from sqlalchemy.sql import sqltypes

from asbhub.store.engine import lock_for_transaction


@dataclass(frozen=True)
class Constant:
    """A column whose value is the same on every row of a bulk insert."""

    value: Any


@dataclass(frozen=True)
class BlankIsNull:
    """A text column in which the empty string stands for NULL.

    Binding ``None`` through Python's sqlite3 module takes its slow adaptation path (several
    times the cost of a string), so on SQLite the column is bound as text and ``NULLIF(?, '')``
    turns the blanks into NULL inside SQLite.
    """

    values: Sequence[str]


@dataclass(frozen=True)
class Coded:
    """Texts as codes into their distinct values: compact to build, and to pass between processes.

    With ``blank_is_null`` an empty value stands for NULL, as in :class:`BlankIsNull`.
    """

    codes: npt.NDArray[np.integer[Any]]
    values: Sequence[Any]
    blank_is_null: bool = False

    def texts(self, *, blank: Any = "") -> list[Any]:
        values = [blank if self.blank_is_null and not v else v for v in self.values]
        table = np.empty(len(values), dtype=object)
        table[:] = values
        return cast(list[Any], table[self.codes].tolist())


@dataclass(frozen=True)
class Timestamps:
    """A ``DateTime`` (or ``Date`` with ``date_only``) column as numpy ``datetime64``; NaT is NULL.

    SQLite gets the text SQLAlchemy itself stores there, PostgreSQL the ISO text COPY parses.
    """

    values: npt.NDArray[np.datetime64]
    date_only: bool = False

    @classmethod
    def of(
        cls, values: Sequence[dt.datetime | dt.date | None], date_only: bool = False
    ) -> Timestamps:
        unit = "D" if date_only else "us"
        arr = np.array([v if v is not None else "NaT" for v in values], dtype=f"datetime64[{unit}]")
        return cls(arr, date_only)

    def texts(self, sqlite: bool) -> list[str | None]:
        if self.date_only:
            text = np.datetime_as_string(self.values.astype("datetime64[D]"), unit="D").tolist()
        else:
            text = np.datetime_as_string(self.values.astype("datetime64[us]"), unit="us").tolist()
        if self.date_only:
            return [None if s == "NaT" else s for s in text]
        if sqlite:
            return [None if s == "NaT" else f"{s[:10]} {s[11:]}" for s in text]
        return [None if s == "NaT" else s for s in text]


ColumnData = Sequence[Any] | npt.NDArray[Any] | Constant | BlankIsNull | Coded | Timestamps


def _postgres_stream(col: ColumnData) -> Iterable[Any]:
    if isinstance(col, Constant):
        return itertools.repeat(col.value)
    if isinstance(col, BlankIsNull):
        return [v if v else None for v in col.values]
    if isinstance(col, Coded):
        return col.texts(blank=None)
    if isinstance(col, Timestamps):
        return col.texts(sqlite=False)
    if isinstance(col, np.ndarray):
        if col.dtype.kind == "f":
            obj = col.astype(object)
            obj[np.isnan(col)] = None
            return cast(list[Any], obj.tolist())
        return cast(list[Any], col.tolist())
    return col


def _sqlite_stream(col: ColumnData) -> Iterable[Any]:
    if isinstance(col, Constant):
        return itertools.repeat(col.value)
    if isinstance(col, BlankIsNull):
        return col.values
    if isinstance(col, Coded):
        return col.texts()
    if isinstance(col, Timestamps):
        return col.texts(sqlite=True)
    if isinstance(col, np.ndarray):
        # SQLite stores a bound NaN as NULL; booleans go as 0/1 ints, which bind fastest.
        if col.dtype.kind == "b":
            return cast(list[Any], col.astype(np.int8).tolist())
        return cast(list[Any], col.tolist())
    return col


def _sqlite_literal(value: Any) -> str | None:
    """SQL text for a constant, or None when it is safer to bind it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _row_count(columns: Mapping[str, ColumnData]) -> int:
    lengths = {
        len(
            c.values
            if isinstance(c, BlankIsNull | Timestamps)
            else c.codes
            if isinstance(c, Coded)
            else c
        )
        for c in columns.values()
        if not isinstance(c, Constant)
    }
    if len(lengths) != 1:
        raise ValueError(f"columns must give one number of rows, not {sorted(lengths)}")
    return lengths.pop()


def _arrow_column(col: ColumnData, n: int) -> pa.Array:
    if isinstance(col, Constant):
        return pa.nulls(n) if col.value is None else pa.repeat(col.value, n)
    if isinstance(col, BlankIsNull):
        arr = pa.array(col.values, type=pa.string())
        return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    if isinstance(col, Coded):
        values = [None if col.blank_is_null and not v else v for v in col.values]
        codes = np.asarray(col.codes)
        return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(values)).dictionary_decode()
    if isinstance(col, Timestamps):
        unit = "D" if col.date_only else "us"
        stamps = col.values.astype(f"datetime64[{unit}]")
        return pa.array(stamps, mask=np.isnat(stamps))
    if isinstance(col, np.ndarray):
        return pa.array(col, from_pandas=col.dtype.kind == "f")
    return pa.array(col)


def _arrow_table(columns: Mapping[str, ColumnData]) -> pa.Table | None:
    """The columns as one Arrow table, or None when a column holds values Arrow cannot type
    (then the rows go through psycopg's per-row ``write_row``)."""
    n = _row_count(columns) if any(not isinstance(c, Constant) for c in columns.values()) else 0
    try:
        return pa.table({name: _arrow_column(col, n) for name, col in columns.items()})
    except (pa.ArrowException, TypeError, ValueError):
        return None


COPY_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class Encoded:
    """Rows already written in a form PostgreSQL's COPY reads (``format``), ready to stream.

    Encoding costs the writer as much CPU as the rest of its work; built where the rows are
    prepared (the ingest's parsing process), it leaves the writer only bytes to send.
    """

    names: tuple[str, ...]
    chunks: tuple[bytes, ...]
    rows: int
    format: str = "csv"


def encode(columns: Mapping[str, ColumnData], table: Table | None = None) -> Encoded | None:
    """The rows for COPY: in PostgreSQL's binary format when ``table`` gives every column a
    type :func:`_binary_field` writes, else as CSV written by Arrow (C++); None when a column
    holds values Arrow cannot type (:func:`bulk_insert` then formats them row by row).

    psycopg's ``write_row`` formats each row in Python at about 9 us a row, which made it the
    bottleneck of an ingest (the server stores the rows in a fraction of that). In CSV every
    value is quoted and NULL is the unquoted empty field, so an empty string stays an empty
    string. The binary format spares the server parsing text: a quarter less of its CPU for
    data.police.uk rows, for the same cost here.
    """
    if table is not None:
        kinds = [_binary_kind(table.c[name].type) for name in columns]
        if all(kinds):
            try:
                return _encode_binary(columns, cast(list[str], kinds))
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                pass  # a value the binary writer cannot take: CSV below says what it is
    arrow = _arrow_table(columns)
    if arrow is None:
        return None
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    chunks = []
    for batch in arrow.to_batches(max_chunksize=COPY_BATCH_ROWS):
        buf = io.BytesIO()
        pacsv.write_csv(batch, buf, options)
        chunks.append(buf.getvalue())
    return Encoded(tuple(columns), tuple(chunks), arrow.num_rows)


# PostgreSQL's binary COPY: a signature, flags and header extension length (both 0); per row
# the number of fields, then each field's length (-1: NULL) and value, big-endian; -1 at the end.
_BINARY_HEAD = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_TAIL = b"\xff\xff"
_NULL_FIELD = b"\xff\xff\xff\xff"
_PG_EPOCH = dt.date(2000, 1, 1)
_FIXED = {"float8": ">f8", "int4": ">i4", "int8": ">i8", "bool": "u1", "date": ">i4"}


def _binary_kind(sql_type: Any) -> str | None:
    """How the binary writer encodes a column of this SQLAlchemy type, or None if it cannot."""
    if isinstance(sql_type, sqltypes.String):
        return "text"
    if isinstance(sql_type, sqltypes.Boolean):
        return "bool"
    if isinstance(sql_type, sqltypes.Float):
        return "float8" if sql_type.precision is None else None
    if isinstance(sql_type, sqltypes.BigInteger):
        return "int8"
    if isinstance(sql_type, sqltypes.Integer) and type(sql_type) is sqltypes.Integer:
        return "int4"
    if isinstance(sql_type, sqltypes.Date) and not isinstance(sql_type, sqltypes.DateTime):
        return "date"
    return None


def _binary_value(value: Any, kind: str) -> bytes:
    """One field (length and value) of a Constant column."""
    if value is None:
        return _NULL_FIELD
    if kind == "text":
        data = str(value).encode("utf-8")
        return len(data).to_bytes(4, "big", signed=True) + data
    if kind == "date":
        value = (value - _PG_EPOCH).days
    raw = np.array([value], dtype=_FIXED[kind]).tobytes()
    return len(raw).to_bytes(4, "big", signed=True) + raw


def _binary_field(col: ColumnData, kind: str, n: int) -> pa.Array | pa.Scalar:
    """A column's fields (length and value) as one binary value per row, or a scalar."""
    if isinstance(col, Constant):
        return pa.scalar(_binary_value(col.value, kind), pa.binary())
    if isinstance(col, Coded) and kind == "text":
        # Each distinct text is encoded once, then rows take theirs by code.
        fields = [
            _binary_value(None if col.blank_is_null and not v else v, kind) for v in col.values
        ]
        codes = pa.array(np.asarray(col.codes, dtype=np.int32))
        return pa.DictionaryArray.from_arrays(
            codes, pa.array(fields, pa.binary())
        ).dictionary_decode()
    arrow = _arrow_column(col, n)
    null = np.asarray(arrow.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if kind == "text":
        data = arrow.cast(pa.string()).cast(pa.binary())
        lengths = np.asarray(pc.binary_length(data).fill_null(0).to_numpy(), dtype=">i4")
        out = pc.binary_join_element_wise(_fixed_binary(lengths.tobytes(), 4, n), data, b"")
    else:
        if kind == "date":
            days = arrow.cast(pa.date32()).cast(pa.int32()).fill_null(0).to_numpy()
            values = np.asarray(days, dtype=np.int64) - (_PG_EPOCH - dt.date(1970, 1, 1)).days
        else:
            if pa.types.is_boolean(arrow.type):
                arrow = arrow.cast(pa.uint8())
            values = arrow.fill_null(0).to_numpy(zero_copy_only=False)
        width = np.dtype(_FIXED[kind]).itemsize
        cast_values = np.asarray(values).astype(_FIXED[kind])
        if kind.startswith("int") and not np.array_equal(cast_values, values):
            raise OverflowError(f"a value does not fit {kind}")
        records = np.empty(n, dtype=[("length", ">i4"), ("value", _FIXED[kind])])
        records["length"] = width
        records["value"] = cast_values
        out = _fixed_binary(records.tobytes(), 4 + width, n)
    if null.any():
        out = pc.if_else(pa.array(null), pa.scalar(_NULL_FIELD, pa.binary()), out)
    return out


def _fixed_binary(data: bytes, width: int, n: int) -> pa.Array:
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), n, [None, pa.py_buffer(data)]
    ).cast(pa.binary())


def _encode_binary(columns: Mapping[str, ColumnData], kinds: list[str]) -> Encoded:
    n = _row_count(columns)
    fields = [
        _binary_field(col, kind, n) for col, kind in zip(columns.values(), kinds, strict=True)
    ]
    head = pa.scalar(len(fields).to_bytes(2, "big"), pa.binary())
    chunks = [_BINARY_HEAD]
    for start in range(0, n, COPY_BATCH_ROWS):
        parts = [f if isinstance(f, pa.Scalar) else f.slice(start, COPY_BATCH_ROWS) for f in fields]
        rows = pc.binary_join_element_wise(head, *parts, b"")
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)
        first, last = offsets[rows.offset], offsets[rows.offset + len(rows)]
        chunks.append(rows.buffers()[2][first:last].to_pybytes())
    chunks.append(_BINARY_TAIL)
    return Encoded(tuple(columns), tuple(chunks), n, "binary")


def _copy_encoded(dbapi: Any, table: str, encoded: Encoded) -> None:
    sql = f"COPY {table} ({', '.join(encoded.names)}) FROM STDIN WITH (FORMAT {encoded.format})"
    with dbapi.cursor() as cur, cur.copy(sql) as copy:
        for chunk in encoded.chunks:
            copy.write(chunk)


def bulk_insert(conn: Connection, table: str, columns: Mapping[str, ColumnData] | Encoded) -> None:
    """Insert rows, given column by column, into ``table`` on ``conn``'s transaction.

    A column is a sequence of values, a :class:`Constant`, a :class:`BlankIsNull` text column,
    or a numpy array (NaN is NULL in a float array). On SQLite a :class:`Constant` column is
    written into the statement as a literal, which saves binding it on every row (a good part
    of the per-row cost); dates are stored as ISO text, as SQLAlchemy's ``Date`` does there.
    On PostgreSQL the rows are streamed with COPY, as CSV that Arrow writes (or already wrote:
    an :class:`Encoded`, which only PostgreSQL takes).
    """
    dbapi: Any = conn.connection.driver_connection
    if isinstance(columns, Encoded):
        if conn.dialect.name != "postgresql":
            raise NotImplementedError(f"encoded rows are for PostgreSQL, not {conn.dialect.name}")
        _copy_encoded(dbapi, table, columns)
        return
    names = list(columns)
    if conn.dialect.name == "postgresql":
        encoded = encode(columns)
        if encoded is not None:
            _copy_encoded(dbapi, table, encoded)
            return
        streams = [_postgres_stream(c) for c in columns.values()]
        sql = f"COPY {table} ({', '.join(names)}) FROM STDIN"
        with dbapi.cursor() as cur, cur.copy(sql) as copy:
            for row in zip(*streams, strict=False):
                copy.write_row(row)
        return
    if conn.dialect.name == "sqlite":
        values: list[str] = []
        bound: list[Iterable[Any]] = []
        for col in columns.values():
            literal = _sqlite_literal(col.value) if isinstance(col, Constant) else None
            if literal is not None:
                values.append(literal)
            else:
                nullif = isinstance(col, BlankIsNull) or (
                    isinstance(col, Coded) and col.blank_is_null
                )
                values.append("NULLIF(?, '')" if nullif else "?")
                bound.append(_sqlite_stream(col))
        head = f"INSERT INTO {table} ({', '.join(names)}) VALUES "
        values_sql = f"({', '.join(values)})"
        n = _row_count(columns)
        width = len(bound)
        # Many rows per statement: each sqlite3_step costs a fixed overhead (reset, GIL release)
        # that a 32-row VALUES list pays once; the bound parameters stay under 999.
        per = max(1, min(32, 999 // max(width, 1)))
        full = n // per
        flat = itertools.chain.from_iterable(zip(*bound, strict=False))
        batched = itertools.islice(flat, full * per * width)
        cur = dbapi.cursor()
        try:
            if width == 0:
                cur.executemany(head + values_sql, itertools.repeat((), n))
                return
            if full and per > 1:
                many = head + ", ".join([values_sql] * per)
                cur.executemany(many, zip(*[batched] * (per * width), strict=False))
            # The rest, one row a statement (zip over one iterator groups it into rows).
            cur.executemany(head + values_sql, zip(*[flat] * width, strict=False))
        finally:
            cur.close()
        return
    raise NotImplementedError(f"bulk insert is not implemented for {conn.dialect.name}")


def _secondary(table: Table) -> list[Index]:
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: str(ix.name))


def _index_ddl(conn: Connection, table: Table, *, create: bool) -> None:
    """Create (or drop) the table's secondary indexes that are missing (or present).

    Two ingests of one folder at once both found an index missing and both created it; the
    second died with "index ... already exists". The DDL now runs under one lock per table
    (an advisory lock on PostgreSQL, the write lock on SQLite) with IF [NOT] EXISTS.
    """
    with conn.begin():
        lock_for_transaction(conn, INDEX_LOCK_NAMESPACE, table.name)
        for ix in _secondary(table):
            if create:
                conn.execute(CreateIndex(ix, if_not_exists=True))
            else:
                conn.execute(DropIndex(ix, if_exists=True))


INDEX_LOCK_NAMESPACE = 3  # lock_for_transaction's namespace for index DDL (1, 2: rate limits)


def ensure_indexes(conn: Connection, table: Table) -> None:
    """Create any of the table's declared indexes that are missing (after an interrupted load)."""
    _index_ddl(conn, table, create=True)


@contextmanager
def deferred_indexes(conn: Connection, table: Table) -> Iterator[None]:
    """Drop the table's non-unique indexes for a bulk load and build them again afterwards.

    Inserting into a B-tree at random places costs several times more than appending rows, and
    the BNG index gets a random place for every row; building an index once, from a sort, is
    far cheaper. The rows themselves still commit file by file: while the load runs readers get
    the same answers, only slower. If the process dies before the rebuild, the next ingest run
    rebuilds them (:func:`ensure_indexes`).
    """
    _index_ddl(conn, table, create=False)
    try:
        yield
    finally:
        _index_ddl(conn, table, create=True)


@contextmanager
def tuned_for_load(conn: Connection) -> Iterator[None]:
    """SQLite settings for a long load on this connection, restored afterwards.

    A larger page cache keeps a whole file's pages in memory until its commit (the default
    2 MB spills them to the WAL mid-transaction), and checkpointing every 64 MB instead of
    every 4 MB saves most of the fsyncs. Durability is unchanged: WAL with synchronous=NORMAL.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    dbapi: Any = conn.connection.driver_connection
    saved = {
        name: dbapi.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("cache_size", "wal_autocheckpoint", "threads")
    }
    dbapi.execute("PRAGMA cache_size=-131072")
    dbapi.execute("PRAGMA wal_autocheckpoint=16384")
    dbapi.execute("PRAGMA threads=2")  # a helper thread for the sorts that build indexes
    try:
        yield
    finally:
        for name, value in saved.items():
            dbapi.execute(f"PRAGMA {name}={int(value)}")


def _sqlite_deferred_indexes(conn: Connection, table: str, n_rows: int) -> list[str]:
    """On SQLite, drop ``table``'s secondary indexes before an insert larger than the table and
    return their DDL, to rebuild them afterwards in the same transaction.

    Building an index by sorting is several times faster than updating it row by row in random
    key order; below 10,000 rows, or when the table already holds more, it is not worth it.
    """
    if conn.dialect.name != "sqlite" or n_rows < 10_000:
        return []
    existing = int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())
    if n_rows < existing:
        return []
    indexes = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
            "AND sql IS NOT NULL"
        ),
        {"t": table},
    ).all()
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [ddl for _, ddl in indexes]


def reserve_ids(conn: Connection, table: str, n: int) -> npt.NDArray[np.int64]:
    """``n`` new primary keys for ``table``, for rows that must name their id before insert.

    PostgreSQL draws them from the table's sequence. On SQLite they follow ``MAX(id)``, which
    is safe only while this transaction holds the write lock: the caller must already have
    written in it (or begun it with ``BEGIN IMMEDIATE``).
    """
    if n <= 0:
        return np.zeros(0, np.int64)
    if conn.dialect.name == "postgresql":
        ids = conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            f"FROM generate_series(1, {int(n)})"
        ).scalars()
        return np.sort(np.array(list(ids), dtype=np.int64))
    first = int(conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar_one()) + 1
    return np.arange(first, first + n, dtype=np.int64)


def insert_with_ids(
    conn: Connection, table: str, columns: Mapping[str, ColumnData]
) -> npt.NDArray[np.int64]:
    """Bulk-insert rows into ``table`` (whose primary key is ``id``) and return their new ids,
    in row order.

    PostgreSQL: the ids are drawn from the table's sequence first (safe beside other writers)
    and written with the rows. SQLite: the insert takes the database's write lock, which the
    transaction then holds, so the rows get the rowids following the largest one, in order:
    the ids are read back as the last ``n`` below ``MAX(id)``. Large inserts rebuild the
    table's indexes once at the end instead of updating them row by row.
    """
    n = _row_count(columns)
    if n == 0:
        return np.zeros(0, np.int64)
    if conn.dialect.name == "postgresql":
        ids = reserve_ids(conn, table, n)
        bulk_insert(conn, table, {"id": ids, **columns})
        return ids
    rebuild = _sqlite_deferred_indexes(conn, table, n)
    bulk_insert(conn, table, columns)
    last = int(conn.exec_driver_sql(f"SELECT MAX(id) FROM {table}").scalar_one())
    for ddl in rebuild:
        conn.exec_driver_sql(ddl)
    return np.arange(last - n + 1, last + 1, dtype=np.int64)


# A load bringing at least this share of a table's rows changes what its statistics say (the
# months, areas and people the planner estimates from); smaller loads leave them representative.
ANALYZE_SHARE = 0.1


def analyze(
    conn: Connection,
    tables: Mapping[str, int],
    *,
    sample: int | None = None,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """Refresh the planner's statistics of the tables a bulk load wrote, and commit them.

    ``tables`` maps each table to the rows just written; a table is analysed when those are at
    least :data:`ANALYZE_SHARE` of its rows. PostgreSQL's statistics are transactional (an
    ANALYZE rolled back with its transaction leaves the planner guessing: a filtered list at
    500,000 incidents took 195 ms at p95 instead of 10 ms), so this runs after the load's commit
    and commits itself. ``sample`` caps the rows SQLite reads per index (``analysis_limit``),
    for tables whose distribution a sample describes well; ``columns`` limits PostgreSQL's
    ANALYZE of a table to the columns its readers filter on (SQLite analyses only indexes
    anyway). Returns the tables analysed.
    """
    if conn.in_transaction():
        conn.commit()
    sqlite = conn.dialect.name == "sqlite"
    done = []
    for table, written in tables.items():
        if written <= 0:
            continue
        total = _rows(conn, table, written)
        if total is not None and written < ANALYZE_SHARE * total:
            continue
        listed = (columns or {}).get(table)
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA analysis_limit={sample or 0}")
            conn.exec_driver_sql(f"ANALYZE {table}")
        elif listed:
            conn.exec_driver_sql(f"ANALYZE {table} ({', '.join(listed)})")
        else:
            conn.exec_driver_sql(f"ANALYZE {table}")
        done.append(table)
    if sqlite:
        conn.exec_driver_sql("PRAGMA analysis_limit=0")
    conn.commit()
    return done


def _rows(conn: Connection, table: str, written: int) -> int | None:
    """How many rows ``table`` holds now that ``written`` were added; ``None`` if unknown."""
    if conn.dialect.name != "postgresql":
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
    estimate = counted_rows(conn, table)
    return None if estimate is None else estimate + written


def counted_rows(conn: Connection, table: str) -> int | None:
    """PostgreSQL's count of ``table``'s rows at its last ANALYZE, VACUUM or index build, from
    the catalogue; ``None`` if it has never been counted.

    Bulk writers decide from this rather than counting: a count reads the whole table, 60 M
    rows at national scale, and over a distributed table asks every node (docs/scale.md
    section 3). Every bulk load analyses what it wrote (:func:`analyze`), so a store loaded
    in bulk has its count.
    """
    estimate = conn.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    ).scalar()
    if estimate is None or estimate < 0:
        return None
    return int(estimate)
