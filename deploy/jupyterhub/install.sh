#!/usr/bin/env bash
# Step 1 of deploy/jupyterhub/README.md: install JupyterHub, the course and the proxy on one server.
#
#   sudo deploy/jupyterhub/install.sh
#
# Installs what is missing and is safe to run again (it then refreshes the course package):
# - Debian packages: python3-venv (the system Python, which every learner's account can run) and
#   Node.js with npm (for the proxy), acl (setfacl, for reflection circles), only if they are not there yet;
# - one Python environment for everybody in $SYSLEAD_HUB_PREFIX (default /opt/syslead-hub):
#   JupyterHub from PyPI and the course package from this checkout, with its dependencies
#   (JupyterLab, nbgrader, pandas, matplotlib, numpy, ipywidgets);
# - configurable-http-proxy from the npm registry, in $SYSLEAD_HUB_PREFIX/proxy.
set -euo pipefail

PREFIX="${SYSLEAD_HUB_PREFIX:-/opt/syslead-hub}"
COURSE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JUPYTERHUB_SPEC="jupyterhub>=5,<7"
PROXY_SPEC="configurable-http-proxy@^5"

if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run this as root (sudo), because it installs system packages into $PREFIX." >&2
  exit 2
fi

missing=()
# The environment must be built on the system Python (/usr/bin/python3): a Python under /root or a
# home folder cannot be run by the learners' accounts.
/usr/bin/python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
# setfacl: a reflection circle's folder in the exchange is readable by its members only (syslead circles).
command -v setfacl >/dev/null 2>&1 || missing+=(acl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ ! -x "$PREFIX/bin/python" ]; then
  echo "Creating the course environment in $PREFIX"
  /usr/bin/python3 -m venv "$PREFIX"
fi
"$PREFIX/bin/python" -m pip install --quiet --upgrade pip
# The exact versions Binder builds (constraints.txt, made from environment.yml).
# [tutor]: the grading sandbox (bubblewrap), psutil and nh3, for the tutors who grade on the hub.
"$PREFIX/bin/python" -m pip install --quiet -c "$COURSE_ROOT/constraints.txt" "$JUPYTERHUB_SPEC" "$COURSE_ROOT[tutor]"
# The course package itself always from this checkout (same version number, newer code).
"$PREFIX/bin/python" -m pip install --quiet --no-deps --force-reinstall "$COURSE_ROOT"
# The grading sandbox's kernel (syslead-sandbox), which the course's grading pipeline names: formgrader's
# Autograde and plain `nbgrader autograde` run learners' code only in it (docs/grading-safely.md).
"$PREFIX/bin/python" -c 'from syslead.grading.sandbox import install_kernel; print("Grading kernel in", install_kernel())'

if [ ! -x "$PREFIX/proxy/node_modules/.bin/configurable-http-proxy" ]; then
  echo "Installing configurable-http-proxy into $PREFIX/proxy"
  mkdir -p "$PREFIX/proxy"
  npm install --silent --no-audit --no-fund --prefix "$PREFIX/proxy" "$PROXY_SPEC"
fi

chmod -R a+rX "$PREFIX"
echo "Installed: $("$PREFIX/bin/jupyterhub" --version | tail -n 1) (JupyterHub)," \
  "$("$PREFIX/proxy/node_modules/.bin/configurable-http-proxy" --version) (configurable-http-proxy)," \
  "syslead $("$PREFIX/bin/python" -c 'import syslead; print(syslead.__version__)') in $PREFIX"
