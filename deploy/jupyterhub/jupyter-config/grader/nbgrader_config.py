"""nbgrader settings for the grader account's formgrader service, on top of the hub's global ones.

The formgrader does not change the hub's course groups: they follow the Unix groups (see
jupyterhub_config.py), so the grader uses nbgrader's plain authenticator plugin.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.Authenticator.plugin_class = "nbgrader.auth.NoAuthPlugin"

# The course's one grading pipeline, as in the course folder's nbgrader_config.py and `syslead autograde`
# (syslead.grading.pipeline): formgrader's Autograde runs learner code only in the grading sandbox.
from syslead.grading import pipeline  # noqa: E402

pipeline.apply(c, os.environ.get("SYSLEAD_COURSE_ROOT"))

# On Kubernetes the formgrader runs in a tutor's own server, whose folder is their home: the course
# folder is then named here (deploy/kubernetes/values.yaml sets SYSLEAD_COURSE_ROOT). On one server
# the formgrader service starts in the course folder, whose own nbgrader_config.py names it.
if os.environ.get("SYSLEAD_COURSE_ROOT"):
    c.CourseDirectory.root = os.environ["SYSLEAD_COURSE_ROOT"]
