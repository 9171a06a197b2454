"""conversations: the references a platform needs to post into a conversation it was added to (Teams' service
URL, bot id and conversation type), by address, with the person of a personal chat and when the app was removed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('workspace', sa.String(length=64), nullable=False),
        sa.Column('conversation_id', sa.String(length=400), nullable=False),
        sa.Column('reference', sa.JSON(), nullable=False),
        sa.Column('user_id', sa.String(length=400), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform', 'workspace', 'conversation_id', name='uq_conversations_address'),
    )
    op.create_index('ix_conversations_personal', 'conversations', ['platform', 'workspace', 'user_id'])


def downgrade() -> None:
    op.drop_index('ix_conversations_personal', table_name='conversations')
    op.drop_table('conversations')
