# syntax=docker/dockerfile:1
# The Comptoir image: the official Airflow image, the project's requirements (pinned by
# constraints.txt), the comptoir package (include/comptoir), the DAGs, the plugins and the
# task definitions. Used by every service of docker-compose.yaml.
#
# Keep the tag in step with the apache-airflow pin of requirements.txt and with
# requires-python (tests/test_deployment.py checks both).
FROM apache/airflow:3.3.2-python3.11

# Installed (not editable), the package cannot find the project root: say where things are.
ENV COMPTOIR_HOME=/opt/comptoir/var \
    COMPTOIR_TASKS_DIR=/opt/comptoir/tasks

USER root
RUN mkdir -p /opt/comptoir/var /opt/comptoir/tasks /opt/comptoir/src /opt/airflow/auth \
    && chown -R airflow:0 /opt/comptoir /opt/airflow/auth \
    && chmod -R g+rwX /opt/comptoir /opt/airflow/auth
USER airflow

# Dependencies first, so that this layer is rebuilt only when they change. Airflow itself stays
# at the image's version.
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/comptoir/src/
RUN pip install --no-cache-dir -c /opt/comptoir/src/constraints.txt \
        "apache-airflow==${AIRFLOW_VERSION}" -r /opt/comptoir/src/requirements.txt

# The comptoir package and its `comptoir` command, without touching the dependencies.
COPY --chown=airflow:0 pyproject.toml /opt/comptoir/src/
COPY --chown=airflow:0 include/ /opt/comptoir/src/include/
RUN pip install --no-cache-dir --no-deps /opt/comptoir/src

COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --chown=airflow:0 tasks/ /opt/comptoir/tasks/
