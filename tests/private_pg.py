"""A private PostgreSQL cluster for the claims and sites tests (a stopgap: the shared fixture
tests/servers/postgres.py replaces it when the branches meet).

``initdb`` into a temporary folder, ``pg_ctl start`` on a free port of 127.0.0.1 with the socket in the
same folder, stopped at teardown. PostgreSQL refuses to run as root: under root the cluster belongs to
the ``postgres`` account (or ``nobody``). Without the binaries the tests skip, unless
REQUIRE_REAL_SERVERS=1.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess

import pytest

from tests.servers.common import free_port, missing, remove_folder, temp_folder

_names = itertools.count(1)


def _program(name: str) -> str | None:
    return shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)


def _owner() -> dict:
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    pytest.fail("running as root with neither a 'postgres' nor a 'nobody' account to run PostgreSQL as")


@pytest.fixture(scope="module")
def private_postgres():
    """A function making a new, empty database of the cluster and returning its SQLAlchemy URL."""
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if not initdb or not pg_ctl:
        missing("PostgreSQL", "initdb/pg_ctl not on PATH (apt-get install postgresql)")
    root, port, owner = temp_folder("claims-pg"), free_port(), _owner()
    if owner:
        os.chown(root, owner["user"], owner["group"])
    data = root / "data"
    run = {"check": True, "capture_output": True, "cwd": root, **owner}
    subprocess.run([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], **run)
    options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=100"
    subprocess.run([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"], **run)

    def database() -> str:
        import psycopg

        name = f"claims_{os.getpid()}_{next(_names)}"
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"

    try:
        yield database
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], check=False, **owner, cwd=root)
        remove_folder(root)
