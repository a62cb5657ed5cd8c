"""The Comptoir plugin as Airflow finds it in the plugins folder (the code is in
`comptoir_airflow.ui`): its FastAPI app under /comptoir and its pages in the navigation."""

from __future__ import annotations

from comptoir_airflow.ui.plugin import ComptoirPlugin

__all__ = ["ComptoirPlugin"]
