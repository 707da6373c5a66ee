#!/usr/bin/env bash
# Step 3 of deploy/jupyterhub/README.md: put a person on the course.
#
#   sudo deploy/jupyterhub/add-person.sh learner ada     # then: sudo passwd ada
#   sudo deploy/jupyterhub/add-person.sh tutor mo
#
# Creates the Unix account if it does not exist (home folder private to its owner, mode 0700, so no
# learner can open another's work), and adds it to the course's Unix group for that role. Accounts
# that already exist (for example from your directory service) are only added to the group. A
# password given on standard input is set with chpasswd; otherwise set one with passwd.
set -euo pipefail

LEARNERS="${SYSLEAD_LEARNERS_GROUP:-syslead-learners}"
TUTORS="${SYSLEAD_TUTORS_GROUP:-syslead-tutors}"

fail() { echo "add-person.sh: $*" >&2; exit 2; }
[ $# -eq 2 ] || fail "give a role and a user name, for example: add-person.sh learner ada"
role="$1"
name="$2"
case "$role" in
  learner) group="$LEARNERS" ;;
  tutor) group="$TUTORS" ;;
  *) fail "the role must be 'learner' or 'tutor', not '$role'." ;;
esac
[ "$(id -u)" = 0 ] || fail "run this as root (sudo): it creates accounts."
getent group "$group" >/dev/null || fail "there is no Unix group '$group': run deploy/jupyterhub/configure.sh first."

if ! id "$name" >/dev/null 2>&1; then
  useradd --create-home --key HOME_MODE=0700 --shell /bin/bash "$name"
fi
home="$(getent passwd "$name" | cut -d: -f6)"
[ -d "$home" ] && chmod 0700 "$home"
usermod --append --groups "$group" "$name"

if [ ! -t 0 ]; then
  IFS= read -r password || true
  if [ -n "${password:-}" ]; then
    printf '%s:%s\n' "$name" "$password" | chpasswd
  fi
fi
echo "$name is a $role on the course (Unix group $group)."
