"""Slash commands: one module per command, each parsing text, querying storage and building a Response."""
from commands import alert, csp, digest, kpi, reviews, snapshot, upload
from commands.registry import CommandRegistry


def register(registry: CommandRegistry) -> None:
    """Add every command to `registry`, in one visible list."""
    kpi.register(registry)
    reviews.register(registry)
    csp.register(registry)
    digest.register(registry)
    snapshot.register(registry)
    alert.register(registry)
    upload.register(registry)
