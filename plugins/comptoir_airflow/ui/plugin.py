"""The Airflow plugin: the FastAPI app and the navigation entries under "Comptoir"."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from comptoir_airflow.ui.app import PAGES, URL_PREFIX, app

__all__ = ["ComptoirPlugin"]


class ComptoirPlugin(AirflowPlugin):
    """Comptoir's pages in the Airflow UI."""

    name = "comptoir"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Comptoir"}]
    external_views = [
        {"name": title, "href": f"{URL_PREFIX}/{route}", "destination": "nav",
         "category": "Comptoir", "url_route": f"comptoir-{route}"}
        for route, title in PAGES
    ]
