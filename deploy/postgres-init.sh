#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (the official image runs every file in
# /docker-entrypoint-initdb.d as the superuser). Creates the application's own role and database:
# the role logs in with STADSVRAAG_DB_PASSWORD, owns only the `stadsvraag` database (so `stadsvraag migrate`
# can create and alter its tables), and is no superuser, cannot create roles or databases and cannot connect
# to any other database. The superuser's password (POSTGRES_PASSWORD, in postgres.env) never reaches the app.
# Also run by tests/unit/test_deploy.py against the test server, with PSQL pointing at it.
set -eu
: "${STADSVRAAG_DB_PASSWORD:?set STADSVRAAG_DB_PASSWORD}"
APP_DB="${STADSVRAAG_DB_NAME:-stadsvraag}"
APP_ROLE="${STADSVRAAG_DB_USER:-stadsvraag}"
PSQL="${PSQL:-psql --username ${POSTGRES_USER:-postgres} --dbname postgres}"
MAINTENANCE_DB="${STADSVRAAG_MAINTENANCE_DB:-postgres}"  # the superuser's own database: no connections from others
# psql variables (:'x', :"x") quote the values, so a password with quotes cannot break out of the statement
$PSQL -v ON_ERROR_STOP=1 -v role="$APP_ROLE" -v db="$APP_DB" -v password="$STADSVRAAG_DB_PASSWORD" \
      -v maintenance="$MAINTENANCE_DB" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  CONNECTION LIMIT 100;
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"role";
REVOKE CONNECT ON DATABASE :"maintenance" FROM PUBLIC;
SQL
