"""observations: the date a figure stood at (as_at), kept in history too

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('as_at', sa.Date(), nullable=True))
    with op.batch_alter_table('observation_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('as_at', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('observation_history', schema=None) as batch_op:
        batch_op.drop_column('as_at')
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_column('as_at')
