"""The cached demo database is rebuilt whenever something it is built from changes (tests/demo_cache.py)."""

import json
import subprocess
import sys

from tests.demo_cache import PROJECT, cache_key, inputs, loader_sources


def test_the_key_covers_every_project_module_the_demo_loader_imports():
    """The key follows the loader's import statements by reading the code; whatever importing it really loads
    (in a fresh interpreter) must be among those files, or a change to it would reuse a stale database."""
    loaded = subprocess.run([sys.executable, "-c", """
import json, sys
import service.db, service.demo
print(json.dumps(sorted(m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None))))
"""], cwd=PROJECT, capture_output=True, text=True, check=True).stdout
    project_files = {path for path in json.loads(loaded)  # the project's own code, not the .venv inside it
                     if path.startswith(str(PROJECT) + "/") and "/site-packages/" not in path}
    assert project_files, "nothing of the project was imported"
    assert project_files <= {str(path) for path in loader_sources()}


def test_the_key_covers_migrations_and_demo_files_and_is_stable():
    names = {str(path.relative_to(PROJECT)) for path in inputs()}
    assert "service/migrations/versions/0001_core.py" in names
    assert "data/demo/berlin/demo.yaml" in names
    assert "indicators/rollup.py" in names
    assert not any(name.startswith(("web/", "service/routes/")) for name in names)  # pages do not build it
    assert cache_key() == cache_key()


def test_a_process_waiting_for_another_build_does_its_own_work_first_and_the_builder_does_not(tmp_path):
    """The process that takes the build lock builds at once; one that finds it taken runs `while_waiting` (the
    tests compile the cluster analysis there) and then waits for the lock."""
    import threading

    from tests.demo_cache import DemoCache

    cache = DemoCache(tmp_path, "k")
    waited, order = threading.Event(), []
    with cache.building(while_waiting=lambda: order.append("builder waited")) as build:
        def second() -> None:
            with cache.building(while_waiting=lambda: (order.append("worked while waiting"), waited.set())):
                order.append("got the lock")

        other = threading.Thread(target=second)
        other.start()
        assert waited.wait(30), "the second process did not notice the lock was taken"
        order.append("build done")
        build.done()
        other.join(30)
    assert order == ["worked while waiting", "build done", "got the lock"]


def test_the_fingerprint_sees_a_committed_write_of_the_same_value_and_not_a_rolled_back_one(fresh_engine):
    """tests.conftest.table_fingerprint, which many tests use to show that a refused write left nothing behind."""
    import sqlalchemy as sa

    from tests.conftest import table_fingerprint

    same_name = sa.text("UPDATE area SET name = name WHERE id = (SELECT min(id) FROM area)")
    before = table_fingerprint(fresh_engine)
    with fresh_engine.connect() as conn:
        conn.execute(same_name)
        conn.rollback()
    assert table_fingerprint(fresh_engine) == before
    with fresh_engine.begin() as conn:
        conn.execute(same_name)
    after = table_fingerprint(fresh_engine)
    assert after["area"] != before["area"] and after["area"][0] == before["area"][0]
    assert {name: value for name, value in after.items() if name != "area"} == \
        {name: value for name, value in before.items() if name != "area"}
