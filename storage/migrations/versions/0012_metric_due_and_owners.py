"""metrics: the working day after a period's end its figures are due by, and who loads them on each platform

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_working_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('owners', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.drop_column('owners')
        batch_op.drop_column('due_working_day')
