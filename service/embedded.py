"""A private PostgreSQL + PostGIS cluster under a project directory, used when no DATABASE_URL is set.

Creates the cluster the first time (initdb), starts it on a unix socket inside the data directory
(no TCP port, so it never collides with another server), creates the database and the PostGIS
extension, and stops it again. PostgreSQL refuses to run as root, so as root the cluster belongs to
the `postgres` system user that Debian's packages create. It must not know anything about the schema.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

DATABASE_NAME = "district_monitor"
SOCKET_PORT = 5432  # only names the socket file; the cluster listens on no TCP port
APT_PACKAGE = "postgresql-postgis"  # Debian metapackage: the distribution's PostgreSQL + PostGIS
FALLBACK_ROOT = Path("/var/lib/district-monitor")


class EmbeddedError(RuntimeError):
    """A problem with the embedded cluster, phrased as one line that says what to do."""


@dataclass(frozen=True)
class PgInstallation:
    version: str
    bindir: Path


@dataclass
class EmbeddedCluster:
    """A PostgreSQL cluster in `datadir`, listening on a unix socket in `datadir/../run`."""

    root: Path
    durable: bool = True
    relocated_from: Path | None = None

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()

    @property
    def datadir(self) -> Path:
        return self.root / "pg"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "postgresql.log"

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql+psycopg://{self._superuser()}@/{database}?host={self.socket_dir}&port={SOCKET_PORT}"

    def libpq_conninfo(self, database: str = DATABASE_NAME) -> str:
        return f"host={self.socket_dir} port={SOCKET_PORT} user={self._superuser()} dbname={database}"

    # -- lifecycle -----------------------------------------------------------------------------
    def ensure_running(self) -> bool:
        """Create and start the cluster if needed; return True if this call started it."""
        installation = find_postgis_installation() or install_postgis()
        self._check_ownership()
        if os.getuid() == 0 and not _reachable(self.root, self._owner_uid()):
            # PostgreSQL runs as `postgres`, which cannot enter e.g. /root/...: keep the cluster where it can.
            digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:10]
            self.relocated_from = self.root
            self.root = FALLBACK_ROOT / f"cluster-{digest}"
            FALLBACK_ROOT.mkdir(mode=0o755, exist_ok=True)
            self._check_ownership()
        if not (self.datadir / "PG_VERSION").exists():
            self._initdb(installation)
        elif (self.datadir / "PG_VERSION").read_text().strip() != installation.version:
            raise EmbeddedError(
                f"{self.datadir} was created by PostgreSQL {(self.datadir / 'PG_VERSION').read_text().strip()}, "
                f"but PostGIS is installed for PostgreSQL {installation.version}: move the directory away or "
                f"install postgresql-{(self.datadir / 'PG_VERSION').read_text().strip()}-postgis-3."
            )
        if self.is_running(installation):
            self.ensure_database()
            return False
        self._run(installation, "pg_ctl", "-D", str(self.datadir), "-l", str(self.log_file), "-w", "-t", "60",
                  "start", what="start PostgreSQL")
        self.ensure_database()
        return True

    def stop(self) -> None:
        installation = find_postgis_installation()
        if installation and self.is_running(installation):
            self._run(installation, "pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop",
                      what="stop PostgreSQL")

    def is_running(self, installation: PgInstallation) -> bool:
        result = subprocess.run(
            [str(installation.bindir / "pg_ctl"), "-D", str(self.datadir), "status"],
            capture_output=True, text=True, **self._as_owner(),
        )
        return result.returncode == 0

    def ensure_database(self, name: str = DATABASE_NAME) -> None:
        with psycopg.connect(self.libpq_conninfo("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')  # identifier, not a value: cannot be bound
        with psycopg.connect(self.libpq_conninfo(name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")

    # -- internals -----------------------------------------------------------------------------
    def _initdb(self, installation: PgInstallation) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for path in (self.datadir, self.socket_dir):
            path.mkdir(mode=0o700, exist_ok=True)
            self._chown(path)
        self._chown(self.root)
        self._run(installation, "initdb", "-D", str(self.datadir), "-U", self._superuser(), "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", what="initialise the cluster")
        settings = [
            "listen_addresses = ''",
            f"port = {SOCKET_PORT}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "max_connections = 100",
            "shared_buffers = 256MB",
            "work_mem = 32MB",
            "maintenance_work_mem = 256MB",
            "jit = off",
        ]
        if not self.durable:  # throwaway test clusters: trade crash safety for speed
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(self.datadir / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
            conf.write("\n".join(settings) + "\n")

    def _check_ownership(self) -> None:
        owner = self._owner_uid()
        for path in (self.root, self.datadir):
            if path.exists() and path.stat().st_uid not in (owner, os.getuid()):
                raise EmbeddedError(
                    f"{path} belongs to user {_user_name(path.stat().st_uid)}, not {_user_name(owner)}: "
                    f"run as that user, or set DM_DATA_DIR to a directory of your own."
                )
        if self.datadir.exists() and self.datadir.stat().st_uid != owner:
            raise EmbeddedError(
                f"{self.datadir} belongs to user {_user_name(self.datadir.stat().st_uid)}, but PostgreSQL must run "
                f"as {_user_name(owner)}: `chown -R {_user_name(owner)} {self.datadir}` or set DM_DATA_DIR elsewhere."
            )

    def _superuser(self) -> str:
        return _user_name(self._owner_uid())

    def _owner_uid(self) -> int:
        if os.getuid() != 0:
            return os.getuid()
        try:
            return pwd.getpwnam("postgres").pw_uid
        except KeyError as exc:
            raise EmbeddedError(
                "running as root, PostgreSQL needs the `postgres` system user: `apt-get install postgresql` creates it."
            ) from exc

    def _as_owner(self) -> dict:
        if os.getuid() == 0:
            uid = self._owner_uid()
            return {"user": uid, "group": pwd.getpwuid(uid).pw_gid, "cwd": "/"}
        return {}

    def _chown(self, path: Path) -> None:
        if os.getuid() == 0:
            uid = self._owner_uid()
            os.chown(path, uid, pwd.getpwuid(uid).pw_gid)

    def _run(self, installation: PgInstallation, program: str, *args: str, what: str) -> None:
        result = subprocess.run([str(installation.bindir / program), *args], capture_output=True, text=True,
                                **self._as_owner())
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit code {result.returncode}"
            raise EmbeddedError(f"could not {what}: {last} (log: {self.log_file})")


@contextmanager
def throwaway_cluster(prefix: str = "dm-pg-") -> Iterator[EmbeddedCluster]:
    """A running non-durable cluster in a new temporary directory, stopped and removed afterwards.

    The directory is made traversable (0755) so that, as root, the `postgres` user can enter it and the cluster
    is not relocated to FALLBACK_ROOT; should it move anyway, the place it really lived is removed too."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    cluster = EmbeddedCluster(root, durable=False)
    try:
        cluster.ensure_running()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(cluster.root, ignore_errors=True)
            shutil.rmtree(root, ignore_errors=True)


@contextmanager
def throwaway_replica(primary: EmbeddedCluster, prefix: str = "dm-pg-replica-") -> Iterator[EmbeddedCluster]:
    """A streaming replica (hot standby) of the running `primary` in a new temporary directory: a base backup
    over the primary's socket (`pg_basebackup -R`, which also writes the standby's connection to the primary),
    a socket directory of its own, started; stopped and removed afterwards. For trying and testing the read
    replica set-up (`DM_REPLICA_URL`) on one machine."""
    installation = find_postgis_installation()
    if installation is None:
        raise EmbeddedError(f"PostGIS is not installed: run `sudo apt-get install {APT_PACKAGE}`")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    replica = EmbeddedCluster(root, durable=False)
    try:
        replica.socket_dir.mkdir(mode=0o700)
        replica._chown(replica.socket_dir)
        replica._chown(replica.root)  # pg_basebackup, run as the cluster's owner, creates the data directory
        replica._run(installation, "pg_basebackup", "-h", str(primary.socket_dir), "-p", str(SOCKET_PORT),
                     "-U", primary._superuser(), "-D", str(replica.datadir), "-R", "-X", "stream", "-c", "fast",
                     what="copy the primary (pg_basebackup)")
        with open(replica.datadir / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
            conf.write(f"unix_socket_directories = '{replica.socket_dir}'\nhot_standby = on\n")
        replica._run(installation, "pg_ctl", "-D", str(replica.datadir), "-l", str(replica.log_file), "-w", "-t",
                     "60", "start", what="start the replica")
        yield replica
    finally:
        try:
            replica.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


def find_postgis_installation() -> PgInstallation | None:
    """The newest local PostgreSQL whose extension directory holds PostGIS (Debian layout)."""
    candidates = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        version = bindir.parent.name
        if (bindir / "initdb").exists() and Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            candidates.append(PgInstallation(version, bindir))
    return max(candidates, key=lambda c: int(c.version)) if candidates else None


def install_postgis() -> PgInstallation:
    """Install PostGIS with apt when we are root; otherwise name the package to install."""
    if os.getuid() != 0 or shutil.which("apt-get") is None:
        raise EmbeddedError(
            f"PostGIS is not installed: run `sudo apt-get install {APT_PACKAGE}` (or set DATABASE_URL to a PostGIS database)."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", APT_PACKAGE]):
        result = subprocess.run(command, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise EmbeddedError(f"`{' '.join(command)}` failed: {result.stderr.strip().splitlines()[-1:]}")
    installation = find_postgis_installation()
    if installation is None:
        raise EmbeddedError(f"{APT_PACKAGE} was installed but no PostGIS extension was found under /usr/share/postgresql.")
    return installation


def _reachable(path: Path, uid: int) -> bool:
    """Whether user `uid` can traverse every existing ancestor of `path` (ignoring ACLs)."""
    for ancestor in [p for p in (path, *path.parents) if p.exists()][::-1]:
        info = ancestor.stat()
        if info.st_uid == uid:
            allowed = info.st_mode & 0o100
        else:
            allowed = info.st_mode & 0o001
        if not allowed:
            return False
    return True


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
