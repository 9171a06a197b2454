"""delivery payload: what an alert says, kept in the ledger so a later check can post an alert that failed

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:15:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE on every backend: SQLite's batch rebuild would cascade the attempts away.
    op.add_column('digest_deliveries', sa.Column('payload', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('digest_deliveries', 'payload')
