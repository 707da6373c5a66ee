"""nbgrader settings for the grader account's formgrader service, on top of the hub's global ones.

The formgrader does not change the hub's course groups: they follow the Unix groups (see
jupyterhub_config.py), so the grader uses nbgrader's plain authenticator plugin.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.Authenticator.plugin_class = "nbgrader.auth.NoAuthPlugin"

# Quick questions are marked from plain values in the grader's process, and feedback never carries
# hidden tests or mark schemes (as in the course folder's nbgrader_config.py; docs/answers.md).
from syslead.grading.answers import AUTOGRADE_PREPROCESSORS, FEEDBACK_PREPROCESSORS  # noqa: E402

c.Autograde.autograde_preprocessors = list(AUTOGRADE_PREPROCESSORS)
c.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)

# On Kubernetes the formgrader runs in a tutor's own server, whose folder is their home: the course
# folder is then named here (deploy/kubernetes/values.yaml sets SYSLEAD_COURSE_ROOT). On one server
# the formgrader service starts in the course folder, whose own nbgrader_config.py names it.
if os.environ.get("SYSLEAD_COURSE_ROOT"):
    c.CourseDirectory.root = os.environ["SYSLEAD_COURSE_ROOT"]
