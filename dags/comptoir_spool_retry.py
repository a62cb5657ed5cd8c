"""Spool retry: every 15 minutes, deliver the files still waiting in the spools.

One Airflow task per site, on that site's queue (the spool lives on the site's machine).
Skipped while isolated or school mode is on, like every scheduled run.
"""

from comptoir_airflow.spool_retry import build_spool_retry_dag

spool_retry = build_spool_retry_dag()
