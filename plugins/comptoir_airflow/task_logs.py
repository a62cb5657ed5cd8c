"""Task log files for runs made with `dag.test()`, where Airflow's UI reads them.

`dag.test()` runs each task in the current process and its logs only go to this process's
output: no file is written, and the UI says "Log file not found on worker". `TaskLogFiles`
is an Airflow listener that, while a task instance runs, copies every log line (structlog
events and standard `logging` records) as one JSON line into the file a worker would have
written: the `[logging] log_filename_template` of the task instance under the
`[logging] base_log_folder` — where the API server's `FileTaskHandler` looks.

    with task_log_files():
        dag.test()
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

import structlog
from airflow.listeners import hookimpl
from airflow.sdk.listener import get_listener_manager

_RESERVED = {"timestamp", "level", "event", "logger", "exc_info", "exception", "stack_info"}


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


class TaskLogFiles(logging.Handler):
    """The listener (and `logging` handler) writing the running task's log file."""

    def __init__(self) -> None:
        super().__init__()
        self.file: IO[bytes] | None = None

    # -- Airflow listener hooks --------------------------------------------------------
    @hookimpl
    def on_task_instance_running(self, previous_state: Any, task_instance: Any) -> None:
        self.end_file()
        self.file = log_path(task_instance).open("ab")

    @hookimpl
    def before_stopping(self, component: Any) -> None:
        self.end_file()

    # -- where the lines come from -----------------------------------------------------
    def __call__(self, logger: Any, method_name: str, event_dict: dict) -> dict:
        """A structlog processor: the event, copied to the open file, passed on unchanged."""
        if self.file is not None:
            line = {key: _plain(value) for key, value in event_dict.items()
                    if key not in _RESERVED and not key.startswith("_")}
            exc_info = event_dict.get("exc_info")
            if exc_info:
                if exc_info is True or not isinstance(exc_info, tuple | BaseException):
                    exc_info = None
                line["exception"] = _traceback(exc_info)
            self._write(event_dict.get("timestamp"), event_dict.get("level", method_name),
                        event_dict.get("event"), event_dict.get("logger"), line)
        return event_dict

    def emit(self, record: logging.LogRecord) -> None:
        """A `logging` handler: the record, copied to the open file."""
        if self.file is None:
            return
        extra = {"exception": _traceback(record.exc_info)} if record.exc_info else {}
        self._write(datetime.fromtimestamp(record.created, UTC).isoformat(),
                    record.levelname.lower(), record.getMessage(), record.name, extra)

    def _write(self, timestamp: Any, level: Any, event: Any, logger: Any,
               extra: dict[str, Any]) -> None:
        assert self.file is not None
        line = {"timestamp": _plain(timestamp) or datetime.now(UTC).isoformat(),
                "level": str(level).lower(), "event": _plain(event), "logger": _plain(logger),
                **extra}
        self.file.write(json.dumps(line, default=str).encode() + b"\n")
        self.file.flush()

    def end_file(self) -> None:
        """Close the running task's file: the lines that follow are not its own."""
        if self.file is not None:
            self.file.close()
            self.file = None


def _traceback(exc_info: Any) -> str:
    if isinstance(exc_info, BaseException):
        return "".join(traceback.format_exception(exc_info))
    if isinstance(exc_info, tuple):
        return "".join(traceback.format_exception(*exc_info))
    return traceback.format_exc()


def log_path(task_instance: Any):  # type: ignore[no-untyped-def]
    """The task instance's log file (created with Airflow's permissions), as a worker names it."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.sdk.log import init_log_file
    from airflow.utils.helpers import log_filename_template_renderer
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = session.get(TaskInstance, task_instance.id)
        relative = log_filename_template_renderer()(ti=ti, try_number=ti.try_number)
    return init_log_file(relative)


@contextmanager
def task_log_files() -> Iterator[TaskLogFiles]:
    """While inside, every task instance run in this process writes its log file."""
    files = TaskLogFiles()
    config = structlog.get_config()
    processors = list(config["processors"])
    structlog.configure(processors=[*processors[:-1], files, *processors[-1:]])
    root = logging.getLogger()
    root.addHandler(files)
    manager = get_listener_manager()
    manager.add_listener(files)
    try:
        yield files
    finally:
        manager.pm.unregister(files)
        root.removeHandler(files)
        structlog.configure(processors=processors)
        files.end_file()
        files.close()
