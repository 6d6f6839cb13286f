"""PostgreSQL binary COPY input built by numpy: typed columns in, the bytes of a `COPY ... (FORMAT binary)` out.

The bulk writes of the observation import go through here. Hand-written because no library turns a million
typed rows into COPY input quickly: psycopg's `write_row` and pandas' `to_csv` format every cell in Python
(seconds per million rows). In the binary format a row is its field count followed by (length, bytes) per
field, so rows with the same NULLs and the same texts have the same width: rows are grouped by that shape,
and numpy writes each group as one array of fixed-width records. Rows of rare shapes (a free-text reason per
row, say) are packed one by one, which keeps pathological inputs linear. It knows nothing of the schema.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, header extension length
TRAILER = b"\xff\xff"
PG_EPOCH = np.datetime64("2000-01-01", "D")
NULL = -1
VECTORISED_FROM = 32  # rows of one shape; smaller groups are packed row by row
CHUNK_BYTES = 8 << 20

_FIXED = {"int8": (">i8", 8), "float8": (">f8", 8), "date": (">i4", 4), "int2": (">i2", 2)}


@dataclass(frozen=True)
class Column:
    """One column of COPY input. `kind` is a PostgreSQL type: int8, int2, float8 (NaN is NULL), date (from
    datetime64; NaT is NULL) or text (a pandas Categorical; a missing category is NULL)."""

    name: str
    kind: str
    values: np.ndarray | pd.Categorical


@dataclass(frozen=True)
class CopyData:
    """Rows encoded for `COPY table (columns) FROM STDIN (FORMAT binary)`: header, rows and trailer."""

    columns: tuple[str, ...]
    rows: int
    payload: bytes


def encode(columns: list[Column]) -> CopyData:
    rows = _length(columns)
    return CopyData(tuple(c.name for c in columns), rows, b"".join([HEADER, *_row_blocks(columns), TRAILER]))


def copy_into(conn: Connection, table: str, data: CopyData) -> int:
    """COPY encoded rows into `table` (a trusted identifier, quoted here) in the connection's transaction."""
    names = ", ".join(_quote(name) for name in data.columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {_quote(table)} ({names}) FROM STDIN (FORMAT binary)") as copy:
        view = memoryview(data.payload)
        for start in range(0, len(view), CHUNK_BYTES):
            copy.write(view[start:start + CHUNK_BYTES])
    return data.rows


def positions_by_code(codes: np.ndarray) -> list[np.ndarray]:
    """The positions of the rows of each distinct code (codes ascending, each group's rows in their order)."""
    order = np.argsort(codes, kind="stable")
    return [rows for rows in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if len(rows)]


def _row_blocks(columns: list[Column]) -> Iterator[bytes]:
    n = _length(columns)
    if n == 0:
        return
    prepared = [_prepare(c, n) for c in columns]
    rare: list[np.ndarray] = []
    for rows in positions_by_code(_shape_codes(prepared, n)):
        if len(rows) >= VECTORISED_FROM:
            yield _fixed_width_block(prepared, rows)
        else:
            rare.append(rows)
    if rare:
        yield _packed_rows(prepared, np.sort(np.concatenate(rare)))


@dataclass
class _Prepared:
    kind: str
    null: np.ndarray  # bool per row
    data: np.ndarray  # numbers (fixed kinds) or category codes (text)
    texts: list[bytes] | None = None  # encoded categories (text)


def _prepare(column: Column, n: int) -> _Prepared:
    if column.kind == "text":
        categorical = pd.Categorical(column.values)
        codes = categorical.codes.astype(np.int64)
        texts = [str(t).encode("utf-8") for t in categorical.categories]
        return _Prepared("text", codes < 0, codes, texts)
    if column.kind == "date":
        days = np.asarray(column.values).astype("datetime64[D]")
        null = np.isnat(days)
        return _Prepared("date", null, (np.where(null, PG_EPOCH, days) - PG_EPOCH).astype(np.int64))
    values = np.asarray(column.values)
    if values.shape != (n,):
        values = np.broadcast_to(values, (n,))
    if column.kind == "float8":
        values = values.astype(np.float64, copy=False)
        return _Prepared("float8", np.isnan(values), values)
    if column.kind not in _FIXED:
        raise ValueError(f"column {column.name}: unsupported kind {column.kind!r}")
    return _Prepared(column.kind, np.zeros(n, dtype=bool), values)


def _shape_codes(prepared: list[_Prepared], n: int) -> np.ndarray:
    """One integer per row that is equal for rows of equal width and text content (factorised step by step,
    so that the code never overflows however many columns and categories there are)."""
    shape = np.zeros(n, dtype=np.int64)
    for column in prepared:
        part = column.data + 1 if column.kind == "text" else column.null.astype(np.int64)
        width = int(part.max()) + 1 if n else 1
        shape = shape * width + part
        if column.kind == "text" or shape.max() > (1 << 40):
            shape = pd.factorize(shape)[0].astype(np.int64)
    return shape


def _fixed_width_block(prepared: list[_Prepared], rows: np.ndarray) -> bytes:
    first = rows[0]
    fields: list[tuple[str, str]] = [("count", ">i2")]
    payloads: list[tuple[str, np.ndarray | bytes]] = []
    for i, column in enumerate(prepared):
        if column.null[first]:
            fields.append((f"l{i}", ">i4"))
            payloads.append((f"l{i}", np.int32(NULL)))
            continue
        if column.kind == "text":
            text = column.texts[column.data[first]]
            fields.append((f"l{i}", ">i4"))
            payloads.append((f"l{i}", np.int32(len(text))))
            if text:  # an empty text is its length alone
                fields.append((f"v{i}", f"S{len(text)}"))
                payloads.append((f"v{i}", text))
        else:
            dtype, size = _FIXED[column.kind]
            fields += [(f"l{i}", ">i4"), (f"v{i}", dtype)]
            payloads += [(f"l{i}", np.int32(size)), (f"v{i}", column.data[rows])]
    block = np.empty(len(rows), dtype=np.dtype(fields))
    block["count"] = len(prepared)
    for name, value in payloads:
        block[name] = value
    return block.tobytes()


def _packed_rows(prepared: list[_Prepared], rows: np.ndarray) -> bytes:
    out = bytearray()
    count = struct.pack(">h", len(prepared))
    for row in rows.tolist():
        out += count
        for column in prepared:
            if column.null[row]:
                out += b"\xff\xff\xff\xff"
            elif column.kind == "text":
                text = column.texts[column.data[row]]
                out += struct.pack(">i", len(text)) + text
            else:
                dtype, size = _FIXED[column.kind]
                out += struct.pack(">i", size) + np.asarray(column.data[row], dtype=dtype).tobytes()
    return bytes(out)


def _length(columns: list[Column]) -> int:
    lengths = {len(c.values) for c in columns if np.ndim(c.values) > 0}
    if len(lengths) != 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    return lengths.pop()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
