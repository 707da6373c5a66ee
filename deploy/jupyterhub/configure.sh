#!/usr/bin/env bash
# Step 2 of deploy/jupyterhub/README.md: set up the course on a server where install.sh has run.
#
#   sudo deploy/jupyterhub/configure.sh
#
# Safe to run again: it never overwrites the course folder (which holds the gradebook) or the hub's
# database; it refreshes the configuration files. Settings come from these variables (defaults
# after the colon); the hub reads them from $SYSLEAD_HUB_STATE/course.json, written here.
set -euo pipefail

PREFIX="${SYSLEAD_HUB_PREFIX:-/opt/syslead-hub}"          # the course environment (install.sh)
STATE="${SYSLEAD_HUB_STATE:-/srv/jupyterhub}"             # hub config, database, cookie secret
EXCHANGE="${SYSLEAD_EXCHANGE:-/srv/nbgrader/exchange}"    # nbgrader's shared exchange
COURSE="${SYSLEAD_COURSE_ID:-systems-leadership}"         # nbgrader course id
GRADER="${SYSLEAD_GRADER:-grader-$COURSE}"                # Unix account that runs the formgrader
LEARNERS="${SYSLEAD_LEARNERS_GROUP:-syslead-learners}"    # Unix group: may log in, takes the course
TUTORS="${SYSLEAD_TUTORS_GROUP:-syslead-tutors}"          # Unix group: may log in and grade
BIND_URL="${SYSLEAD_HUB_BIND_URL:-http://127.0.0.1:8000}" # public address (put HTTPS in front)
HUB_API_PORT="${SYSLEAD_HUB_API_PORT:-8081}"
PROXY_API_PORT="${SYSLEAD_PROXY_API_PORT:-8001}"
FORMGRADER_PORT="${SYSLEAD_FORMGRADER_PORT:-9999}"
ADMINS="${SYSLEAD_HUB_ADMINS:-}"                          # hub admins, comma-separated (optional)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COURSE_ROOT="$(cd "$HERE/../.." && pwd)"

fail() { echo "configure.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || fail "run this as root (sudo): it creates accounts and folders."
[ -x "$PREFIX/bin/jupyterhub-singleuser" ] || fail "no course environment in $PREFIX: run deploy/jupyterhub/install.sh first."

# 1. Unix groups for the people on the course, and the grader account (no password, no login shell;
#    its home, which holds the course folder and gradebook, is private).
getent group "$LEARNERS" >/dev/null || groupadd "$LEARNERS"
getent group "$TUTORS" >/dev/null || groupadd "$TUTORS"
if ! id "$GRADER" >/dev/null 2>&1; then
  useradd --create-home --key HOME_MODE=0700 --shell /usr/sbin/nologin --user-group "$GRADER"
fi
GRADER_HOME="$(getent passwd "$GRADER" | cut -d: -f6)"
chmod 0700 "$GRADER_HOME"

# 2. The course folder in the grader's home: the instructor version (source/), the learner version
#    (release/), the start page and data, and the course's nbgrader_config.py. Kept if it exists.
COURSE_DIR="$GRADER_HOME/$COURSE"
if [ ! -d "$COURSE_DIR" ]; then
  mkdir -p "$COURSE_DIR"
  for part in source release notebooks data nbgrader_config.py; do
    cp -r "$COURSE_ROOT/$part" "$COURSE_DIR/"
  done
  find "$COURSE_DIR" -name .ipynb_checkpoints -prune -exec rm -rf {} +
  chown -R "$GRADER:$GRADER" "$COURSE_DIR"
  echo "Course folder created: $COURSE_DIR"
else
  echo "Course folder kept as it is: $COURSE_DIR"
fi

# 3. The exchange, with the permissions nbgrader expects: the root writable by all with the sticky
#    bit; the course folder owned by the grader account; inbound write-only for learners (they can
#    add a submission but not list or open others'), outbound readable, feedback reachable only by
#    the exact name of a learner's own feedback file.
mkdir -p "$EXCHANGE"
chmod 1777 "$EXCHANGE"
install -d -o "$GRADER" -g "$GRADER" -m 0755 "$EXCHANGE/$COURSE"
install -d -o "$GRADER" -g "$GRADER" -m 3733 "$EXCHANGE/$COURSE/inbound"
install -d -o "$GRADER" -g "$GRADER" -m 0755 "$EXCHANGE/$COURSE/outbound"
install -d -o "$GRADER" -g "$GRADER" -m 0711 "$EXCHANGE/$COURSE/feedback"

# 4. The extension sets and nbgrader's global settings in the course environment (the Kubernetes
#    course image runs the same script).
bash "$HERE/extension-sets.sh" "$PREFIX"

# 5. The hub's own folder: its configuration and this installation's settings. Private to root: it
#    will also hold the hub's database and cookie secret.
install -d -m 0700 "$STATE"
install -m 0644 "$HERE/jupyterhub_config.py" "$STATE/jupyterhub_config.py"
"$PREFIX/bin/python" - "$STATE/course.json" <<PY
import json, sys
settings = {
    "course_id": "$COURSE", "prefix": "$PREFIX", "exchange": "$EXCHANGE", "grader": "$GRADER",
    "course_dir": "$COURSE_DIR", "learners_group": "$LEARNERS", "tutors_group": "$TUTORS",
    "bind_url": "$BIND_URL", "hub_api_port": int("$HUB_API_PORT"), "proxy_api_port": int("$PROXY_API_PORT"),
    "formgrader_port": int("$FORMGRADER_PORT"), "admins": [a for a in "$ADMINS".split(",") if a],
}
with open(sys.argv[1], "w") as f:
    json.dump(settings, f, indent=2)
PY
echo "Configured course $COURSE: hub settings in $STATE/course.json, exchange in $EXCHANGE."
echo "Start the hub: cd $STATE && $PREFIX/bin/jupyterhub -f $STATE/jupyterhub_config.py"
