"""`district-monitor compute indices`: computes with provenance, reuses unchanged runs, refuses bad periods in one line."""

import sqlalchemy as sa

from service.db import create_engine
from tests.conftest import make_settings
from tests.test_cli import assert_one_clear_line, run_cli


def test_compute_indices_reuses_runs_and_names_the_periods_that_exist(pg_server, demo_template):
    url = pg_server.create("dm_test_indices_cli", template=demo_template)
    env = {"DATABASE_URL": url, "DM_STATEMENT_TIMEOUT_MS": "300000"}
    try:
        engine = create_engine(url, make_settings())
        with engine.connect() as conn:
            before = conn.execute(sa.text("SELECT count(*) FROM index_run")).scalar()
        engine.dispose()
        result = run_cli("compute", "indices", "--level", "plr", "--period", "2020-12-31", env=env, timeout=180)
        assert result.returncode == 0, result.stderr
        assert "mss_2021_gesamtindex" in result.stderr and "2+/-: 296" in result.stderr
        engine = create_engine(url, make_settings())
        with engine.connect() as conn:
            runs, distinct = conn.execute(sa.text(
                "SELECT count(*), count(DISTINCT (index_id, level_code, period)) FROM index_run")).one()
            of_2020 = conn.execute(sa.text("SELECT count(*), count(confirmed_at) FROM index_run "
                                           "WHERE period = '2020-12-31' AND index_id LIKE 'mss_2021%'")).one()
        engine.dispose()
        # the demo's runs (MSS 2013-2021) reused, not duplicated; other editions' definitions whose inputs exist in
        # 2020 (MSS 2019: no S2) are computed for it once
        assert runs == distinct and runs >= before
        assert tuple(of_2020) == (3, 3)  # Status-, Dynamik-, Gesamtindex 2021: confirmed
        refused = run_cli("compute", "indices", "--index", "mss_2021_status", "--period", "1999-12-31", env=env)
        assert_one_clear_line(refused, "1999-12-31", "2020-12-31")
    finally:
        pg_server.drop("dm_test_indices_cli")
