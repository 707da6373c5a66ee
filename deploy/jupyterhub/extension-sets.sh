#!/usr/bin/env bash
# The extension sets and nbgrader's global settings, installed into a course environment:
#
#   deploy/jupyterhub/extension-sets.sh /opt/syslead-hub     (configure.sh runs this)
#   deploy/jupyterhub/extension-sets.sh /opt/conda           (the Kubernetes course image runs this)
#
# - learners (the environment's default, as on Binder but with nbgrader's Assignments tab): no
#   formgrader, no assignment editor, no course list, no news pop-up; the plugins are locked so that
#   JupyterLab's plugin manager cannot switch them back on, and the server extensions are off;
# - tutors (PREFIX/etc/jupyter-tutor, added by the hub through JUPYTER_CONFIG_PATH): the course list;
# - the grader (PREFIX/etc/jupyter-grader): formgrader, assignment editor, course list.
# Safe to run again.
set -euo pipefail

PREFIX="${1:?give the environment folder, for example /opt/syslead-hub}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JUPYTER="$PREFIX/bin/jupyter"
[ -x "$JUPYTER" ] || { echo "extension-sets.sh: no Jupyter in $PREFIX/bin." >&2; exit 2; }

for plugin in formgrader create-assignment course-list; do
  "$JUPYTER" labextension disable --level=sys_prefix "@jupyter/nbgrader:${plugin}" >/dev/null 2>&1
  "$JUPYTER" labextension lock --level=sys_prefix "@jupyter/nbgrader:${plugin}" >/dev/null 2>&1
done
"$JUPYTER" labextension disable --level=sys_prefix "@jupyterlab/apputils-extension:announcements" >/dev/null 2>&1
install -m 0644 -D "$HERE/jupyter-config/learner/jupyter_server_config.d/syslead-learners.json" \
  "$PREFIX/etc/jupyter/jupyter_server_config.d/syslead-learners.json"
install -m 0644 -D "$HERE/nbgrader_config.py" "$PREFIX/etc/jupyter/nbgrader_config.py"
for set in tutor grader; do
  rm -rf "$PREFIX/etc/jupyter-$set"
  cp -r "$HERE/jupyter-config/$set" "$PREFIX/etc/jupyter-$set"
done
chmod -R a+rX "$PREFIX/etc"
