#!/usr/bin/env bash
# The course hub (tests/integration/test_hub.py, benchmarks/bench_hub.py): step 1 of deploy/jupyterhub/README.md,
# exactly as an IT team runs it. It installs what is missing (python3-venv, Node.js and npm from
# Debian), the course environment in /opt/syslead-hub (JupyterHub from PyPI and this checkout's course
# package) and configurable-http-proxy from the npm registry; run again, it refreshes the course
# package. The test then runs steps 2 to 4 itself (configure.sh, add-person.sh, the hub command) with
# its own accounts, folders and ports. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/../.."

# useradd, userdel, chpasswd and runuser (the test creates and removes real accounts).
for tool in useradd userdel chpasswd runuser; do
  command -v "$tool" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq passwd util-linux; break; }
done

bash deploy/jupyterhub/install.sh
