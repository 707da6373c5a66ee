"""nbgrader settings for the systems leadership course.

Run nbgrader commands from this folder (the course root). The exchange is course-local, in
``exchange/`` beside this file, so that release, fetch, submit and collect work on one machine
without root; on a shared JupyterHub, point ``Exchange.root`` at the hub's shared exchange instead
(see docs/tutors.md).
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "systems-leadership"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"

# A course-local exchange for single-machine use (created on first use).
c.Exchange.root = os.environ.get("SYSLEAD_EXCHANGE", os.path.join(here, "exchange"))

# Collect copies only regular files and folders: a symbolic link in a submission is left out and named in
# the log, never followed (nbgrader's own collect copies what a link points to).
# A site-wide nbgrader config (a JupyterHub's, deploy/jupyterhub/nbgrader_config.py, installed in
# Jupyter's config path) chooses its own collect, which also checks who submitted and refuses links: this
# file, read after it, must not replace it.
from jupyter_core.paths import jupyter_config_path  # noqa: E402

if not any(os.path.isfile(os.path.join(d, "nbgrader_config.py")) for d in jupyter_config_path()):
    c.ExchangeFactory.collect = "syslead.grading.submissions.SafeExchangeCollect"

# The Assignments tab and `nbgrader list` show a learner only the released folders they can open: a
# reflection circle (syslead circles) is readable by its members only.
c.ExchangeFactory.list = "syslead.learner.exchange.ReadableList"

# Each cell may run this long when nbgrader executes a notebook (validate, autograde).
c.Execute.timeout = 60

# Stubs that never stop "Run all": an unanswered question leaves a gap, not an error.
c.ClearSolutions.code_stub = {"python": ""}
c.ClearSolutions.text_stub = (
    "*Write your reflection here: double-click this cell to edit it, then press Shift+Enter.*"
)

# Each source notebook has a MyST Markdown twin (jupytext) that holds its solutions and mark schemes:
# it is for authors only, so nbgrader never copies it into release/ or the exchange.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.md", "jupytext.toml"]

# The course's one grading pipeline (syslead.grading.pipeline; docs/grading-safely.md): learner code runs only
# in the grading sandbox (bubblewrap), tampered notebooks are repaired from the source, quick questions are
# marked from plain values in the grader's own process, learner HTML is cleaned, output is bounded, feedback
# never carries hidden tests or mark schemes (nbgrader #917), and course.yml's late policy applies. The same
# call is in the hub's grader config and in `syslead autograde`.
from syslead.grading import pipeline  # noqa: E402

pipeline.apply(c, here, install=True)
