"""Data importers: CSV and XLSX files checked whole, then written in one transaction."""
