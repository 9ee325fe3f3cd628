"""Importers: read an upload, preview it row by row, then write it all or nothing.

`csv_tasks` turns a CSV file into tasks. Every importer validates the whole file before
anything is written, and `run` writes inside one transaction through the domain services.
"""
