"""Scheduled digests, charts and Panel snapshots built from the same storage queries as the commands."""
