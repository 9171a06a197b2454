"""alert subscriptions: a conversation's alerts (RAG turns, a metric crossing a line, reviews falling due), by
address as digest subscriptions are

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alert_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('conversation_id', sa.String(length=400), nullable=False),
        sa.Column('reference', sa.JSON(), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('section', sa.String(length=120), nullable=False),
        sa.Column('metric_slug', sa.String(length=80), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('limit_value', sa.Float(), nullable=True),
        sa.Column('days', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by', sa.String(length=400), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform', 'workspace', 'conversation_id', 'kind', 'section', 'metric_slug',
                            'direction', name='uq_alert_subscriptions_address_alert'),
    )


def downgrade() -> None:
    op.drop_table('alert_subscriptions')
