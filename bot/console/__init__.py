"""The console adapter: slash commands typed one per line (and `kpibot ask`), answers printed as plain text."""
