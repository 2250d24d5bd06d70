"""CoIoT-19 tables: patients, devices, readings (unique device+metric+ts), dead letters, scores, alerts.

Revision ID: iot_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "iot_0001"
down_revision = None
branch_labels = ("iot",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "iot_patient",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pseudo", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("label", sa.String(100), nullable=False, server_default=""),
        sa.Column("ward", sa.String(64), nullable=False, server_default=""),
        sa.Column("spo2_scale", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "iot_device",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("iot_patient.id", ondelete="CASCADE"), index=True),
        sa.Column("kind", sa.String(32), nullable=False, server_default="wearable"),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "iot_reading",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("iot_patient.id", ondelete="CASCADE"), index=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("ts", TZ, nullable=False, index=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("source", sa.String(16), nullable=False, server_default="mqtt"),
        sa.Column("received_at", TZ, nullable=False),
        sa.UniqueConstraint("device_id", "metric", "ts", name="uq_iot_reading_key"),
    )
    op.create_table(
        "iot_dead_letter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("received_at", TZ, nullable=False, index=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False, server_default=""),
        sa.Column("device_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
    )
    op.create_table(
        "iot_score",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("iot_patient.id", ondelete="CASCADE"), index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ts", TZ, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("risk", sa.String(16), nullable=False, server_default=""),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.UniqueConstraint("patient_id", "kind", "ts", name="uq_iot_score_key"),
    )
    op.create_table(
        "iot_alert",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("iot_patient.id", ondelete="CASCADE"), index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ts", TZ, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("explanation", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", TZ, nullable=True),
        sa.UniqueConstraint("patient_id", "kind", "ts", name="uq_iot_alert_key"),
    )


def downgrade() -> None:
    for table in ("iot_alert", "iot_score", "iot_dead_letter", "iot_reading", "iot_device", "iot_patient"):
        op.drop_table(table)
