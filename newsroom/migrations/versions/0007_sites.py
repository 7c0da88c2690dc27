"""sites: every row belongs to a site; per-site numbering and deduplication; claims with a holder

Revision ID: 0007_sites
Revises: 0006_royalties_reports

Rows written before sites existed become the site "default", which is a commune's one site. Constraints
that were global (draft and question numbers, a mailbox's UIDs, a periodic job's period, a failing
address) become per site. Claimed rows record their holder, and ``leases`` holds the one-daemon-at-a-time
work of each site (newsroom/claims.py).
"""

import sqlalchemy as sa
from alembic import op

import newsroom.records

revision = "0007_sites"
down_revision = "0006_royalties_reports"
branch_labels = None
depends_on = None

TABLES = [
    "incoming_messages",
    "drafts",
    "revisions",
    "stored_files",
    "decisions",
    "outbox",
    "escalations",
    "audit_events",
    "royalty_coefficients",
    "periodic_runs",
    "questions",
    "question_messages",
    "question_alerts",
]
# unique constraints that become per site: table -> the columns they had
PER_SITE = {
    "drafts": ["key"],
    "questions": ["key"],
    "incoming_messages": ["mailbox", "uidvalidity", "uid"],
    "periodic_runs": ["job", "period"],
}
# SQLite reflects unnamed UNIQUE constraints without a name: batch mode names them by this convention
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}


def _unique_name(table: str, columns: list[str]) -> str:
    """The name the database gave to the unique constraint on ``columns`` (PostgreSQL: ``drafts_key_key``)."""
    for uq in sa.inspect(op.get_bind()).get_unique_constraints(table):
        if uq["column_names"] == columns and uq["name"]:
            return uq["name"]
    return CONVENTION["uq"] % {"table_name": table, "column_0_N_name": "_".join(columns)}


def _site_column() -> sa.Column:
    return sa.Column("site_id", sa.String(length=100), server_default="default", nullable=False)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, naming_convention=CONVENTION) as batch_op:
            batch_op.add_column(_site_column())
            batch_op.create_index(f"ix_{table}_site_id", ["site_id"])
            if table in PER_SITE:
                columns = PER_SITE[table]
                batch_op.drop_constraint(_unique_name(table, columns), type_="unique")
                batch_op.create_unique_constraint(f"uq_{table}_site_id_{'_'.join(columns)}", ["site_id", *columns])
            if table == "drafts":
                batch_op.add_column(sa.Column("publish_lease_holder", sa.String(length=200), nullable=True))
            if table == "outbox":
                batch_op.add_column(sa.Column("lease_holder", sa.String(length=200), nullable=True))
    # a failing address is remembered per site: its key becomes (site_id, address)
    old_key = sa.inspect(op.get_bind()).get_pk_constraint("failing_addresses")["name"] or "pk_failing_addresses"
    with op.batch_alter_table("failing_addresses", recreate="always", naming_convention=CONVENTION) as batch_op:
        batch_op.add_column(_site_column(), insert_before="address")
        batch_op.drop_constraint(old_key, type_="primary")
        batch_op.create_primary_key("pk_failing_addresses", ["site_id", "address"])
    op.create_table(
        "leases",
        _site_column(),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("until", newsroom.records.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("site_id", "name"),
    )


def downgrade() -> None:
    """Back to one site: only possible while the database holds the site "default" alone."""
    bind = op.get_bind()
    for table in [*TABLES, "failing_addresses"]:
        other = bind.execute(sa.text(f"SELECT 1 FROM {table} WHERE site_id <> 'default' LIMIT 1")).first()
        if other is not None:
            raise RuntimeError(f"{table} holds rows of sites other than 'default': cannot go back to one site")
    op.drop_table("leases")
    with op.batch_alter_table("failing_addresses", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_failing_addresses", type_="primary")
        batch_op.drop_column("site_id")
        batch_op.create_primary_key("failing_addresses_pkey", ["address"])
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch_op:
            if table == "outbox":
                batch_op.drop_column("lease_holder")
            if table == "drafts":
                batch_op.drop_column("publish_lease_holder")
            if table in PER_SITE:
                columns = PER_SITE[table]
                batch_op.drop_constraint(f"uq_{table}_site_id_{'_'.join(columns)}", type_="unique")
                batch_op.create_unique_constraint(f"{table}_{'_'.join(columns)}_key", columns)
            batch_op.drop_index(f"ix_{table}_site_id")
            batch_op.drop_column("site_id")
