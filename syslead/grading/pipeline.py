"""The course's one grading pipeline, declared once.

Every way of grading reads it: the course folder's ``nbgrader_config.py`` (plain ``nbgrader autograde``),
the hub's grader config (formgrader's *Autograde* button, deploy/jupyterhub/jupyter-config/grader/) and
``syslead autograde``. Each calls :func:`apply`, which sets on an nbgrader ``Config``:

- **the preprocessors**: :data:`SANITIZE` (repairs of tampered notebooks before they run),
  :data:`AUTOGRADE` (quick questions marked from plain values, learner HTML cleaned, output bounded) and
  :data:`FEEDBACK` (no hidden tests or mark schemes in what learners get back);
- **the kernel**: learner code runs only in the grading sandbox (:data:`KERNEL_NAME`, bubblewrap; see
  :mod:`syslead.grading.sandbox`), with the limits of :data:`LIMITS`. If the sandbox kernel is not installed
  or cannot start, nbgrader fails that submission: nothing runs unsandboxed unless the tutor asks for it
  (``syslead autograde --unsafe-no-sandbox``, ``apply(..., sandbox=False)``);
- **the late policy**: course.yml's ``late_policy`` and ``extensions`` (:mod:`syslead.tutor.late`).

Each of syslead's own preprocessors has a module of its own, with a fast unit test on fixture notebooks
(tests/unit/test_preprocessors.py). Importing this module is cheap (no nbgrader). The limits themselves are
declared in :mod:`syslead.grading.limits`.
"""

from __future__ import annotations

import os

from syslead.grading.limits import KERNEL_NAME, LIMITS  # noqa: F401 - re-exported: the pipeline's kernel and limits

#: Before a submission runs: nbgrader's own steps and syslead's repairs of tampered notebooks.
SANITIZE: tuple[str, ...] = (
    "syslead.grading.refuse.RefuseUnsafe",  # too many cells, links, special files, deep folders: one sentence
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "syslead.grading.drop_empty_metadata.DropEmptyMetadata",  # a duplicated check no longer stops the batch
    "nbgrader.preprocessors.OverwriteKernelspec",
    "syslead.grading.restore_deleted_checks.RestoreDeletedChecks",  # a deleted check is put back and runs
    "nbgrader.preprocessors.CheckCellMetadata",
)

#: nbgrader 0.9's autograde pipeline, with the grader counting output (BoundedExecute in place of Execute,
#: whatever the learner's code did to its own kernel), learner HTML cleaned, and quick questions marked from
#: plain values (PlainAnswers before SaveAutoGrades, AnswerComments after it).
AUTOGRADE: tuple[str, ...] = (
    "syslead.grading.execute.BoundedExecute",
    "syslead.grading.clean.SanitizeNotebook",  # learner HTML and script made safe before anything shows it
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "syslead.grading.plain_answers.PlainAnswers",
    "nbgrader.preprocessors.SaveAutoGrades",
    "syslead.grading.answer_comments.AnswerComments",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
)

#: nbgrader's feedback pipeline with its own ClearHiddenTests and ClearMarkScheme (nbgrader #917), and
#: syslead's LateNotice, which opens a late submission's feedback with its penalty.
FEEDBACK: tuple[str, ...] = (
    "nbgrader.preprocessors.GetGrades",
    "syslead.tutor.late.LateNotice",  # a late submission's feedback states the deadline, rule and penalty
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
)

#: nbgrader 0.9's generate_assignment pipeline with NamedStubs after ClearSolutions, before the checksums:
#: each emptied reflection names its question, so Validate says which is missing.
GENERATE: tuple[str, ...] = (
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "syslead.grading.named_stubs.NamedStubs",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
)


def syslead_preprocessors() -> list[str]:
    """The dotted names of syslead's own preprocessors in the pipeline, in order, each once."""
    names = [step for steps in (SANITIZE, AUTOGRADE, FEEDBACK, GENERATE) for step in steps]
    return list(dict.fromkeys(n for n in names if n.startswith("syslead.")))


def apply(c, root: str | os.PathLike | None = None, *, sandbox: bool = True, install: bool = False):
    """Set the course's grading pipeline on the nbgrader ``Config`` ``c`` (returned): the preprocessors, the
    sandbox kernel (unless ``sandbox`` is False) and, when ``root`` has a course.yml, its late policy. With
    ``install`` (the course's nbgrader_config.py), the sandbox's kernelspec is installed into this Python's
    prefix when Jupyter cannot find it, so that plain ``nbgrader validate`` and ``autograde`` work in a fresh
    environment."""
    if sandbox and install:
        try:
            from syslead.grading.sandbox import ensure_installed

            ensure_installed()
        except Exception:  # noqa: BLE001 - e.g. a prefix this account may not write: nbgrader then names the kernel
            pass
    c.Autograde.sanitize_preprocessors = list(SANITIZE)
    c.Autograde.autograde_preprocessors = list(AUTOGRADE)
    c.GenerateFeedback.preprocessors = list(FEEDBACK)
    c.GenerateAssignment.preprocessors = list(GENERATE)
    c.Execute.kernel_name = KERNEL_NAME if sandbox else ""
    if root is not None:
        _late_policy(c, root)
    return c


def _late_policy(c, root) -> None:
    """course.yml's late policy, for whichever assignment nbgrader grades (the plugin,
    ``syslead.tutor.late.ManifestLatePenalty``, reads the assignment and its points from nbgrader's step)."""
    from pathlib import Path

    import syslead.course as manifest_module

    path = Path(root) / manifest_module.FILE_NAME
    if not path.is_file():
        return
    try:
        manifest = manifest_module.load_course(path)
    except Exception:  # a broken course.yml is reported by `syslead check`; grading carries on without it
        return
    if manifest is None or not manifest.late_policy:
        return
    c.AssignLatePenalties.plugin_class = "syslead.tutor.late.ManifestLatePenalty"  # checks the rule as it applies it
    c.ManifestLatePenalty.policy = dict(manifest.late_policy)
    c.ManifestLatePenalty.extensions = {k: dict(v) if isinstance(v, dict) else v
                                        for k, v in (manifest.extensions or {}).items()}


def prepare_grading(config, root, sandbox: bool = True):
    """Set an nbgrader Config (and this process's environment, which the provisioner reads) up for safe
    autograding of the course at ``root``: :func:`apply`, after checking that the
    sandbox can start here and that its kernel is installed (unless ``sandbox`` is False)."""
    from syslead.grading.sandbox import ensure_installed, unavailable

    if sandbox:
        why = unavailable()
        if why:
            raise RuntimeError(why)
        ensure_installed()
        os.environ["SYSLEAD_COURSE_ROOT"] = str(root)
        exchange = config.Exchange.get("root") if "Exchange" in config else None
        if exchange:
            os.environ["SYSLEAD_SANDBOX_WATCH"] = str(exchange)
    return apply(config, root, sandbox=sandbox)
