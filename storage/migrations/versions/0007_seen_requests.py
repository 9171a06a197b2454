"""seen requests: state-changing chat requests already carried out, so that a replay is not

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seen_requests',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('seen_requests', schema=None) as batch_op:
        batch_op.create_index('ix_seen_requests_expires_at', ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('seen_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_seen_requests_expires_at')

    op.drop_table('seen_requests')
