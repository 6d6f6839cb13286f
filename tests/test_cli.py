"""The command line fails with one clear line that says what to do, never a traceback."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "service"]


def run_cli(*args: str, env: dict | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def assert_one_clear_line(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]


def test_serve_on_a_port_in_use_says_which_port_to_choose():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"})
    assert_one_clear_line(result, str(port), "already in use", "--port")


def test_unreachable_database_url_says_to_check_it():
    result = run_cli("db", "upgrade", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"})
    assert_one_clear_line(result, "cannot connect", "DATABASE_URL")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to create a directory owned by another user")
def test_data_directory_owned_by_someone_else_is_refused():
    data = Path(tempfile.mkdtemp(prefix="dm-test-owner-")) / "data"
    (data / "pg").mkdir(parents=True)
    os.chown(data, 65534, 65534)  # nobody
    os.chown(data / "pg", 65534, 65534)
    data.parent.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run([*CLI, "db", "upgrade"], capture_output=True, text=True, timeout=120,
                            env={**env, "DM_DATA_DIR": str(data), "COLUMNS": "200"})
    shutil.rmtree(data.parent, ignore_errors=True)
    assert_one_clear_line(result, "belongs to user nobody")


def test_import_of_a_missing_file_names_the_file(tmp_path: Path, pg_server, demo_template):
    url = pg_server.create("dm_test_cli", template=demo_template)
    result = run_cli("import", "observations", str(tmp_path / "missing.csv"), "--level", "plr",
                     env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "missing.csv" in result.stderr and "file not found" in result.stderr
    assert "Traceback" not in result.stderr
    pg_server.drop("dm_test_cli")


def test_serve_without_database_url_starts_its_own_cluster_and_answers():
    """The README's first command: no DATABASE_URL, so `serve` starts a private PostGIS cluster and every worker
    must find it (a worker that read the settings before the cluster existed would refuse to start)."""
    import httpx

    data = Path(tempfile.mkdtemp(prefix="dm-test-serve-")) / "data"
    data.parent.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*CLI, "serve", "--no-demo", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env={**env, "DM_DATA_DIR": str(data),
                                                                        "COLUMNS": "200"})
    try:
        for line in server.stdout:  # the condition: the server says it listens (or exits, ending the output)
            if "district-monitor on http" in line:
                break
        answered = None
        for _ in range(600):  # then the port accepts connections (uvicorn binds right after that line)
            if server.poll() is not None:
                break
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)  # polls a condition; the loop's bound is 60 s
        assert server.poll() is None, "serve exited"
        assert answered is not None and answered.status_code == 200, answered
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(data.parent, ignore_errors=True)
