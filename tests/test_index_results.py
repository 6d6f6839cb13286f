"""Reading index results for one area (the area profile): the same answers as the per-index explanation,
read by the area's key in a few small queries, never a whole level per index."""

from datetime import date

import pytest
import sqlalchemy as sa

from indicators.index_results import area_index_results, explain

PERIOD = date(2020, 12, 31)


@pytest.mark.parametrize("unsuppressed", [False, True])
def test_one_area_reads_the_same_explanations_as_each_index(demo_engine, unsuppressed):
    with demo_engine.connect() as conn:
        found = area_index_results(conn, "plr", "01100103", unsuppressed)
        assert [f.index_id for f in found] == ["mss_2021_dynamics", "mss_2021_gesamtindex", "mss_2021_status"]
        for item in found:
            assert item.period == PERIOD
            assert item.explanation == explain(conn, item.index_id, "01100103", "plr", PERIOD, unsuppressed)
            assert item.class_code == item.explanation["class"]
            assert item.class_label_de == item.explanation["class_label_de"]


def test_an_area_outside_every_run_has_no_index_results(demo_engine):
    with demo_engine.connect() as conn:
        assert area_index_results(conn, "plr", "99999999", False) == []


def test_a_profile_reads_the_areas_index_rows_only(client, demo_engine):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, cursor.rowcount))

    sa.event.listen(demo_engine, "after_cursor_execute", count)
    try:
        body = client.get("/areas/plr/01100104.json").json()
    finally:
        sa.event.remove(demo_engine, "after_cursor_execute", count)
    assert len(body["indices"]) == 3
    index_reads = [(s, n) for s, n in statements if "index_result" in s]
    # the area's results, its component rows, and the earlier editions of the areas it overlaps (docs/history.md)
    assert len(index_reads) <= 3
    assert sum(n for _, n in index_reads) <= 5 + 12  # 3 indices + 2 components, at most 3 per earlier edition
