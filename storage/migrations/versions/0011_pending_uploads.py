"""pending uploads: files given in chat, previewed and waiting for their uploader's Confirm or Cancel

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pending_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('conversation_id', sa.String(length=400), nullable=False),
        sa.Column('user_id', sa.String(length=400), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('claimed_by', sa.String(length=120), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
    )
    op.create_index('ix_pending_uploads_expires_at', 'pending_uploads', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_pending_uploads_expires_at', table_name='pending_uploads')
    op.drop_table('pending_uploads')
