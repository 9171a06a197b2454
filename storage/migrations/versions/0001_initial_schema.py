"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 22:18:20.318162
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('csp_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=120), nullable=False),
    sa.Column('year', sa.String(length=7), nullable=False),
    sa.Column('allocation', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('area', 'year', name='uq_csp_allocations_area_year')
    )
    op.create_table('imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('replaced', sa.Integer(), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('section', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('frequency', sa.String(length=20), nullable=False),
    sa.Column('aggregate', sa.String(length=10), nullable=False),
    sa.Column('polarity', sa.String(length=20), nullable=False),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('expectation', sa.String(length=80), nullable=True),
    sa.Column('baseline_year', sa.String(length=7), nullable=False),
    sa.Column('tolerance', sa.Float(), nullable=True),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('plan_ref', sa.Integer(), nullable=True),
    sa.Column('headline', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('learning', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_open_received', ['completed_on', 'received_on'], unique=False)
        batch_op.create_index('ix_reviews_received', ['received_on'], unique=False)

    op.create_table('sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('csp_spend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('area', sa.String(length=120), nullable=False),
    sa.Column('project', sa.String(length=300), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('csp_spend', schema=None) as batch_op:
        batch_op.create_index('ix_csp_spend_area_date', ['area', 'spent_on'], unique=False)
        batch_op.create_index('ix_csp_spend_date', ['spent_on'], unique=False)

    op.create_table('observation_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_by', sa.String(length=120), nullable=False),
    sa.Column('replaced_by_import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_by_import_id'], ['imports.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('observation_history', schema=None) as batch_op:
        batch_op.create_index('ix_observation_history_metric_period', ['metric_id', 'period'], unique=False)

    op.create_table('observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('metric_id', 'period', name='uq_observations_metric_period')
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index('ix_observations_metric_start', ['metric_id', 'period_start'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_metric_start')

    op.drop_table('observations')
    with op.batch_alter_table('observation_history', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_history_metric_period')

    op.drop_table('observation_history')
    with op.batch_alter_table('csp_spend', schema=None) as batch_op:
        batch_op.drop_index('ix_csp_spend_date')
        batch_op.drop_index('ix_csp_spend_area_date')

    op.drop_table('csp_spend')
    op.drop_table('sections')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_received')
        batch_op.drop_index('ix_reviews_open_received')

    op.drop_table('reviews')
    op.drop_table('metrics')
    op.drop_table('imports')
    op.drop_table('csp_allocations')
