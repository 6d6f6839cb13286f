"""Binary COPY input built by numpy arrives in PostgreSQL exactly as the values it was built from: every type,
NULLs, empty and non-ASCII texts, constants, and rows of rare shapes (packed one by one) alike."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from indicators.copy_binary import VECTORISED_FROM, Column, copy_into, encode


@pytest.fixture
def conn(demo_engine):
    with demo_engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(sa.text(
            "CREATE TEMP TABLE t (i bigint, s smallint, f double precision, d date, x text, c bigint)"))
        yield connection
        transaction.rollback()


def copied(conn) -> list[tuple]:
    return conn.execute(sa.text("SELECT i, s, f, d, x, c FROM t ORDER BY i")).all()


def test_every_kind_with_nulls_arrives_as_given(conn):
    n = 3 * VECTORISED_FROM  # a few rows of each shape go the vectorised way
    i = np.arange(n, dtype=np.int64)
    floats = np.where(i % 3 == 0, np.nan, i / 7)
    dates = np.where(i % 4 == 0, np.datetime64("NaT"), np.datetime64("2020-12-31") + i.astype("timedelta64[D]"))
    texts = pd.Categorical(np.where(i % 5 == 0, None, np.where(i % 2, "Straße – Süd", "")).astype(object))
    data = encode([Column("i", "int8", i), Column("s", "int2", (i % 300).astype(np.int16)), Column("f", "float8", floats),
                   Column("d", "date", dates), Column("x", "text", texts), Column("c", "int8", np.int64(-7))])
    assert copy_into(conn, "t", data) == n
    rows = copied(conn)
    assert len(rows) == n
    for k, (ri, rs, rf, rd, rx, rc) in enumerate(rows):
        assert (ri, rs, rc) == (k, k % 300, -7)
        assert (rf is None) if k % 3 == 0 else math.isclose(rf, k / 7, rel_tol=0, abs_tol=0)
        assert rd == (None if k % 4 == 0 else (pd.Timestamp("2020-12-31") + pd.Timedelta(days=k)).date())
        assert rx == (None if k % 5 == 0 else ("Straße – Süd" if k % 2 else ""))


def test_rows_of_rare_shapes_are_packed_one_by_one_and_arrive_unchanged(conn):
    n = 500  # a different text in every row: every row is a shape of its own
    i = np.arange(n, dtype=np.int64)
    texts = pd.Categorical([f"Begründung {k}" if k % 7 else None for k in range(n)])
    data = encode([Column("i", "int8", i), Column("x", "text", texts), Column("f", "float8", i * 0.5)])
    copy_into(conn, "t", data)
    rows = conn.execute(sa.text("SELECT i, x, f FROM t ORDER BY i")).all()
    assert rows == [(k, f"Begründung {k}" if k % 7 else None, k * 0.5) for k in range(n)]


def test_no_rows_copy_nothing(conn):
    data = encode([Column("i", "int8", np.array([], dtype=np.int64)), Column("c", "int8", np.int64(1))])
    assert copy_into(conn, "t", data) == 0
    assert copied(conn) == []


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        encode([Column("i", "int8", np.arange(3)), Column("f", "float8", np.arange(4.0))])
