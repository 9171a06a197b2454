"""Shared storage: models, migrations, metric catalog, KPI engine, queries and importers."""
