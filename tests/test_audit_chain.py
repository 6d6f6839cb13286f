"""The audit log cannot be quietly changed: command-line imports, computations and undos are audited like HTTP
writes (as cli:<os user>); the database refuses UPDATE, DELETE and TRUNCATE on it; every entry carries the hash
of its content and of the entry before, and `district-monitor audit verify` names the first entry that was
changed, removed or inserted. Two writers at once never fork the chain."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import threading
import time

import psycopg
import pytest
import sqlalchemy as sa

from service.audit import record, verify_chain
from service.auth import Principal
from tests.conftest import private_engine

WRITER = Principal("test-writer", "admin")
CLI = f"cli:{getpass.getuser()}"


@pytest.fixture(scope="module")
def database(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_audit") as engine:
        yield engine


def cli(engine, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False),
                               "COLUMNS": "200"})


def entries(engine, actor: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT action, target_type FROM audit_log WHERE actor = :actor ORDER BY id"), {"actor": actor})]


def write_entries(engine, n: int) -> list[int]:
    with engine.begin() as conn:
        for i in range(n):
            record(conn, WRITER, "test", "note", str(i), None, {"n": i})
        return conn.execute(sa.text("SELECT id FROM audit_log WHERE actor = :a ORDER BY id DESC LIMIT :n"),
                            {"a": WRITER.name, "n": n}).scalars().all()[::-1]


def test_command_line_imports_computations_and_undos_are_audited_as_the_os_user(database, tmp_path):
    values = tmp_path / "werte.csv"
    values.write_text("area;indicator;period;value\n01100101;EW;2022-06-30;3600\n")
    imported = cli(database, "import", "observations", str(values), "--level", "plr")
    assert imported.returncode == 0, imported.stderr
    with database.connect() as conn:
        batch, created_by = conn.execute(sa.text(
            "SELECT id, created_by FROM import_batch WHERE file_name = 'werte.csv'")).one()
    assert created_by == CLI
    computed = cli(database, "compute", "indices", "--index", "mss_2021_status", "--level", "plr",
                   "--period", "2020-12-31")
    assert computed.returncode == 0, computed.stderr
    rolled_up = cli(database, "aggregate", "rollup")
    assert rolled_up.returncode == 0, rolled_up.stderr
    undone = cli(database, "import", "undo", str(batch))
    assert undone.returncode == 0, undone.stderr
    assert entries(database, CLI) == [("import.observations", "import_batch"), ("compute", "index_run"),
                                      ("recompute", "rollup"), ("import.undone", "import_batch")]
    with database.connect() as conn:
        after = conn.execute(sa.text("SELECT after FROM audit_log WHERE action = 'import.observations' "
                                     "AND actor = :a"), {"a": CLI}).scalar_one()
    assert after["file_name"] == "werte.csv" and after["rows_written"] == 1 and after["options"]["level"] == ["plr"]


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'niemand'", "DELETE FROM audit_log",
                                       "TRUNCATE audit_log", "UPDATE audit_chain SET entries = 0",
                                       "DELETE FROM audit_chain"])
def test_the_database_refuses_to_change_or_remove_audit_entries(database, statement):
    write_entries(database, 1)
    with database.connect() as conn:
        before = verify_chain(conn)
    with pytest.raises(sa.exc.ProgrammingError, match="append-only"):
        with database.begin() as conn:
            conn.execute(sa.text(statement))
    with database.connect() as conn:
        assert verify_chain(conn) == before and before.ok


TAMPERING = {  # run with the append-only triggers switched off, as only a superuser can
    "changed": ("UPDATE audit_log SET after = '{\"n\": 99}' WHERE id = :middle", "middle",
                "was changed after it was written"),
    "removed": ("DELETE FROM audit_log WHERE id = :middle", "last", "does not follow the entry before it"),
    "cut off": ("DELETE FROM audit_log WHERE id = :last", "middle", "entries at the end were removed"),
}


@pytest.mark.parametrize("how", TAMPERING)
def test_verify_names_the_first_entry_that_was_tampered_with(fresh_engine, how):
    first, middle, last = write_entries(fresh_engine, 3)
    assert cli(fresh_engine, "audit", "verify").returncode == 0
    statement, named, words = TAMPERING[how]
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(statement), {"middle": middle, "last": last})
    with fresh_engine.connect() as conn:
        check = verify_chain(conn)
    assert not check.ok and words in check.problem
    assert check.broken_id == {"middle": middle, "last": last}[named]
    result = cli(fresh_engine, "audit", "verify")
    assert result.returncode == 1 and words in result.stderr and "Traceback" not in result.stderr


def test_an_intact_log_verifies_and_names_its_head(database):
    write_entries(database, 2)
    result = cli(database, "audit", "verify")
    assert result.returncode == 0, result.stderr
    with database.connect() as conn:
        head, count = conn.execute(sa.text("SELECT last_hash, entries FROM audit_chain")).one()
    assert f"audit log OK: {count:,} entries, chain head {head}" in " ".join(result.stderr.split())
    write_entries(database, 1)
    assert cli(database, "audit", "verify", "--contains", head).returncode == 0  # a head noted earlier


def test_a_consistently_rewritten_chain_is_found_by_a_head_noted_earlier(fresh_engine):
    """A superuser who rewrites an entry and every hash after it leaves a chain that verifies on its own; the
    head printed before no longer occurs in it."""
    write_entries(fresh_engine, 2)
    with fresh_engine.connect() as conn:
        noted = verify_chain(conn).head
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("UPDATE audit_log SET actor = 'jemand anders' WHERE id = (SELECT max(id) FROM audit_log)"))
        conn.execute(sa.text("""
            UPDATE audit_log SET hash = audit_entry_hash(id, at, actor, role, action, target_type, target_id, before,
                                                         after, request_id, prev_hash)
            WHERE id = (SELECT max(id) FROM audit_log)"""))
        conn.execute(sa.text("UPDATE audit_chain SET last_hash = "
                             "(SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1)"))
    with fresh_engine.connect() as conn:
        assert verify_chain(conn).ok  # consistent on its own
        check = verify_chain(conn, (noted,))
    assert not check.ok and "no longer contains the head" in check.problem
    result = cli(fresh_engine, "audit", "verify", "--contains", noted)
    assert result.returncode == 1 and "rewritten" in result.stderr


def test_two_writers_at_once_do_not_fork_the_chain(database):
    """The first writer holds the chain head until it commits; the second waits for it (checked in
    pg_stat_activity, not by sleeping) and then chains onto the first's entry."""
    url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as first, psycopg.connect(url, autocommit=True) as watcher:
        first.execute("INSERT INTO audit_log (actor, role, action, target_type) VALUES ('eins', 'admin', 'test', 'x')")
        done = threading.Event()
        second_pid: list[int] = []

        def second_writer() -> None:
            with psycopg.connect(url) as second:
                second_pid.append(second.info.backend_pid)
                second.execute("INSERT INTO audit_log (actor, role, action, target_type) "
                               "VALUES ('zwei', 'admin', 'test', 'x')")
                second.commit()
            done.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        while not (second_pid and watcher.execute(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", second_pid).fetchone()[0]):
            assert thread.is_alive()
            time.sleep(0.01)  # poll the condition; the assertion does not depend on how long this takes
        assert not done.is_set()  # waiting for the chain head
        first.commit()
        thread.join()
    with database.connect() as conn:
        one, two = conn.execute(sa.text("SELECT id, prev_hash, hash FROM audit_log WHERE actor IN ('eins', 'zwei') "
                                        "ORDER BY id")).all()
        assert two.prev_hash == one.hash and two.id > one.id
        assert verify_chain(conn).ok


def test_the_chain_survives_migrating_down_and_up(pg_server, demo_template):
    from alembic import command

    from service.db import alembic_config, upgrade

    with private_engine(pg_server, demo_template) as engine:
        write_entries(engine, 2)
        with engine.connect() as conn:
            before = verify_chain(conn)
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0010")
        upgrade(engine, 25833)
        with engine.connect() as conn:
            assert verify_chain(conn) == before and before.ok and before.entries > 2
