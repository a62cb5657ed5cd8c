"""The Comptoir view's tests: Airflow's auth manager set up in this process, real tokens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

USERS = "admin:admin,viewer:viewer"
AUTH_MANAGER = "tests.plugins.ui.restricted_auth.RestrictedAuthManager"
DAGS = ("daily", "secret", "comptoir_spool_retry")


@pytest.fixture(scope="module")
def auth_manager(airflow_db: Path) -> Iterator[object]:
    """The restricted simple auth manager, initialised as the api-server does, with the
    DAGs `DAGS` in the metadata database (a viewer may read all but `secret`)."""
    from airflow.api_fastapi import app as airflow_app
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__AUTH_MANAGER", AUTH_MANAGER)
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", USERS)
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
                     str(airflow_db.parent / "ui-test-passwords.json"))
        with create_session() as session:
            if session.get(DagBundleModel, "dags-folder") is None:
                session.add(DagBundleModel(name="dags-folder"))
                session.flush()
            for dag_id in DAGS:
                if session.get(DagModel, dag_id) is None:
                    session.add(DagModel(dag_id=dag_id, bundle_name="dags-folder",
                                         fileloc=os.devnull))
        airflow_app.purge_cached_app()
        manager = airflow_app.init_auth_manager()
        yield manager
        airflow_app.purge_cached_app()


def token_for(manager: object, name: str) -> str:
    """A JWT of the user `name` (role: admin for admin, viewer for viewer), as after login."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    role = "ADMIN" if name == "admin" else "VIEWER"
    return manager.generate_jwt(SimpleAuthManagerUser(username=name, role=role))  # type: ignore[attr-defined]
