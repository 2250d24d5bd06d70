"""LAG tables: review cases and classified variants.

Revision ID: lag_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "lag_0001"
down_revision = None
branch_labels = ("lag",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lag_case",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("patient", sa.String(64), nullable=True, index=True),
        sa.Column("genome", sa.String(8), nullable=False),
        sa.Column("file_id", sa.String(36), sa.ForeignKey("core_file.id", ondelete="SET NULL"), nullable=True),
        sa.Column("source_name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("job_id", sa.Integer, nullable=True),
        sa.Column("n_variants", sa.Integer, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("signed_by", sa.String(64), nullable=True),
        sa.Column("signed_at", TZ, nullable=True),
    )
    op.create_table(
        "lag_variant",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("lag_case.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False, index=True),
        sa.Column("var_id", sa.String(200), nullable=False),
        sa.Column("in_chrom", sa.String(32), nullable=False),
        sa.Column("in_start", sa.String(32), nullable=False),
        sa.Column("in_end", sa.String(32), nullable=False),
        sa.Column("chrom", sa.String(4), nullable=False, index=True),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("svtype", sa.String(8), nullable=False),
        sa.Column("size_bp", sa.Integer, nullable=False),
        sa.Column("acmg_points", sa.Float, nullable=False),
        sa.Column("acmg_class", sa.String(20), nullable=False, index=True),
        sa.Column("rank_score", sa.Float, nullable=False),
        sa.Column("genes", sa.Text, nullable=False),
        sa.Column("iscn", sa.String(200), nullable=False),
        sa.Column("cytoband", sa.String(40), nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("contributions", sa.JSON, nullable=False),
        sa.Column("decision_class", sa.String(20), nullable=True),
        sa.Column("decision_comment", sa.Text, nullable=False),
        sa.Column("decision_report", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("lag_variant")
    op.drop_table("lag_case")
