"""A private PostgreSQL cluster for the tests, and a fresh database for each site or test.

``initdb`` makes a cluster in a registered temporary folder; ``postgres`` serves it on 127.0.0.1 on a free
port, with its unix socket in the same folder and without fsync (a test database need not survive a power
cut). PostgreSQL refuses to run as root, so under root the cluster belongs to the Debian package's
``postgres`` user (or ``nobody``). The migrations are applied once to a template database; each test gets
``CREATE DATABASE … TEMPLATE`` (a file copy, a fraction of a second) and drops it at the end. Clients
authenticate with a password (SCRAM) that needs quoting in a URL, as a province's server would ask.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote

from tests.servers.common import free_port, missing, remove_folder, spawn, stop, temp_folder, wait_for_port

TEMPLATE = "toasoan_template"
SUPERUSER = "postgres"
PASSWORD = "t3st/p@ss:w%rd"  # password authentication, as in production; URL-quoted in the URLs


def find(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, or in Debian's /usr/lib/postgresql/<version>/bin."""
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    return shutil.which(name) or (versions[-1] if versions else None)


def _owner() -> pwd.struct_passwd | None:
    """The unprivileged account the cluster runs as when the tests run as root (None: as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root with neither a 'postgres' nor a 'nobody' account to run PostgreSQL as")


class Postgres:
    def __init__(self):
        self.initdb, self.postgres = find("initdb"), find("postgres")
        if not self.initdb or not self.postgres:
            missing("PostgreSQL", "apt-get install -y postgresql  (or run scripts/test, which installs it)")
        self.owner = _owner()
        self.root = temp_folder("pg")
        self.data = self.root / "data"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._admin = None
        self._lock = threading.Lock()
        self._names = itertools.count(1)

    def _as_owner(self) -> dict:
        """subprocess keywords that run a program as the cluster's owner, without root's groups."""
        if self.owner is None:
            return {}
        return {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": [], "cwd": self.root}

    def start(self) -> Postgres:
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        (self.root / "password").write_text(PASSWORD)
        done = subprocess.run(
            [
                self.initdb,
                f"--pgdata={self.data}",
                f"--username={SUPERUSER}",
                f"--pwfile={self.root / 'password'}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            **self._as_owner(),
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-1000:]}")
        self._log = open(self.root / "postgres.log", "wb")  # noqa: SIM115 - the server's until stop()
        self.proc = spawn(
            [
                self.postgres,
                *("-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.root)),
                *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
                *("-c", "max_connections=300", "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            **self._as_owner(),
        )
        self._admin = self._ready()
        self._template()
        return self

    def _ready(self, timeout: float = 60):
        """A connection to the server once it accepts them: it listens a moment before it is ready."""
        import psycopg

        wait_for_port(self.port, timeout, self.proc)
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._connect("postgres")
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _connect(self, database: str):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, password=PASSWORD, dbname=database, autocommit=True
        )

    def _template(self) -> None:
        """The template every test database is copied from: the migrations applied once."""
        from newsroom.db import make_engine, migrate

        self._admin.execute(f"CREATE DATABASE {TEMPLATE}")
        engine = make_engine(self.url(TEMPLATE))
        try:
            migrate(engine)
        finally:
            engine.dispose()

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database of this cluster (psycopg 3, over TCP on 127.0.0.1)."""
        return f"postgresql+psycopg://{SUPERUSER}:{quote(PASSWORD, safe='')}@127.0.0.1:{self.port}/{database}"

    def create_database(self, migrated: bool = True) -> str:
        """A new database, migrated to head (copied from the template) or empty; returns its URL."""
        with self._lock:
            name = f"t{os.getpid()}_{next(self._names)}"
            self._admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE if migrated else 'template0'}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """The database gone, with whatever connections a stopped daemon's pool still held."""
        name = url.rsplit("/", 1)[1]
        with self._lock:
            self._admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def restart(self) -> None:
        """PostgreSQL stopped (fast: clients disconnected) and started again on the same port and data."""
        self._stop_server()
        self.proc = spawn(self.proc.args, stdout=subprocess.DEVNULL, stderr=self._log, **self._as_owner())
        self._admin = self._ready()

    def _stop_server(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self.proc is not None:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGINT)  # fast shutdown; SIGTERM would wait for every client
            stop(self.proc)

    def stop(self) -> None:
        self._stop_server()
        if self._log is not None:
            self._log.close()
        remove_folder(self.root)
