"""The references of observations (to areas, indicators and import batches) hold as strictly as foreign keys,
although they are checked once per statement (migration 0003) so that big imports stay fast. Rows of an indicator
without a partition cannot be stored at all, and partitions exist for known indicators only (migration 0010)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from psycopg import errors


def first(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).first()


def fails_with_foreign_key_violation(engine, sql: str, constraint: str) -> None:
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as conn:
        conn.execute(sa.text(sql))
    assert isinstance(caught.value.orig, errors.ForeignKeyViolation)
    assert constraint in str(caught.value.orig)


def test_observations_need_an_existing_area_indicator_and_batch(fresh_engine):
    area_id, batch_id = first(fresh_engine, "SELECT area_id, import_batch_id FROM observation LIMIT 1")
    insert = "INSERT INTO observation (indicator_code, area_id, period, value, import_batch_id) VALUES ({})"
    fails_with_foreign_key_violation(fresh_engine, insert.format(f"'S1', -1, '2030-12-31', 1, {batch_id}"),
                                     "observation_area_id_fkey")
    with pytest.raises(sa.exc.IntegrityError, match="no partition of relation"), fresh_engine.begin() as conn:
        conn.execute(sa.text(insert.format(f"'NOPE', {area_id}, '2030-12-31', 1, {batch_id}")))  # no partition
    fails_with_foreign_key_violation(fresh_engine, "SELECT observation_ensure_partition('NOPE')",
                                     "observation_indicator_code_fkey")
    fails_with_foreign_key_violation(fresh_engine, insert.format(f"'S1', {area_id}, '2030-12-31', 1, -7"),
                                     "observation_import_batch_id_fkey")
    fails_with_foreign_key_violation(fresh_engine, "UPDATE observation SET superseded_by_batch = -7 WHERE id IN "
                                                   "(SELECT id FROM observation LIMIT 3)",
                                     "observation_import_batch_id_fkey")
    with fresh_engine.begin() as conn:  # a valid insert passes
        conn.execute(sa.text(insert.format(f"'S1', {area_id}, '2030-12-31', 1, {batch_id}")))


def test_referenced_areas_indicators_and_batches_cannot_be_deleted(fresh_engine):
    with fresh_engine.begin() as conn:  # other tables' own foreign keys would answer first
        conn.execute(sa.text("DELETE FROM index_result"))
    area_id, batch_id = first(fresh_engine, "SELECT area_id, import_batch_id FROM observation LIMIT 1")
    fails_with_foreign_key_violation(fresh_engine, f"DELETE FROM area WHERE id = {area_id}", "observation_area_id_fkey")
    fails_with_foreign_key_violation(fresh_engine, "DELETE FROM indicator WHERE code = 'S1'",
                                     "observation_indicator_code_fkey")
    fails_with_foreign_key_violation(fresh_engine, f"DELETE FROM import_batch WHERE id = {batch_id}",
                                     "observation_import_batch_id_fkey")
    fails_with_foreign_key_violation(fresh_engine, f"UPDATE area SET id = -{area_id} WHERE id = {area_id}",
                                     "observation_area_id_fkey")
    with pytest.raises(sa.exc.DBAPIError), fresh_engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE area CASCADE"))
    assert first(fresh_engine, f"SELECT count(*) FROM area WHERE id = {area_id}")[0] == 1


def test_renaming_an_indicator_code_cascades_to_its_observations(fresh_engine):
    before = first(fresh_engine, "SELECT count(*) FROM observation WHERE indicator_code = 'KI_01'")[0]
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE indicator SET code = 'KI_01_NEU' WHERE code = 'KI_01'"))
    assert first(fresh_engine, "SELECT count(*) FROM observation WHERE indicator_code = 'KI_01_NEU'")[0] == before > 0
