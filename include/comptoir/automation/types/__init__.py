"""The built-in task types: each module declares a `TASK_TYPE` for the catalog."""
