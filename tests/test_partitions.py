"""`observation` has one partition per indicator (migration 0010). An indicator without data is bulk-loaded into a
new partition (COPY, then indexes, then attach) and ends up exactly as rows inserted one by one would; readers are
never blocked meanwhile; concurrent imports of the same new indicator serialise; nothing is left behind when an
import fails or is a dry run; and the rows of an attached table are held to the same references as any row."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from psycopg import errors

from indicators.ingest.observations import ObservationImportOptions, import_observations
from tests.conftest import private_engine, table_fingerprint
from tests.test_disconnects import wait_for

OPTIONS = ObservationImportOptions(level="plr")


def add_indicator(engine: sa.Engine, code: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("""
            INSERT INTO indicator (code, name_de, name_en, role, kind, unit, direction, aggregation)
            VALUES (:code, 'Neu', 'New', 'context', 'share', '%', 'higher_is_worse', 'none')"""), {"code": code})


def new_indicator_file(engine: sa.Engine, tmp_path: Path, code: str = "NEU") -> tuple[Path, int]:
    """A long table of `code` on 60 Planungsräume and two periods, with GENESIS symbols and a repeated row."""
    with engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT key FROM area WHERE level_code = 'plr' AND valid_to IS NULL "
                                    "ORDER BY key LIMIT 60")).scalars().all()
    lines = ["area;indicator;period;value"]
    for period in ("31.12.2023", "2024"):
        for i, key in enumerate(keys):
            lines.append(f"{key};{code};{period};{'-' if i % 17 == 0 else '.' if i % 23 == 0 else f'{i / 3:.4f}'.replace('.', ',')}")
    path = tmp_path / f"{code.lower()}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines) - 1


def stored(engine: sa.Engine, code: str) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text("""
            SELECT a.key, o.period, o.value, o.numerator, o.denominator, o.flag, o.flag_reason, o.superseded_at
            FROM observation o JOIN area a ON a.id = o.area_id WHERE o.indicator_code = :code
            ORDER BY a.key, o.period"""), {"code": code}).all()


def partition_of(engine: sa.Engine, code: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT observation_partition(:code)::text"), {"code": code}).scalar_one()


def index_definitions(engine: sa.Engine, table: str) -> set[str]:
    """The table's indexes, without their names and the table's own name, to compare tables."""
    with engine.connect() as conn:
        definitions = conn.execute(sa.text(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = CAST(:t AS regclass)"), {"t": table})
        return {re.sub(r"INDEX \S+ ON (ONLY )?\S+", "INDEX ON", d) for d in definitions.scalars()}


def lock_waits(engine: sa.Engine) -> int:
    """Sessions on the engine's database that wait for a lock."""
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'")).scalar_one()


def run_import(engine: sa.Engine, path: Path, **kwargs):
    with engine.connect() as conn:
        return import_observations(conn, path, OPTIONS, created_by="test", **kwargs)


def test_a_new_indicator_is_bulk_loaded_into_its_own_partition_exactly_like_rows_inserted_one_by_one(
        pg_server, demo_template, tmp_path):
    with private_engine(pg_server, demo_template) as bulk, private_engine(pg_server, demo_template) as by_row:
        for engine in (bulk, by_row):
            add_indicator(engine, "NEU")
        with by_row.begin() as conn:  # an (empty) partition exists already: the rows take the row-by-row path
            conn.execute(sa.text("SELECT observation_ensure_partition('NEU')"))
        path, rows = new_indicator_file(bulk, tmp_path)
        assert partition_of(bulk, "NEU") is None
        reports = [run_import(engine, path) for engine in (bulk, by_row)]
        for report in reports:
            assert report.ok and report.rows_written == rows, [p.as_text() for p in report.problems]
        assert stored(bulk, "NEU") == stored(by_row, "NEU")
        assert len(stored(bulk, "NEU")) == rows
        table = partition_of(bulk, "NEU")
        assert table is not None
        assert index_definitions(bulk, table) == index_definitions(by_row, partition_of(by_row, "NEU"))
        with bulk.connect() as conn:  # no column keeps the loading defaults, no helper constraint remains
            defaults = conn.execute(sa.text("""
                SELECT count(*) FROM pg_attrdef WHERE adrelid = CAST(:t AS regclass)"""), {"t": table}).scalar_one()
            checks = conn.execute(sa.text("""
                SELECT array_agg(conname ORDER BY conname) FROM pg_constraint
                WHERE conrelid = CAST(:t AS regclass) AND contype = 'c'"""), {"t": table}).scalar_one()
        assert defaults == 1  # the id's sequence, as on every partition
        assert checks == ["observation_value_or_flag"]


def test_every_partition_has_the_indexes_of_observation(demo_engine):
    parent = index_definitions(demo_engine, "observation")
    with demo_engine.connect() as conn:
        partitions = conn.execute(sa.text(
            "SELECT relid::text FROM pg_partition_tree('observation') WHERE isleaf")).scalars().all()
    assert len(partitions) >= 30  # one per indicator of the demo
    for table in partitions:
        assert index_definitions(demo_engine, table) == parent, table


def test_readers_are_not_blocked_while_a_new_indicator_is_loaded(fresh_engine, tmp_path):
    add_indicator(fresh_engine, "NEU")
    path, rows = new_indicator_file(fresh_engine, tmp_path)
    loaded, release = threading.Event(), threading.Event()
    outcome = {}

    def hold(conn, report):
        loaded.set()
        release.wait(60)

    def load():
        outcome["report"] = run_import(fresh_engine, path, before_commit=hold)

    thread = threading.Thread(target=load)
    thread.start()
    try:
        assert loaded.wait(60)
        with fresh_engine.connect() as reader:  # the new partition is attached, but not committed
            reader.execute(sa.text("SET lock_timeout = '2s'"))
            assert reader.execute(sa.text("SELECT count(*) FROM observation_public WHERE indicator_code = 'NEU'")
                                  ).scalar_one() == 0
            assert reader.execute(sa.text("SELECT count(*) FROM observation_public WHERE indicator_code = 'S1'")
                                  ).scalar_one() > 0
            assert reader.execute(sa.text("SELECT count(*) FROM observation")).scalar_one() > 0
    finally:
        release.set()
        thread.join(60)
    assert outcome["report"].ok and outcome["report"].rows_written == rows
    assert len(stored(fresh_engine, "NEU")) == rows


def test_two_imports_of_the_same_new_indicator_wait_for_each_other(fresh_engine, tmp_path):
    add_indicator(fresh_engine, "NEU")
    path, rows = new_indicator_file(fresh_engine, tmp_path)
    loaded, release = threading.Event(), threading.Event()
    reports = {}

    def first():
        reports["first"] = run_import(fresh_engine, path, before_commit=lambda conn, report: (loaded.set(),
                                                                                             release.wait(60)))

    def second():
        reports["second"] = run_import(fresh_engine, path)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    try:
        assert loaded.wait(60)
        threads[1].start()
        wait_for(lambda: lock_waits(fresh_engine) == 1, "the second import waits for the first to commit its partition")
        assert threads[1].is_alive()
    finally:
        release.set()
        for thread in threads:
            thread.join(60)
    assert reports["first"].ok and reports["first"].rows_written == rows
    assert reports["second"].ok and reports["second"].rows_written == 0 and reports["second"].rows_unchanged == rows
    assert len(stored(fresh_engine, "NEU")) == rows


@pytest.mark.parametrize("how", ["failure", "dry_run"])
def test_an_import_that_fails_or_is_a_dry_run_leaves_no_partition_behind(fresh_engine, tmp_path, how):
    add_indicator(fresh_engine, "NEU")
    path, _ = new_indicator_file(fresh_engine, tmp_path)
    before = table_fingerprint(fresh_engine)
    if how == "failure":
        def fail(conn, report):
            raise RuntimeError("audit store unavailable")

        with pytest.raises(RuntimeError):
            run_import(fresh_engine, path, before_commit=fail)
    else:
        report = run_import(fresh_engine, path, dry_run=True)
        assert report.ok and report.rows_written > 0
    assert partition_of(fresh_engine, "NEU") is None
    assert table_fingerprint(fresh_engine) == before
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT to_regclass(observation_partition_name('NEU'))")).scalar_one() is None


def test_rows_of_an_attached_table_must_refer_to_existing_areas(fresh_engine):
    add_indicator(fresh_engine, "NEU")
    with pytest.raises(sa.exc.IntegrityError) as caught, fresh_engine.begin() as conn:
        batch = conn.execute(sa.text("SELECT min(id) FROM import_batch")).scalar_one()
        table = conn.execute(sa.text("SELECT observation_new_partition('NEU', :b)::text"), {"b": batch}).scalar_one()
        conn.execute(sa.text(f"INSERT INTO {table} (area_id, period, value) VALUES (-1, '2024-12-31', 1)"))
        conn.execute(sa.text("SELECT observation_attach_partitions(ARRAY['NEU'])"))
    assert isinstance(caught.value.orig, errors.ForeignKeyViolation)
    assert "observation_area_id_fkey" in str(caught.value.orig)


def test_attaching_a_loaded_partition_counts_as_a_change_of_data(fresh_engine):
    add_indicator(fresh_engine, "NEU")
    with fresh_engine.begin() as conn:
        version = conn.execute(sa.text("SELECT value::bigint FROM dm_setting WHERE key = 'data_version'")).scalar_one()
        area, batch = conn.execute(sa.text("SELECT min(area_id), min(import_batch_id) FROM observation")).one()
        table = conn.execute(sa.text("SELECT observation_new_partition('NEU', :b)::text"), {"b": batch}).scalar_one()
        conn.execute(sa.text(f"INSERT INTO {table} (area_id, period, value) VALUES (:a, '2024-12-31', 1)"), {"a": area})
        conn.execute(sa.text("SELECT observation_attach_partitions(ARRAY['NEU'])"))
        after = conn.execute(sa.text("SELECT value::bigint FROM dm_setting WHERE key = 'data_version'")).scalar_one()
    assert after > version
    assert len(stored(fresh_engine, "NEU")) == 1
