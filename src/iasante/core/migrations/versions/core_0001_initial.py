"""Core tables: users, sessions, append-only audit log (enforced by triggers), files, jobs.

Revision ID: core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "core_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("full_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("locale", sa.String(8), nullable=False, server_default="fr"),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "core_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("core_user.id", ondelete="CASCADE"), index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    )
    op.create_table(
        "core_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TZ, nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False, index=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(128)),
        sa.Column("patient", sa.String(64), index=True),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(16), nullable=False, server_default="ok"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "core_file",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("patient", sa.String(64), index=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "core_job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False, index=True),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("message", sa.String(500), nullable=False, server_default=""),
        sa.Column("log", sa.Text, nullable=False, server_default=""),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("resumable", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("timeout_s", sa.Integer),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ),
        sa.Column("heartbeat_at", TZ),
        sa.Column("finished_at", TZ),
    )
    _protect_audit_log()


def _protect_audit_log() -> None:
    """The database itself refuses UPDATE and DELETE on the audit log, whatever the client."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION core_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'core_audit is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER core_audit_no_change BEFORE UPDATE OR DELETE ON core_audit "
            "FOR EACH ROW EXECUTE FUNCTION core_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER core_audit_no_{verb.lower()} BEFORE {verb} ON core_audit "
                "BEGIN SELECT RAISE(ABORT, 'core_audit is append-only'); END"
            )


def downgrade() -> None:
    for table in ("core_job", "core_file", "core_audit", "core_session", "core_user"):
        op.drop_table(table)
