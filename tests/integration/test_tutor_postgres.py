"""`syslead autograde --jobs 2` against a PostgreSQL gradebook gives the scores of serial `nbgrader
autograde` on PostgreSQL, and keeps manual grades.

The server comes from .ci/setup.d/10-postgresql.sh (Debian's postgresql); its URL is read from
SYSLEAD_TEST_POSTGRES_URL (default postgresql://syslead:syslead@127.0.0.1:5432/syslead_test). Each test
makes its own databases and drops them. Without a reachable server the tests say so in one loud line:
they fail under CI (CI=true), and are skipped elsewhere.
"""

from __future__ import annotations

import os
import sys
import uuid

import pytest
import tutor_cohort
from conftest import BIN, nbgrader, run
from tutor_cohort import ASSIGNMENT

from syslead.tutor.autograde import recorded
from syslead.tutor.backup import copy_tables
from syslead.tutor.course import Course

pytestmark = pytest.mark.slow

URL = os.environ.get("SYSLEAD_TEST_POSTGRES_URL", "postgresql://syslead:syslead@127.0.0.1:5432/syslead_test")


def _server():
    try:
        import psycopg  # the driver SQLAlchemy uses for postgresql:// URLs

        conn = psycopg.connect(URL, connect_timeout=5, autocommit=True)
    except Exception as error:  # no driver, no server, wrong password
        message = (f"!!! NO POSTGRESQL SERVER for the tutor tests at {URL.split('@')[-1]} ({error.__class__.__name__}: "
                   f"{str(error).strip().splitlines()[0] if str(error).strip() else ''}); run "
                   f".ci/setup.d/10-postgresql.sh or set SYSLEAD_TEST_POSTGRES_URL !!!")
        print(message, file=sys.stderr)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return conn


@pytest.fixture
def databases():
    """A factory of fresh, empty PostgreSQL databases (dropped afterwards)."""
    conn = _server()
    made = []

    def make() -> str:
        name = f"syslead_t_{uuid.uuid4().hex[:10]}"
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return URL.rsplit("/", 1)[0] + "/" + name

    yield make
    with conn.cursor() as cur:
        for name in made:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def on_postgres(src, dest, url):
    """A copy of the course whose gradebook lives in PostgreSQL at ``url`` (moved there from sqlite)."""
    course = tutor_cohort.copy(src, dest)
    copy_tables(f"sqlite:///{course / 'gradebook.db'}", url)
    (course / "gradebook.db").unlink()
    with open(course / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    assert Course.find(course).db_url == url
    return course


def test_parallel_autograde_on_postgresql_matches_serial_nbgrader(tmp_path_factory, databases):
    base = tmp_path_factory.mktemp("tutor-postgres")
    collected = tutor_cohort.collected(base)
    serial = on_postgres(collected, base / "serial", databases())
    parallel = on_postgres(collected, base / "parallel", databases())

    nbgrader("autograde", ASSIGNMENT, cwd=serial)
    out = run([str(BIN / "syslead"), "autograde", ASSIGNMENT, "--jobs", "2"], cwd=parallel).stdout
    assert "5 graded, 0 skipped, 0 refused, 0 failed" in out
    assert not (parallel / "gradebook.db").exists()  # nothing went to a sqlite file by mistake
    ours, theirs = recorded(Course.find(parallel), ASSIGNMENT), recorded(Course.find(serial), ASSIGNMENT)
    assert len(ours) == 5 and ours == theirs

    # a manual grade survives a forced re-run, on PostgreSQL too
    student = sorted(ours)[0]
    with Course.find(parallel).gradebook() as gb:
        gb.find_grade("reflection-system", ASSIGNMENT, ASSIGNMENT, student).manual_score = 2.5
        gb.db.commit()
    run([str(BIN / "syslead"), "autograde", ASSIGNMENT, "--force", "--student", student], cwd=parallel)
    with Course.find(parallel).gradebook() as gb:
        grade = gb.find_grade("reflection-system", ASSIGNMENT, ASSIGNMENT, student)
        assert grade.manual_score == 2.5 and not grade.needs_manual_grade  # answer unchanged: it stays graded
    assert list((parallel / "backups").glob("gradebook-*.db")), "no backup of the PostgreSQL gradebook"
