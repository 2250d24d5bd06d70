"""Karyotype tables: stored metaphase analyses and biologists' corrections.

Revision ID: karyotype_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "karyotype_0001"
down_revision = None
branch_labels = ("karyotype",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "karyotype_analysis",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("patient", sa.String(64), nullable=True, index=True),
        sa.Column("file_id", sa.String(36), sa.ForeignKey("core_file.id", ondelete="CASCADE"), nullable=False),
        sa.Column("image_name", sa.String(255), nullable=False),
        sa.Column("iscn_auto", sa.String(64), nullable=False),
        sa.Column("iscn", sa.String(64), nullable=False),
        sa.Column("dark_on_light", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("chromosomes", sa.JSON, nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "karyotype_correction",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "analysis_id",
            sa.Integer,
            sa.ForeignKey("karyotype_analysis.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("chromosome_index", sa.Integer, nullable=False),
        sa.Column("old_class", sa.String(4), nullable=True),
        sa.Column("new_class", sa.String(4), nullable=True),
        sa.Column("old_angle_deg", sa.Float, nullable=False),
        sa.Column("new_angle_deg", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("karyotype_correction")
    op.drop_table("karyotype_analysis")
