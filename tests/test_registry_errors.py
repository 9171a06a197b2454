"""What a person hears when the database is too slow to give the command a connection: the same 'temporarily
unavailable' as when it is down, not an apology for a bug."""
from __future__ import annotations

from sqlalchemy.exc import TimeoutError as PoolTimeout

from answers.context import CommandContext
from commands.registry import DATA_UNAVAILABLE, INTERNAL_ERROR, CommandRegistry


def _registry(db, handler) -> CommandRegistry:
    registry = CommandRegistry(CommandContext(db))
    registry.add("/try", handler, "/try - a test command")
    return registry


def test_no_connection_free_in_time_is_data_unavailable(db):
    def waits_for_the_pool(request, context):
        raise PoolTimeout("QueuePool limit of size 5 overflow 5 reached, connection timed out, timeout 5.00")

    answer = _registry(db, waits_for_the_pool).run_line("/try")
    assert answer.is_error and answer.title == DATA_UNAVAILABLE


def test_a_bug_is_still_an_internal_error(db):
    def broken(request, context):
        raise KeyError("x")

    assert _registry(db, broken).run_line("/try").title == INTERNAL_ERROR
