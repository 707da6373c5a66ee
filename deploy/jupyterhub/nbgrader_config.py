"""nbgrader settings for everyone on the hub (the global config, as nbgrader's JupyterHub docs call it).

extension-sets.sh installs this file as ``<prefix>/etc/jupyter/nbgrader_config.py`` in the course
environment, so every server the hub starts reads it: learners', tutors' and the formgrader's. The
hub passes the course id and the exchange folder to every server (SYSLEAD_COURSE_ID,
SYSLEAD_EXCHANGE). The grader's extension set adds its own settings on top (jupyter-config/grader/),
and the course folder's own nbgrader_config.py sets the course root for the formgrader.

Two layouts of the exchange (SYSLEAD_EXCHANGE_LAYOUT):

- ``shared`` (the default, one server): nbgrader's own layout, one folder for everyone. Each
  learner is a Unix user; file permissions keep learners apart (inbound is write-only for them).
- ``per-learner`` (Kubernetes, deploy/kubernetes/): every learner's pod runs as the same user, so
  file permissions cannot keep them apart; instead each pod mounts only its own part of the shared
  volume: ``inbound/<learner>`` as its inbound folder and ``feedback/<learner>`` as its feedback
  folder (outbound read-only). Learners need nothing special; the tutor's nbgrader collects from and
  releases feedback into those per-learner folders (the two classes below).
"""

import glob
import os
import pwd

from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

from syslead.grading.submissions import SafeExchangeCollect

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

PER_LEARNER = os.environ.get("SYSLEAD_EXCHANGE_LAYOUT", "shared") == "per-learner"

# One course on this hub: learners need not name it.
c.CourseDirectory.course_id = os.environ.get("SYSLEAD_COURSE_ID", "systems-leadership")

# The shared exchange: world-writable with the sticky bit (mode 1777), like /tmp, so that nobody can
# rename or remove a folder they do not own; configure.sh creates it and the course's folders in it.
c.Exchange.root = os.environ.get("SYSLEAD_EXCHANGE", "/srv/nbgrader/exchange")

# Course membership comes from the hub's groups (nbgrader-COURSE, formgrade-COURSE): the Assignments
# tab lists the courses a learner is on, and a learner not on the course cannot fetch or submit.
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"

# A reflection circle (syslead circles) is released readable by its members only; the Assignments tab
# lists only what this learner can open.
c.ExchangeFactory.list = "syslead.learner.exchange.ReadableList"


class OwnerCheckedCollect(SafeExchangeCollect):
    """Collect only submissions that belong to the learner they name (and, as SafeExchangeCollect does,
    never follow or copy a link, device or FIFO in them).

    ``nbgrader submit --student=NAME`` lets anyone put a submission in the inbound folder under
    another learner's name, and plain ``nbgrader collect`` only warns when the folder's owner differs
    from the name (CollectApp.check_owner), then collects the newest. Here the submitter is known for
    sure: on one server, the Unix owner of the submission folder; in the per-learner layout, the
    learner's own inbound folder it was found in. Submissions in someone else's name are logged and
    never collected, so one learner cannot replace another's work; each learner's newest genuine
    submission is collected (or, with --before-duedate, their newest one before the due date).
    """

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        record["filename"] = os.path.relpath(path, self.inbound_path)  # learner/submission when per-learner
        return record

    def _submitter(self, record) -> str:
        if PER_LEARNER:
            return record["filename"].split(os.sep)[0]
        uid = os.stat(os.path.join(self.inbound_path, record["filename"])).st_uid
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return f"uid {uid}"

    def init_src(self):
        super().init_src()  # checks the inbound folder and reads the due date
        student = self.coursedir.student_id or "*"
        name = f"{student}+{self.coursedir.assignment_id}+*"
        pattern = os.path.join(self.inbound_path, "*", name) if PER_LEARNER else os.path.join(self.inbound_path, name)
        by_learner = {}
        for path in glob.glob(pattern):
            record = self._path_to_record(path)
            submitter = self._submitter(record)
            if submitter != record["username"]:
                self.log.warning(
                    "Not collected: %s says it is from %s but was submitted by %s (someone submitted in another "
                    "learner's name).", record["filename"], record["username"], submitter,
                )
                continue
            by_learner.setdefault(record["username"], []).append(record)
        self.src_records = []
        for records in by_learner.values():
            newest_first = self._sort_by_timestamp(records)
            if self.before_duedate and self.duedate is not None:
                on_time = [r for r in newest_first if r["timestamp"] <= self.duedate]
                self.src_records.append((on_time or newest_first)[0])
            else:
                self.src_records.append(newest_first[0])


class PerLearnerReleaseFeedback(ExchangeReleaseFeedback):
    """In the per-learner layout, release each learner's feedback into their own feedback folder."""

    def copy_files(self):
        if not PER_LEARNER:
            return super().copy_files()
        shared, everyone = self.dest_path, self.src_path
        try:
            for folder in sorted(glob.glob(everyone)):
                learner = os.path.basename(os.path.dirname(folder))
                self.src_path, self.dest_path = folder, os.path.join(shared, learner)
                os.makedirs(self.dest_path, exist_ok=True)
                super().copy_files()
        finally:
            self.src_path, self.dest_path = everyone, shared


c.ExchangeFactory.collect = OwnerCheckedCollect
c.ExchangeFactory.release_feedback = PerLearnerReleaseFeedback
