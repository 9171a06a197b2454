"""Platform adapters and process wiring: settings, Slack, console, CLI."""
