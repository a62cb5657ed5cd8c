#!/usr/bin/env bash
# Creates the Comptoir dossier: database `comptoir`, owned by its own role, on the same
# PostgreSQL server as Airflow's metadata database (`airflow`).
#
# The postgres image runs the files of /docker-entrypoint-initdb.d once, on the first start
# with an empty data volume. The role's name and password come from docker-compose.yaml
# (DOSSIER_DB_USER / DOSSIER_DB_PASSWORD, set from COMPTOIR_DB_USER / COMPTOIR_DB_PASSWORD
# in .env). The tables are created afterwards by `comptoir db upgrade` (service airflow-init).
set -e

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v dossier_user="${DOSSIER_DB_USER:?DOSSIER_DB_USER is not set}" \
    -v dossier_password="${DOSSIER_DB_PASSWORD:?DOSSIER_DB_PASSWORD is not set}" <<'EOSQL'
CREATE ROLE :"dossier_user" LOGIN PASSWORD :'dossier_password';
CREATE DATABASE comptoir OWNER :"dossier_user";
EOSQL
