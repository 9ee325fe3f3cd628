"""Importers: read an upload, preview it row by row, then write it all or nothing.

`csv_tasks` (tasks), `okr_csv` (objectives and key results), `jira` (Jira's search JSON) and
`jira_csv` (Jira's CSV export, read into `jira`'s intermediate issues) each have `preview(job)`,
which writes nothing, and `run(job_id)`. `base.execute` is the one all-or-nothing run, `tabular`
the CSV reading and column mapping they share, `runner` picks the importer of a job's kind.
"""
