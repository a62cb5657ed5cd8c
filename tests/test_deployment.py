"""The distributed deployment agrees with the project.

Nothing is built or started (no Docker here): docker-compose.yaml, the Dockerfile, .dockerignore
and deploy/ are parsed and checked against the task definitions (sites), the environment
variables the code reads, the requirements and each other.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
POSTGRES_INIT_DIR = ROOT / "deploy" / "postgres-init"
TASKS_DIR = ROOT / "tasks"
SOURCE_DIRS = (ROOT / "include" / "comptoir", ROOT / "plugins", ROOT / "dags")

# Every COMPTOIR_* variable the project reads. A name in compose or in the Dockerfile must be here.
PROJECT_ENV_VARS = frozenset(
    {"COMPTOIR_DATABASE_URL", "COMPTOIR_HOME", "COMPTOIR_TASKS_DIR", "COMPTOIR_MAIL_BACKEND"}
)
# Names listed above before the code that reads them has landed; remove a name once it has.
AWAITED_ENV_VARS: frozenset[str] = frozenset()

HEAD_OFFICE_SITE = "central"
DEFAULT_QUEUE = "default"  # Airflow's [operators] default_queue: DAGs that belong to no site
DOSSIER_DATABASE = "comptoir"
SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a Celery queue name, no comma

_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
)


# --- reading the files ------------------------------------------------------------------------


def interpolate(text: str, *, names: bool = False) -> str:
    """Compose `${VAR...}` substitution with an empty environment.

    With `names`, every variable becomes `<VAR>`, to compare which variable feeds a value.
    """

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if names:
            return f"<{match['name']}>"
        if match["op"] in ("-", ":-"):
            return match["arg"]
        return ""

    return _INTERPOLATION.sub(substitute, text)


@cache
def compose() -> dict[str, Any]:
    """docker-compose.yaml, YAML anchors and merge keys resolved."""
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE.name} is missing at the project root"
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), (
        f"{COMPOSE_FILE.name} has no services mapping"
    )
    return data


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's `environment`, in mapping or list form, values as written."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def airflow_services() -> dict[str, dict[str, Any]]:
    """The services that run our image as an Airflow component."""
    return {
        name: service
        for name, service in services().items()
        if "AIRFLOW__CORE__EXECUTOR" in environment(service)
    }


def command_args(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def worker_queues() -> dict[str, list[str]]:
    """Celery workers and the queues each one listens on (`-q`/`--queues`, else `default`)."""
    workers: dict[str, list[str]] = {}
    for name, service in services().items():
        args = command_args(service)
        if args[:1] == ["airflow"]:
            args = args[1:]
        if args[:2] != ["celery", "worker"]:
            continue
        queues = [DEFAULT_QUEUE]
        for i, arg in enumerate(args):
            if arg in ("-q", "--queues") and i + 1 < len(args):
                queues = args[i + 1].split(",")
            elif arg.startswith("--queues="):
                queues = arg.split("=", 1)[1].split(",")
        workers[name] = [queue.strip() for queue in queues]
    return workers


def deployment_sites() -> list[str]:
    sites = compose().get("x-comptoir-sites")
    assert isinstance(sites, list) and sites, (
        f"{COMPOSE_FILE.name} must list the sites of the deployment under x-comptoir-sites"
    )
    return [str(site) for site in sites]


def task_sites() -> dict[str, str]:
    """The `site` of every task definition in tasks/*.json, keyed by 'file: task id'."""
    sites: dict[str, str] = {}
    for path in sorted(TASKS_DIR.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            pytest.fail(f"tasks/{path.name} cannot be read, so its sites cannot be checked: {exc}")
        tasks = document.get("tasks", []) if isinstance(document, dict) else []
        for task in tasks:
            if isinstance(task, dict) and task.get("site"):
                sites[f"tasks/{path.name}: {task.get('id')}"] = str(task["site"])
    return sites


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """A service's mounts: target path -> source (a volume name or a project-relative path)."""
    result: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            source, target = str(volume.get("source", "")), str(volume["target"])
        else:
            parts = interpolate(str(volume)).split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
        result[target.rstrip("/") or "/"] = source
    return result


def is_named_volume(source: str) -> bool:
    return bool(source) and not source.startswith((".", "/", "~")) and "/" not in source


def database_url(value: str) -> SplitResult:
    return urlsplit(interpolate(value))


@cache
def dockerfile_lines() -> list[str]:
    """Dockerfile instructions, comments dropped and continuation lines joined."""
    assert DOCKERFILE.is_file(), "Dockerfile is missing at the project root"
    lines: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def dockerfile_copies() -> list[tuple[list[str], str]]:
    """The COPY instructions from the build context: (sources, destination)."""
    copies = []
    for line in dockerfile_lines():
        keyword, _, rest = line.partition(" ")
        if keyword.upper() not in ("COPY", "ADD"):
            continue
        args = json.loads(rest) if rest.lstrip().startswith("[") else shlex.split(rest)
        if any(arg.startswith("--from") for arg in args):
            continue
        args = [arg for arg in args if not arg.startswith("--")]
        copies.append((args[:-1], args[-1]))
    return copies


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in dockerfile_lines():
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def image_tag() -> tuple[str, str]:
    """(Airflow version, Python version) of the Dockerfile's base image."""
    for line in dockerfile_lines():
        match = re.match(r"FROM\s+apache/airflow:(\S+?)-python(\d+\.\d+)\b", line, re.IGNORECASE)
        if match:
            return match.group(1), match.group(2)
    pytest.fail("the Dockerfile does not start FROM apache/airflow:<version>-python<X.Y>")


def dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` (or a folder above it) out of the build context."""
    if not DOCKERIGNORE.is_file():
        return False
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    parts = Path(path.strip("/")).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        globs = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(c, g) for c in candidates for g in globs):
            ignored = not negated
    return ignored


def env_names_read_by_source() -> set[str]:
    """COMPTOIR_* names that appear as string literals in the project's Python code."""
    names: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in folder.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and re.fullmatch(r"COMPTOIR_[A-Z0-9_]+", node.value)
                ):
                    names.add(node.value)
    return names


def comptoir_env_settings() -> Iterator[tuple[str, str]]:
    """(where, name) of every COMPTOIR_* variable given to a container."""
    for name, service in services().items():
        for key in environment(service):
            if key.startswith("COMPTOIR_"):
                yield f"{COMPOSE_FILE.name} service {name}", key
    for key in dockerfile_env():
        if key.startswith("COMPTOIR_"):
            yield "Dockerfile ENV", key


def pinned_airflow_version() -> str | None:
    """The apache-airflow pin of requirements.txt (else constraints.txt)."""
    for filename in ("requirements.txt", "constraints.txt"):
        path = ROOT / filename
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s*apache-airflow(\[[^\]]*\])?\s*==\s*([^\s;#]+)", line, re.I)
            if match:
                return match.group(2)
    return None


# --- compose: structure -----------------------------------------------------------------------


def test_depends_on_names_existing_services() -> None:
    for name, service in services().items():
        for dependency in service.get("depends_on") or []:
            assert dependency in services(), (
                f"service {name} depends on {dependency!r}, which is not a service"
            )


def test_depends_on_conditions_can_be_met() -> None:
    for name, service in services().items():
        depends_on = service.get("depends_on") or {}
        if not isinstance(depends_on, dict):
            continue
        for dependency, spec in depends_on.items():
            condition = (spec or {}).get("condition")
            target = services().get(dependency, {})
            if condition == "service_healthy":
                assert "healthcheck" in target, (
                    f"service {name} waits for {dependency} to be healthy, "
                    f"but {dependency} has no healthcheck"
                )
            if condition == "service_completed_successfully":
                assert target.get("restart") in (None, "no", "on-failure"), (
                    f"service {name} waits for {dependency} to complete, "
                    f"but {dependency} restarts {target.get('restart')!r}"
                )


def test_named_volumes_are_declared() -> None:
    declared = set(compose().get("volumes") or {})
    for name, service in services().items():
        for target, source in mounts(service).items():
            if is_named_volume(source):
                assert source in declared, (
                    f"service {name} mounts volume {source!r} at {target}, "
                    f"but {COMPOSE_FILE.name} does not declare it under volumes:"
                )


def test_expected_components_are_there() -> None:
    expected = {
        "postgres",
        "redis",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-init",
    }
    missing = expected - set(services())
    assert not missing, f"{COMPOSE_FILE.name} lacks the services {sorted(missing)}"


# --- sites and queues -------------------------------------------------------------------------


def test_sites_are_valid_queue_names() -> None:
    sites = deployment_sites()
    for site in sites:
        assert SITE_NAME.match(site), f"site {site!r} in x-comptoir-sites is not a queue name"
    assert len(set(sites)) == len(sites), f"x-comptoir-sites lists a site twice: {sites}"
    assert HEAD_OFFICE_SITE in sites, f"x-comptoir-sites lacks the head office {HEAD_OFFICE_SITE!r}"


def test_workers_listen_only_on_sites() -> None:
    workers = worker_queues()
    assert workers, f"{COMPOSE_FILE.name} has no Celery worker"
    sites = set(deployment_sites())
    for name, queues in workers.items():
        for queue in queues:
            assert queue in sites or queue == DEFAULT_QUEUE, (
                f"worker {name} listens on queue {queue!r}, which is neither a site of "
                f"x-comptoir-sites {sorted(sites)} nor {DEFAULT_QUEUE!r}"
            )


def test_every_site_and_the_default_queue_are_served() -> None:
    served = {queue for queues in worker_queues().values() for queue in queues}
    for site in deployment_sites():
        assert site in served, f"site {site!r} of x-comptoir-sites has no worker listening on it"
    assert HEAD_OFFICE_SITE in served, f"no worker listens on the head office {HEAD_OFFICE_SITE!r}"
    assert DEFAULT_QUEUE in served, (
        f"no worker listens on {DEFAULT_QUEUE!r}: tasks of DAGs without a site would never run"
    )


def test_worker_service_names_follow_their_site() -> None:
    for name, queues in worker_queues().items():
        assert name == f"airflow-worker-{queues[0]}", (
            f"worker {name} listens first on {queues[0]!r}: name it airflow-worker-{queues[0]}"
        )


def test_every_task_site_is_deployed() -> None:
    sites = set(deployment_sites())
    served = {queue for queues in worker_queues().values() for queue in queues}
    for task, site in task_sites().items():
        assert site in sites, (
            f"{task} belongs to site {site!r}, missing from x-comptoir-sites in {COMPOSE_FILE.name}"
        )
        assert site in served, f"{task} belongs to site {site!r}, but no worker listens on it"


def test_default_queue_setting_matches_the_served_queue() -> None:
    for name, service in airflow_services().items():
        configured = environment(service).get("AIRFLOW__OPERATORS__DEFAULT_QUEUE", DEFAULT_QUEUE)
        assert configured == DEFAULT_QUEUE, (
            f"service {name} sets the default queue to {configured!r}, "
            f"but the central worker serves {DEFAULT_QUEUE!r}"
        )


# --- environment ------------------------------------------------------------------------------


def test_comptoir_variables_are_ones_the_project_reads() -> None:
    read = env_names_read_by_source()
    for where, name in comptoir_env_settings():
        assert name in PROJECT_ENV_VARS, (
            f"{where} sets {name}, which the project does not read "
            f"(known: {sorted(PROJECT_ENV_VARS)})"
        )
        assert name in read or name in AWAITED_ENV_VARS, (
            f"{where} sets {name}, but no code in include/comptoir, plugins or dags reads it"
        )


def test_known_variables_are_read_by_the_code() -> None:
    read = env_names_read_by_source()
    stale = sorted(PROJECT_ENV_VARS - AWAITED_ENV_VARS - read)
    assert not stale, f"PROJECT_ENV_VARS lists {stale}, which no code reads any more"


def test_airflow_services_share_the_comptoir_environment() -> None:
    expected = {"COMPTOIR_DATABASE_URL", "COMPTOIR_HOME", "COMPTOIR_TASKS_DIR"}
    reference: dict[str, str] | None = None
    for name, service in airflow_services().items():
        env = {k: v for k, v in environment(service).items() if k.startswith("COMPTOIR_")}
        missing = expected - set(env)
        assert not missing, f"service {name} does not set {sorted(missing)}"
        if reference is None:
            reference = env
        assert env == reference, (
            f"service {name} sets the COMPTOIR_* variables to {env}, other services to {reference}"
        )
    assert reference is not None, f"{COMPOSE_FILE.name} has no Airflow service"


def test_data_home_and_tasks_are_shared_by_every_airflow_service() -> None:
    for variable in ("COMPTOIR_HOME", "COMPTOIR_TASKS_DIR"):
        sources: set[str] = set()
        for name, service in airflow_services().items():
            path = environment(service)[variable].rstrip("/")
            source = mounts(service).get(path)
            assert source, f"service {name} sets {variable}={path} but mounts nothing there"
            sources.add(source)
        assert len(sources) == 1, f"{variable} is mounted from different places: {sorted(sources)}"
        if variable == "COMPTOIR_HOME":
            (home,) = sources
            assert is_named_volume(home), (
                f"COMPTOIR_HOME is mounted from {home!r}: use a named volume shared by the workers"
            )


def test_dockerfile_paths_agree_with_compose() -> None:
    image_env = dockerfile_env()
    for name, service in airflow_services().items():
        env = environment(service)
        for variable in ("COMPTOIR_HOME", "COMPTOIR_TASKS_DIR"):
            if variable in image_env:
                assert env[variable] == image_env[variable], (
                    f"service {name} sets {variable}={env[variable]}, "
                    f"the Dockerfile {image_env[variable]}"
                )


def test_project_folders_land_where_airflow_and_comptoir_look() -> None:
    copies = {
        tuple(sources): destination.rstrip("/") for sources, destination in dockerfile_copies()
    }
    for name, service in airflow_services().items():
        env = environment(service)
        expected = {
            "dags": env.get("AIRFLOW__CORE__DAGS_FOLDER", "/opt/airflow/dags"),
            "plugins": env.get("AIRFLOW__CORE__PLUGINS_FOLDER", "/opt/airflow/plugins"),
            "tasks": env["COMPTOIR_TASKS_DIR"],
        }
        for folder, path in expected.items():
            path = path.rstrip("/")
            copied_to = copies.get((f"{folder}/",)) or copies.get((folder,))
            assert copied_to == path, (
                f"the Dockerfile copies {folder}/ to {copied_to}, "
                f"service {name} reads it from {path}"
            )
            source = mounts(service).get(path)
            if source is not None and not is_named_volume(source):
                assert Path(source).name == folder, (
                    f"service {name} mounts {source} at {path}, where {folder}/ is expected"
                )


# --- the dossier database ---------------------------------------------------------------------


def test_dossier_is_its_own_database_next_to_airflows() -> None:
    for name, service in airflow_services().items():
        env = environment(service)
        dossier = database_url(env["COMPTOIR_DATABASE_URL"])
        metadata = database_url(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        assert dossier.scheme.split("+")[0] in ("postgresql", "postgres"), (
            f"service {name}: the dossier URL is not PostgreSQL ({dossier.scheme})"
        )
        assert dossier.path.lstrip("/") == DOSSIER_DATABASE, (
            f"service {name}: the dossier URL names database {dossier.path.lstrip('/')!r}, "
            f"expected {DOSSIER_DATABASE!r}"
        )
        assert dossier.path.lstrip("/") != metadata.path.lstrip("/"), (
            f"service {name}: the dossier and Airflow's metadata share database {dossier.path}"
        )
        assert dossier.hostname in services(), (
            f"service {name}: the dossier host {dossier.hostname!r} is not a service"
        )


def test_postgres_creates_the_dossier_the_url_names() -> None:
    postgres = services()["postgres"]
    source = mounts(postgres).get("/docker-entrypoint-initdb.d")
    assert source, (
        "the postgres service does not mount an init folder at /docker-entrypoint-initdb.d"
    )
    assert (ROOT / source).resolve() == POSTGRES_INIT_DIR, (
        f"postgres mounts {source} as its init folder, expected deploy/postgres-init"
    )
    scripts = sorted(p for p in POSTGRES_INIT_DIR.iterdir() if p.suffix in (".sh", ".sql"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in scripts)
    created = re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)", text, re.IGNORECASE)
    assert DOSSIER_DATABASE in created, (
        f"deploy/postgres-init creates databases {created}, not {DOSSIER_DATABASE!r}"
    )

    # The role the script creates is the one the dossier URL logs in with.
    postgres_env = environment(postgres)
    url_env = environment(next(iter(airflow_services().values())))
    dossier = urlsplit(interpolate(url_env["COMPTOIR_DATABASE_URL"], names=True))
    for variable, in_url in (
        ("DOSSIER_DB_USER", dossier.username),
        ("DOSSIER_DB_PASSWORD", dossier.password),
    ):
        assert variable in text, f"deploy/postgres-init does not use {variable}"
        given = interpolate(postgres_env.get(variable, ""), names=True)
        assert given == in_url, (
            f"postgres gets {variable}={given!r}, but COMPTOIR_DATABASE_URL uses {in_url!r}"
        )


def test_init_migrates_the_dossier() -> None:
    init = services()["airflow-init"]
    script = " ".join(command_args(init))
    assert "comptoir db upgrade" in script, "airflow-init does not run `comptoir db upgrade`"
    assert "COMPTOIR_DATABASE_URL" in environment(init), "airflow-init has no COMPTOIR_DATABASE_URL"


# --- the image --------------------------------------------------------------------------------


def test_dockerfile_copies_existing_files() -> None:
    copies = dockerfile_copies()
    assert copies, "the Dockerfile copies nothing from the project"
    for sources, _ in copies:
        for source in sources:
            assert (ROOT / source).exists(), (
                f"the Dockerfile copies {source}, which does not exist at the project root"
            )


def test_dockerfile_copies_nothing_dockerignore_excludes() -> None:
    for sources, _ in dockerfile_copies():
        for source in sources:
            assert not dockerignored(source), (
                f"the Dockerfile copies {source}, but .dockerignore leaves it out of the context"
            )


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    for path in (".venv", "var", ".git", ".env", "include/comptoir/__pycache__"):
        assert dockerignored(path), f".dockerignore does not exclude {path}"


def test_image_airflow_matches_the_pinned_version() -> None:
    pinned = pinned_airflow_version()
    assert pinned, "requirements.txt (or constraints.txt) does not pin apache-airflow==X"
    tagged, _ = image_tag()
    assert tagged == pinned, f"the Dockerfile uses Airflow {tagged}, requirements pin {pinned}"


def test_image_python_satisfies_requires_python() -> None:
    _, python = image_tag()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requires = SpecifierSet(project.get("requires-python", ""))
    assert requires.contains(f"{python}.0"), (
        f"the image runs Python {python}, pyproject requires {requires}"
    )
