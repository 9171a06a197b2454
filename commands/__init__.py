"""Slash commands: one module per command, each parsing text, querying storage and building a Response."""
from commands import kpi
from commands.registry import CommandRegistry


def register(registry: CommandRegistry) -> None:
    """Add every command to `registry`, in one visible list."""
    kpi.register(registry)
