"""neutral addresses: subscriptions, the delivery ledger and the audit log name a conversation by platform,
workspace, conversation id and the platform's own reference; a delivered message by a neutral reference

Every row made before is Slack's: its channel id becomes the conversation id on platform 'slack' in workspace ''
(one workspace per deployment until now), its message ts the message reference. An audit entry's place was a
Slack channel id, or 'cli' (a change from the command line) or 'console' (the console and `kpibot ask`): those
two keep their place and take it as their platform too, every other entry is 'slack'.

SQLite changes a table by building a new one and dropping the old, and with foreign keys on, that drop fires
the ON DELETE actions of the tables that point at it: every delivery would lose its subscription and every
attempt would be deleted. The links are kept aside and put back (`_links_kept`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:30:00.000000
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The places of audit entries that were not a chat conversation, which keep their name as their platform.
NOT_CONVERSATIONS = ('cli', 'console')
# Rows this revision's downgrade cannot put back in the old columns (other platforms, long ids).
OLD_ID_LENGTH, OLD_PLACE_LENGTH, OLD_TS_LENGTH = 32, 120, 32


@contextmanager
def _links_kept():
    """On SQLite: each delivery's subscription and every attempt, kept aside while the tables are rebuilt."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    bind.exec_driver_sql('CREATE TEMP TABLE kept_0008_links AS SELECT id, subscription_id FROM digest_deliveries')
    bind.exec_driver_sql('CREATE TEMP TABLE kept_0008_attempts AS SELECT * FROM digest_attempts')
    yield
    bind.exec_driver_sql('UPDATE digest_deliveries SET subscription_id = (SELECT k.subscription_id FROM '
                         'kept_0008_links k WHERE k.id = digest_deliveries.id)')
    bind.exec_driver_sql('DELETE FROM digest_attempts')
    bind.exec_driver_sql('INSERT INTO digest_attempts SELECT * FROM kept_0008_attempts')
    bind.exec_driver_sql('DROP TABLE kept_0008_links')
    bind.exec_driver_sql('DROP TABLE kept_0008_attempts')


def _add_address(batch_op) -> None:
    # Added with defaults so that the rows already there take them; the defaults go again in the next step.
    batch_op.add_column(sa.Column('platform', sa.String(length=16), nullable=False, server_default='slack'))
    batch_op.add_column(sa.Column('workspace', sa.String(length=64), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('reference', sa.JSON(), nullable=True))


def _address_columns(batch_op) -> None:
    batch_op.alter_column('platform', server_default=None, existing_type=sa.String(length=16),
                          existing_nullable=False)
    batch_op.alter_column('workspace', server_default=None, existing_type=sa.String(length=64),
                          existing_nullable=False)
    batch_op.alter_column('channel_id', new_column_name='conversation_id', type_=sa.String(length=400),
                          existing_type=sa.String(length=32), existing_nullable=False)


def upgrade() -> None:
    with _links_kept():
        with op.batch_alter_table('digest_subscriptions', schema=None) as batch_op:
            _add_address(batch_op)
        with op.batch_alter_table('digest_subscriptions', schema=None) as batch_op:
            batch_op.drop_constraint('uq_digest_subscriptions_channel_kind', type_='unique')
            _address_columns(batch_op)
            batch_op.alter_column('created_by', type_=sa.String(length=400), existing_type=sa.String(length=32),
                                  existing_nullable=False)
        # A constraint on a column renamed in the same batch is lost in SQLite's rebuild: it comes after.
        with op.batch_alter_table('digest_subscriptions', schema=None) as batch_op:
            batch_op.create_unique_constraint('uq_digest_subscriptions_address_kind',
                                              ['platform', 'workspace', 'conversation_id', 'kind'])

        with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
            _add_address(batch_op)
        with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
            batch_op.drop_constraint('uq_digest_deliveries_channel_kind_period', type_='unique')
            _address_columns(batch_op)
            batch_op.alter_column('message_ts', new_column_name='message_ref', type_=sa.String(length=400),
                                  existing_type=sa.String(length=32), existing_nullable=True)
        with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
            batch_op.create_unique_constraint('uq_digest_deliveries_address_kind_period',
                                              ['platform', 'workspace', 'conversation_id', 'kind', 'period'])

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform', sa.String(length=16), nullable=False, server_default='slack'))
        batch_op.add_column(sa.Column('workspace', sa.String(length=64), nullable=False, server_default=''))
    audit = sa.table('audit_log', sa.column('platform', sa.String()), sa.column('place', sa.String()))
    op.execute(audit.update().where(audit.c.place.in_(NOT_CONVERSATIONS)).values(platform=audit.c.place))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('platform', server_default=None, existing_type=sa.String(length=16),
                              existing_nullable=False)
        batch_op.alter_column('workspace', server_default=None, existing_type=sa.String(length=64),
                              existing_nullable=False)
        batch_op.alter_column('place', type_=sa.String(length=400), existing_type=sa.String(length=120),
                              existing_nullable=False)


def _refuse_what_the_old_columns_cannot_hold() -> None:
    """The old schema knows Slack channels only, in short columns: a downgrade that would drop or cut rows stops."""
    bind = op.get_bind()
    checks = {
        'digest_subscriptions': f"platform <> 'slack' OR workspace <> '' OR length(conversation_id) > {OLD_ID_LENGTH} "
                                f"OR length(created_by) > {OLD_ID_LENGTH}",
        'digest_deliveries': f"platform <> 'slack' OR workspace <> '' OR length(conversation_id) > {OLD_ID_LENGTH} "
                             f"OR length(message_ref) > {OLD_TS_LENGTH}",
        'audit_log': f"length(place) > {OLD_PLACE_LENGTH}",
    }
    for table, condition in checks.items():
        count = bind.exec_driver_sql(f'SELECT count(*) FROM {table} WHERE {condition}').scalar()
        if count:
            raise RuntimeError(f'cannot downgrade below 0008: {count} rows of {table} are not Slack channels of '
                               'one workspace, or have ids longer than the old columns hold')


def downgrade() -> None:
    _refuse_what_the_old_columns_cannot_hold()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('place', type_=sa.String(length=120), existing_type=sa.String(length=400),
                              existing_nullable=False)
        batch_op.drop_column('workspace')
        batch_op.drop_column('platform')

    with _links_kept():
        with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
            batch_op.drop_constraint('uq_digest_deliveries_address_kind_period', type_='unique')
            batch_op.alter_column('message_ref', new_column_name='message_ts', type_=sa.String(length=32),
                                  existing_type=sa.String(length=400), existing_nullable=True)
            batch_op.alter_column('conversation_id', new_column_name='channel_id', type_=sa.String(length=32),
                                  existing_type=sa.String(length=400), existing_nullable=False)
            batch_op.drop_column('reference')
            batch_op.drop_column('workspace')
            batch_op.drop_column('platform')
        with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
            batch_op.create_unique_constraint('uq_digest_deliveries_channel_kind_period',
                                              ['channel_id', 'kind', 'period'])

        with op.batch_alter_table('digest_subscriptions', schema=None) as batch_op:
            batch_op.drop_constraint('uq_digest_subscriptions_address_kind', type_='unique')
            batch_op.alter_column('created_by', type_=sa.String(length=32), existing_type=sa.String(length=400),
                                  existing_nullable=False)
            batch_op.alter_column('conversation_id', new_column_name='channel_id', type_=sa.String(length=32),
                                  existing_type=sa.String(length=400), existing_nullable=False)
            batch_op.drop_column('reference')
            batch_op.drop_column('workspace')
            batch_op.drop_column('platform')
        with op.batch_alter_table('digest_subscriptions', schema=None) as batch_op:
            batch_op.create_unique_constraint('uq_digest_subscriptions_channel_kind', ['channel_id', 'kind'])
