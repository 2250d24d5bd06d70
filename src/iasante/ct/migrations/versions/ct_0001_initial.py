"""CT tables: analysed studies.

Revision ID: ct_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "ct_0001"
down_revision = None
branch_labels = ("ct",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ct_study",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("patient", sa.String(64), nullable=True, index=True),
        sa.Column("file_id", sa.String(36), sa.ForeignKey("core_file.id", ondelete="SET NULL"), nullable=True),
        sa.Column("input_name", sa.String(255), nullable=False),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("core_job.id", ondelete="SET NULL"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("n_slices", sa.Integer, nullable=True),
        sa.Column("p_abnormal", sa.Float, nullable=True),
        sa.Column("p_covid", sa.Float, nullable=True),
        sa.Column("prediction", sa.String(16), nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("model_version", sa.String(32), nullable=True),
        sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("ct_study")
