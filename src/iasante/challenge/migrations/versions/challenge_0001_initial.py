"""Challenge tables: challenges (encrypted truth), phases, teams, members, invitations, submissions.

Revision ID: challenge_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "challenge_0001"
down_revision = None
branch_labels = ("challenge",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "challenge_challenge",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("task", sa.String(16), nullable=False),
        sa.Column("primary_metric", sa.String(32), nullable=False),
        sa.Column("secondary_metrics", sa.JSON, nullable=False),
        sa.Column("classes", sa.JSON, nullable=False),
        sa.Column("truth_blob", sa.LargeBinary, nullable=False),
        sa.Column("truth_sha256", sa.String(64), nullable=False),
        sa.Column("n_test", sa.Integer, nullable=False),
        sa.Column("public_fraction", sa.Float, nullable=False),
        sa.Column("split_salt", sa.String(32), nullable=False),
        sa.Column("participant_data", sa.Text, nullable=False),
        sa.Column("train_file_id", sa.String(36), nullable=True),
        sa.Column("test_ids_file_id", sa.String(36), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "challenge_phase",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "challenge_id",
            sa.Integer,
            sa.ForeignKey("challenge_challenge.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("subset", sa.String(8), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("daily_quota", sa.Integer, nullable=False),
        sa.Column("rule", sa.String(8), nullable=False),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.UniqueConstraint("challenge_id", "name"),
    )
    op.create_table(
        "challenge_team",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "challenge_id",
            sa.Integer,
            sa.ForeignKey("challenge_challenge.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("challenge_id", "name"),
    )
    op.create_table(
        "challenge_member",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "challenge_id",
            sa.Integer,
            sa.ForeignKey("challenge_challenge.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "team_id",
            sa.Integer,
            sa.ForeignKey("challenge_team.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("username", sa.String(64), nullable=False, index=True),
        sa.UniqueConstraint("challenge_id", "username"),
    )
    op.create_table(
        "challenge_invitation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "team_id",
            sa.Integer,
            sa.ForeignKey("challenge_team.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("invitee", sa.String(64), nullable=False, index=True),
        sa.Column("invited_by", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "challenge_submission",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "phase_id",
            sa.Integer,
            sa.ForeignKey("challenge_phase.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("challenge_team.id", ondelete="CASCADE"), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("is_baseline", sa.Boolean, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("file_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("job_id", sa.Integer, nullable=True),
        sa.Column("dispatches", sa.Integer, nullable=False),
        sa.Column("aligned", sa.LargeBinary, nullable=True),
        sa.Column("scores", sa.JSON, nullable=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("scored_at", TZ, nullable=True),
    )


def downgrade() -> None:
    for table in (
        "challenge_submission",
        "challenge_invitation",
        "challenge_member",
        "challenge_team",
        "challenge_phase",
        "challenge_challenge",
    ):
        op.drop_table(table)
