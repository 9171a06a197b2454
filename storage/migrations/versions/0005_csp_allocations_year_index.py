"""csp allocations: index on year

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 16:05:00.000000
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('csp_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_csp_allocations_year', ['year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('csp_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_csp_allocations_year')
