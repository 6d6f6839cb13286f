"""The metadata answers kept per data_version (indicators.version_memo): the periods of a level, the indicators
with values on it and the boundary version a period is drawn on are asked several times by every map page, and are
kept per database and data_version. Every write changes them at once; a transaction that has written sees its own
data and leaves nothing behind; another database with the same version number never gets them."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from indicators.catalogue import indicators_with_values, list_periods
from indicators.values import boundary_date_for
from tests.conftest import private_engine

MSS_2017 = date(2016, 12, 31)  # drawn on the 447 Planungsräume (boundaries valid from 2012-01-01)
SUPERSEDE = sa.text("""
    UPDATE observation SET superseded_at = now()
    WHERE superseded_at IS NULL AND area_id IN (SELECT id FROM area WHERE level_code = 'plr')
      AND (indicator_code = 'S1' OR period = :period)""")
NO_CHANGE = sa.text("UPDATE observation SET superseded_at = now() WHERE false")  # a write: data_version + 1


def answers(conn: sa.Connection) -> tuple:
    return (list_periods(conn, "plr", "S1"), "S1" in indicators_with_values(conn, "plr"),
            "S1" in indicators_with_values(conn, "plr", unsuppressed=True), boundary_date_for(conn, "plr", MSS_2017))


def test_answers_follow_every_write_and_never_a_rolled_back_one(fresh_engine):
    with fresh_engine.connect() as conn:
        before = answers(conn)
        assert before == answers(conn)  # asked again: the kept answer, unchanged
    assert MSS_2017 in before[0] and before[1] and before[2] and before[3] == date(2012, 1, 1)
    gone = ([], False, False, date(2021, 1, 1))  # no S1 on Planungsräume; 2016 drawn on the current boundaries

    with fresh_engine.connect() as conn:
        written = conn.begin()
        conn.execute(SUPERSEDE, {"period": MSS_2017})
        assert answers(conn) == gone  # the writing transaction sees its own data
        written.rollback()
        assert answers(conn) == before
    with fresh_engine.begin() as conn:  # another write gets the version number the rolled-back one had
        conn.execute(NO_CHANGE)
    with fresh_engine.connect() as conn:
        assert answers(conn) == before  # nothing of the rolled-back transaction was kept

    with fresh_engine.begin() as conn:
        conn.execute(SUPERSEDE, {"period": MSS_2017})
    with fresh_engine.connect() as conn:
        assert answers(conn) == gone
        periods = list_periods(conn, "plr")
        periods.clear()  # a caller changing its answer does not change the kept one
        assert list_periods(conn, "plr")


def test_another_database_at_the_same_version_asks_anew(fresh_engine, pg_server, demo_template):
    with private_engine(pg_server, demo_template) as other:
        version = sa.text("SELECT value FROM dm_setting WHERE key = 'data_version'")
        with fresh_engine.connect() as conn, other.connect() as other_conn:
            assert conn.execute(version).scalar_one() == other_conn.execute(version).scalar_one()  # both copies
            before = answers(conn)
        with other.begin() as conn:
            conn.execute(SUPERSEDE, {"period": MSS_2017})
        with fresh_engine.begin() as conn:  # the same number of writes: the same data_version, other data
            conn.execute(NO_CHANGE)
        with fresh_engine.connect() as conn, other.connect() as other_conn:
            assert conn.execute(version).scalar_one() == other_conn.execute(version).scalar_one()
            assert answers(conn) == before
            assert answers(other_conn) == ([], False, False, date(2021, 1, 1))
