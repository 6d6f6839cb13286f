"""The demo database for tests: built once, then reused by later runs for as long as its inputs are unchanged.

Building it (every migration, then the whole Berlin demo through the ordinary import code) takes most of a
minute; the tests only read it or copy it. So right after a build the test cluster is stopped and its data
directory copied into `.data/test-cache/<key>/` (complete and consistent: databases, roles, settings, and the
UNLOGGED caches, which survive a clean stop), and a later run with the same key copies that snapshot into its
own temporary directory and starts it. Every run still has a private, throwaway cluster; only the build is skipped.

The key is a hash of everything the build reads: the migrations, the demo files, the source of every project
module the demo loader imports (followed through the import statements, including imports inside functions),
this file, pyproject.toml (library versions), and the PostgreSQL/PostGIS installation. A change to any of them
means a new key and one new build; the two newest snapshots are kept. A clean clone (CI) has no cache and builds
once: one test process builds while the others wait for its snapshot (`DemoCache.building`, a file lock).
`DM_TEST_CACHE=off` builds every time; `DM_TEST_CACHE=<dir>` keeps the snapshots elsewhere. With
DATABASE_URL (a server the tests do not own, so no data directory to copy) the demo is built in every run.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from service.embedded import EmbeddedCluster, EmbeddedError, find_postgis_installation

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("geo", "indicators", "service", "web")  # project packages whose imports are followed
BUILD_ENTRY_POINTS = ("service/demo.py", "service/db.py")  # what `build_demo_database` calls into
# read as files: Alembic loads migrations by path, the demo manifests name their files, and the shipped index
# definitions and catalogues are YAML next to the code (a changed definition is a new demo)
INPUT_TREES = ("service/migrations", "data/demo", "indicators/indices", "indicators/catalogues")
INPUT_FILES = ("tests/demo_cache.py", "pyproject.toml")
KEEP_SNAPSHOTS = 2


def build_demo_database(url: str) -> None:
    """Migrate the (empty) database at `url` and load the whole Berlin demo into it."""
    from service.db import create_engine, upgrade
    from service.demo import load_demo
    from tests.conftest import make_settings

    engine = create_engine(url, make_settings())
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        upgrade(engine, 25833)
        load_demo(engine)
    finally:
        engine.dispose()


# -- the key -------------------------------------------------------------------------------------------------
def loader_sources(entry_points: tuple[str, ...] = BUILD_ENTRY_POINTS) -> list[Path]:
    """The project source files reachable from `entry_points` through import statements (any depth, also
    imports inside functions), found by reading the code, not by importing it."""
    seen: set[Path] = set()
    todo = [PROJECT / path for path in entry_points]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in PACKAGES:
                    todo.extend(_module_files(name))
    return sorted(seen)


def _module_files(name: str) -> list[Path]:
    """The files importing `name` executes: its own and every enclosing package's __init__.py."""
    parts = name.split(".")
    files = [PROJECT.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts) + 1)]
    files.append(PROJECT.joinpath(*parts).with_suffix(".py"))
    return [path for path in files if path.is_file()]


def inputs() -> list[Path]:
    files = set(loader_sources())
    for tree in INPUT_TREES:
        files.update(path for path in (PROJECT / tree).rglob("*")
                     if path.is_file() and "__pycache__" not in path.parts)
    files.update(PROJECT / path for path in INPUT_FILES)
    return sorted(files)


def cache_key() -> str:
    digest = hashlib.sha256()
    installation = find_postgis_installation()
    if installation is None:
        raise EmbeddedError("PostGIS is not installed")
    control = Path(f"/usr/share/postgresql/{installation.version}/extension/postgis.control")
    digest.update(f"postgresql {installation.version}\n".encode() + control.read_bytes())
    for path in inputs():
        digest.update(str(path.relative_to(PROJECT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


# -- the snapshots -------------------------------------------------------------------------------------------
class DemoCache:
    """Snapshots of a test cluster holding the built demo database, one directory per key."""

    def __init__(self, root: Path, key: str):
        self.root = root
        self.key = key

    @classmethod
    def configured(cls) -> DemoCache | None:
        setting = os.environ.get("DM_TEST_CACHE", "")
        if setting.lower() in ("off", "0", "no", "false"):
            return None
        return cls(Path(setting) if setting else PROJECT / ".data" / "test-cache", cache_key())

    @property
    def snapshot(self) -> Path:
        return self.root / self.key / "pg"

    def has_snapshot(self) -> bool:
        return (self.snapshot / "PG_VERSION").is_file()

    @contextmanager
    def building(self, while_waiting: Callable[[], None] | None = None) -> Iterator[_BuildLock]:
        """Held by the one process (of this or another test run) that builds the snapshot of this key; the others
        run `while_waiting` (work of their own that needs no database), then block here until it has saved it
        (or given up). `done()` lets them go before the block ends."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f"{self.key}.lock", "w", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if while_waiting is not None:
                    while_waiting()
                fcntl.flock(handle, fcntl.LOCK_EX)
            lock = _BuildLock(handle)
            try:
                yield lock
            finally:
                lock.done()

    def save(self, cluster: EmbeddedCluster) -> None:
        """Copy `cluster`'s data directory into the cache, stopped for the copy and started again. A cleanly
        stopped cluster is a consistent copy that keeps its UNLOGGED tables filled: the feature properties
        caches, 8 s of work per test process to fill again, which a base backup (pg_basebackup) copies empty.
        Another run saving the same key at the same time is harmless: the first complete copy stays."""
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f"{self.key}.partial-{os.getpid()}"
        cluster.stop()
        try:
            partial.mkdir()
            subprocess.run(["cp", "-a", str(cluster.datadir), str(partial / "pg")], check=True)  # keeps the owner
            try:
                partial.rename(self.root / self.key)
            except OSError:
                pass  # another run was faster
        finally:
            shutil.rmtree(partial, ignore_errors=True)
            cluster.ensure_running()
        self._prune()

    def _prune(self) -> None:
        entries = sorted((p for p in self.root.iterdir() if p.is_dir() and ".partial-" not in p.name),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in [p for p in entries if p.name != self.key][KEEP_SNAPSHOTS - 1:]:
            shutil.rmtree(old, ignore_errors=True)
        for lock in self.root.glob("*.lock"):
            if lock.stem != self.key and not (self.root / lock.stem).is_dir():
                lock.unlink(missing_ok=True)


class _BuildLock:
    def __init__(self, handle):
        self._handle = handle

    def done(self) -> None:
        if not self._handle.closed:
            fcntl.flock(self._handle, fcntl.LOCK_UN)


@contextmanager
def cluster_from_snapshot(snapshot: Path, prefix: str = "dm-test-pg-") -> Iterator[EmbeddedCluster]:
    """A running throwaway cluster whose data directory is a copy of `snapshot`; stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    cluster = EmbeddedCluster(root, durable=False)
    try:
        subprocess.run(["cp", "-a", str(snapshot), str(cluster.datadir)], check=True)
        cluster._chown(root)  # PostgreSQL writes its log there
        cluster.socket_dir.mkdir(mode=0o700)
        cluster._chown(cluster.socket_dir)
        with open(cluster.datadir / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
            conf.write(f"unix_socket_directories = '{cluster.socket_dir}'\n")  # the last setting wins
        os.utime(snapshot.parent)  # most recently used: kept by _prune
        cluster.ensure_running()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
