"""An auth manager for the tests: Airflow's simple auth manager, except that a viewer may
not read the DAG `secret` (the simple one gives a role every DAG or none)."""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

HIDDEN_DAG = "secret"


class RestrictedAuthManager(SimpleAuthManager):
    """The simple auth manager; viewers do not see `HIDDEN_DAG`."""

    def is_authorized_dag(self, *, method: Any, user: Any, access_entity: Any = None,
                          details: Any = None) -> bool:
        if details is not None and details.id == HIDDEN_DAG and str(user.role).upper() == "VIEWER":
            return False
        return super().is_authorized_dag(method=method, user=user, access_entity=access_entity,
                                         details=details)
