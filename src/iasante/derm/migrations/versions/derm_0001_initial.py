"""Derm tables: stored dermoscopy analyses.

Revision ID: derm_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "derm_0001"
down_revision = None
branch_labels = ("derm",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "derm_analysis",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("patient", sa.String(64), nullable=True, index=True),
        sa.Column("file_id", sa.String(36), sa.ForeignKey("core_file.id", ondelete="CASCADE"), nullable=False),
        sa.Column("image_name", sa.String(255), nullable=False),
        sa.Column("p_melanoma", sa.Float, nullable=False),
        sa.Column("prediction", sa.String(16), nullable=False),
        sa.Column("probabilities", sa.JSON, nullable=False),
        sa.Column("abcd", sa.JSON, nullable=False),
        sa.Column("lesion_found", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("derm_analysis")
