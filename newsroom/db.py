"""Engine, sessions and migrations. SQLite (WAL, foreign keys on) by default, PostgreSQL to scale out.

One database may serve many sites. A session is bound to one site: every ORM query it runs sees only that
site's rows (SQLAlchemy's ``with_loader_criteria``, the documented way to filter every query globally),
and every row it adds is stamped with the site. So no query in the product names the site, and none can
forget it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from newsroom.records import DEFAULT_SITE, SiteOwned


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # As many connections kept as the daemon has threads that may hold one at once (the event loop's
    # executor, the mailbox workers, the claims' recorder): past the pool's size each checkout would open
    # and close a connection of its own, a process start on the PostgreSQL side.
    return create_engine(url, pool_pre_ping=True, pool_size=12, max_overflow=12)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; run at every start."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("newsroom.migrations")))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def site_of(session: Session) -> str:
    return session.info["site_id"]


def session_factory(engine: Engine, site_id: str = DEFAULT_SITE) -> sessionmaker[Session]:
    """Sessions that read and write the rows of ``site_id`` only."""
    factory = sessionmaker(engine, expire_on_commit=False, info={"site_id": site_id})
    # built once: every ORM statement of the daemon passes here
    own_rows = with_loader_criteria(SiteOwned, lambda cls: cls.site_id == site_id, include_aliases=True)

    @event.listens_for(factory, "do_orm_execute")
    def _scope(state: ORMExecuteState) -> None:
        if not state.is_column_load and not state.is_relationship_load:
            state.statement = state.statement.options(own_rows)

    @event.listens_for(factory, "before_flush")
    def _stamp(session: Session, _context, _instances) -> None:
        for row in session.new:
            if isinstance(row, SiteOwned):
                if row.site_id is None:
                    row.site_id = site_id
                elif row.site_id != site_id:
                    raise ValueError(f"row of site {row.site_id} written by a session of site {site_id}")

    return factory
