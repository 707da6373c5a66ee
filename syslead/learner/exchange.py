"""nbgrader's assignment list, showing a learner only what they may open.

A reflection circle (:mod:`syslead.tutor.circles`) is released as an assignment that only its members can
read, and the replies to a reflection as one that only its author can read. nbgrader's own list shows
every released folder, so each learner would also see the others' circles, which they cannot fetch.
:class:`ReadableList` leaves out the released folders this account cannot read. Switched on in
``nbgrader_config.py`` (and on the hub in the learners' config) by::

    c.ExchangeFactory.list = "syslead.learner.exchange.ReadableList"
"""

from __future__ import annotations

import os

from nbgrader.exchange.default.list import ExchangeList


class ReadableList(ExchangeList):
    """``nbgrader list`` and the Assignments tab, without released folders this account cannot open."""

    def init_dest(self):
        super().init_dest()
        if not (self.inbound or self.cached):
            self.assignments = [p for p in self.assignments if os.access(p, os.R_OK | os.X_OK)]
