"""The Comptoir view in the Airflow UI: task reports, imports, spool (see docs/ui.md).

Thin: who asks and what they may read is Airflow's (`auth`), what there is to show is the
core's (`comptoir.views`, `comptoir.automation.messages`), the pages are Jinja2 templates.
"""
