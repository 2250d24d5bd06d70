"""LAG: the biologist's section 5 criteria per variant.

Revision ID: lag_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "lag_0002"
down_revision = "lag_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lag_variant") as batch:
        batch.add_column(sa.Column("decision_criteria", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("lag_variant") as batch:
        batch.drop_column("decision_criteria")
