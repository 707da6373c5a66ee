#!/usr/bin/env bash
# PostgreSQL for tests/integration/test_tutor_postgres.py: `syslead autograde` against a server gradebook.
# Installs Debian's postgresql when missing, starts a cluster, and makes a role and database for the tests:
#   postgresql://syslead:syslead@127.0.0.1:PORT/syslead_test   (the tests read SYSLEAD_TEST_POSTGRES_URL,
#   and default to port 5432). Safe to run twice.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if [ -z "$(pg_lsclusters -h)" ]; then
  pg_createcluster "$version" main
fi
read -r cluster_version cluster_name port status _ < <(pg_lsclusters -h | head -n 1)
if [ "$status" != "online" ]; then
  pg_ctlcluster "$cluster_version" "$cluster_name" start
fi
for _ in $(seq 60); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$port"

as_postgres() { su postgres -s /bin/sh -c "$1"; }
if ! as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'syslead'\"" | grep -q 1; then
  as_postgres "psql -p $port -c \"CREATE ROLE syslead LOGIN CREATEDB PASSWORD 'syslead'\""
fi
if ! as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = 'syslead_test'\"" | grep -q 1; then
  as_postgres "createdb -p $port -O syslead syslead_test"
fi
echo "PostgreSQL $cluster_version ready for the tests: postgresql://syslead:***@127.0.0.1:$port/syslead_test"
