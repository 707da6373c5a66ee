"""The advice on a reflection: what the machine recognised, with its evidence, and the questions to ask.

:func:`feedback` reads a reflection's sentences (:mod:`syslead.learner.reflection_text`), reads each with the
model (:mod:`syslead.learner.reflection_model`), and returns a :class:`Feedback`: plain text in a terminal,
HTML in a notebook, rendered by the Jinja template ``templates/reflection-feedback.html.j2`` (autoescaped;
no HTML is built from strings here). Part of :mod:`syslead.learner.reflection`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from syslead.learner.reflection_model import (
    _CUE_FILE,
    STAGES,
    UNSURE,
    evidence_phrases,
    load_model,
    read_sentence,
)
from syslead.learner.reflection_text import STUB, count_words, reads_as_english, split_sentences
from syslead.learner.self_assessment import SelfAssessment

#: One question per stage, asked when the machine did not see that stage in a reflection.
QUESTIONS: dict[str, str] = {s: _CUE_FILE[s]["prompt"] for s in STAGES}

#: What each stage adds on Kember et al.'s (2008) four levels (habitual action, understanding,
#: reflection, critical reflection), shown beside the question.
KEMBER: dict[str, str] = {s: _CUE_FILE[s]["kember"] for s in STAGES}

#: The kinds of reflection the course asks for (``reflection_kind`` in course.yml), and the Gibbs stages
#: that fit each: the advice asks questions only about these. A plan is never asked how the learner felt.
KIND_STAGES: dict[str, tuple[str, ...]] = {
    "experience": STAGES,  # something that happened: the whole cycle
    "reading": ("description", "evaluation", "analysis", "conclusion", "action plan"),  # a reading applied to your service
    "plan": ("analysis", "action plan"),  # what you will do, and why
    "self-rating": ("evaluation", "analysis", "action plan"),  # where you stand against a framework, and what next
    "review": ("evaluation", "analysis", "conclusion", "action plan"),  # looking back on the course
}
KINDS = tuple(KIND_STAGES)

#: Where a kind of reflection needs its own wording of a stage's question (otherwise :data:`QUESTIONS`).
KIND_QUESTIONS: dict[str, dict[str, str]] = {
    "plan": {
        "analysis": "Why this plan: which idea from the readings, or what you know of your service, says it will work?",
        "action plan": "What exactly will you do, with whom and by when, and how will you and others know it has worked?",
    },
    "self-rating": {
        "evaluation": "What evidence from your own work supports your highest and your lowest rating?",
        "action plan": "Which one practice will you strengthen, and what will you do, with whom and by when?",
    },
}


def question(stage: str, kind: str = "experience") -> str:
    """The question asked when a reflection of this kind does not show this stage."""
    return KIND_QUESTIONS.get(kind, {}).get(stage, QUESTIONS[stage])


def about_the_reading() -> str:
    """The one sentence under every piece of advice: a machine's reading, how often it is right (the
    validated figure from the model file), and that the tutor's mark counts."""
    try:
        v = load_model().validated
        right, share = f"{v['precision']:.0%}", f"{v['coverage']:.0%}"
    except Exception:  # the model file cannot be read: say so rather than quote a figure
        return ("This is a machine's reading of your text, not a grade, and how often it is right could not be "
                "read this time; your tutor's mark is what counts.")
    return (f"This is a machine's reading of your text, not a grade: on {v['sentences']:,} sentences from diaries "
            f"it had not read, the stages it named agreed with trained readers {right} of the time (it named one "
            f"for {share} of them, and said it could not tell for the rest); your tutor's mark is what counts.")


#: The one sentence under the advice (see :func:`about_the_reading`).
ADVICE = about_the_reading()


@dataclass(frozen=True)
class Sentence:
    """One sentence, what the machine claims it shows (a stage, "none" or :data:`UNSURE`), the validated
    cue phrases in it that are evidence of that stage, and the model's probability for its best guess."""

    text: str
    stage: str
    phrases: tuple[str, ...]
    probability: float = 1.0


@dataclass(frozen=True)
class Hint:
    """A validated cue phrase of a stage the machine did not claim, in a sentence it read otherwise."""

    stage: str
    phrase: str
    sentence: str


def _short(text: str, limit: int = 30) -> str:
    words = text.split()
    return text if len(words) <= limit else " ".join(words[:limit]) + " …"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _quoted(phrases: Sequence[str]) -> str:
    many = len(phrases) > 1
    return (f"the phrase{'s' if many else ''} {', '.join(f'“{p}”' for p in phrases)} "
            f"{'are usual signs' if many else 'is a usual sign'}")


@lru_cache(maxsize=4)
def _template(name: str = "reflection-feedback.html.j2"):
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("syslead.learner", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template(name)


def _never_claimed() -> set[str]:
    try:
        thresholds = load_model().thresholds
    except Exception:
        return set()
    return {s for s in STAGES if thresholds.get(s) is None}


@dataclass(frozen=True)
class Feedback:
    """Advice on one reflection. Renders as HTML in a notebook and as plain text in a terminal.

    - ``stages``: the stages the machine recognised with confidence, in Gibbs' order, each with its
      sentences (surest first); ``phrases(stage)`` lists the validated cue phrases in them.
    - ``missing``: the stages that fit this kind of reflection and that it did not recognise: it cannot
      tell whether the text covers them; ``hints``: validated cue phrases of those stages in other
      sentences; ``questions``: one question per missing stage, each tied to Kember's levels.
    - ``word_count``, ``sentences`` (every sentence with its stage, "none" or "not sure"), ``notes``,
      ``kind`` (of reflection), ``advice`` (a machine's reading; how often it is right; the tutor's mark
      is what counts); ``self_assessment``: the learner's own placement on Kember's levels, from the form
      above the advice (None when there is no form: the advice then shows the machine's reading alone).
    """

    word_count: int
    sentences: tuple[Sentence, ...]
    stages: dict[str, tuple[Sentence, ...]]
    missing: tuple[str, ...]
    questions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    source: str = ""
    hints: tuple[Hint, ...] = ()
    advice: str = ADVICE
    kind: str = "experience"
    self_assessment: SelfAssessment | None = None

    def yours(self) -> list[str]:
        """The learner's own placement, in a sentence (and their reason, when they gave one)."""
        own = self.self_assessment
        if own is None:
            return []
        lines = [own.sentence()]
        if own.why and own.levels:
            lines.append(f"Your reason: “{_short(own.why, 40)}”")
        return lines

    def machines(self) -> str:
        """The machine's reading beside the learner's own: what it is, a second opinion on Gibbs' stages."""
        if not self.sentences:
            return "The machine's reading: none this time (see below)."
        seen = _and(list(self.stages)) if self.stages else "none with confidence"
        text = f"The machine's reading: of Gibbs' stages it recognised {seen}"
        if self.missing:
            text += f", and it can't tell about {_and(list(self.missing))}"
        return (text + ". It reads Gibbs' stages, not Kember's levels: it is a second opinion on what your text "
                       "does, not on the level it reaches.")

    def phrases(self, stage: str) -> list[str]:
        """The validated cue phrases that are evidence of a stage, across the whole reflection."""
        return [p for s in self.stages.get(stage, ()) for p in s.phrases]

    def summary(self) -> str:
        if not self.sentences:  # nothing was read for stages (empty, not English, or a failure)
            return f"{_plural(self.word_count, 'word')}."
        text = (f"{_plural(self.word_count, 'word')}; the machine recognised {len(self.stages)} of Gibbs' "
                f"6 stages in your text.")
        unread = sum(s.stage == "none" for s in self.sentences)
        unsure = sum(s.stage == UNSURE for s in self.sentences)
        if unread:
            text += (f" {_plural(unread, 'sentence')} read as none of them (often background, or about "
                     f"other people rather than you).")
        if unsure:
            text += f" For {_plural(unsure, 'sentence')} it can't tell which stage {'it shows' if unsure == 1 else 'they show'}."
        return text

    def asked(self) -> list[tuple[str, str]]:
        """(stage, question) for each question asked."""
        by_question = {question(s, self.kind): s for s in STAGES}
        return [(by_question.get(q, ""), q) for q in self.questions]

    def missing_lines(self) -> list[str]:
        never = _never_claimed()
        lines = []
        for stage in self.missing:
            line = stage[0].upper() + stage[1:] + ": it can't tell whether your text covers this"
            if stage in never:
                line += " (it is not reliable enough on this stage to name it at all: judge it yourself)"
            hints = [h for h in self.hints if h.stage == stage]
            if hints:
                line += f"; {_quoted([hints[0].phrase])} of it, in “{_short(hints[0].sentence, 12)}”"
            lines.append(line)
        return lines

    def __str__(self) -> str:
        lines = ["Feedback on your reflection (advice, not a grade)"]
        if self.source:
            lines.append(self.source)
        if self.self_assessment is not None:
            lines += ["", "Your reading and the machine's:", *self.yours(), self.machines(), ""]
        lines.append(self.summary())
        lines += self.notes
        if self.stages:
            lines += ["", "Stages the machine recognised:"]
            for stage, found in self.stages.items():
                lines.append(f"- {stage[0].upper() + stage[1:]} ({_plural(len(found), 'sentence')})")
                for s in found[:2]:
                    why = f" ({_quoted(s.phrases)} of {stage})" if s.phrases else ""
                    lines.append(f"    “{_short(s.text)}”{why}")
        if self.missing and self.sentences:
            lines += ["", "Stages it cannot tell you about:"]
            lines += [f"- {line}" for line in self.missing_lines()]
        if self.questions:
            lines += ["", "Questions to take you further:"]
            for i, (stage, q) in enumerate(self.asked(), 1):
                lines.append(f"{i}. {q}" + (f" ({KEMBER[stage]})" if stage else ""))
        lines += ["", self.advice]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return _template().render(fb=self, short=_short, kember=KEMBER).strip()


def _hints(read: Sequence[Sentence], missing: Sequence[str]) -> tuple[Hint, ...]:
    hints = []
    for s in read:
        for stage in missing:
            if any(h.stage == stage for h in hints):
                continue
            found = evidence_phrases(s.text, stage)
            if found:
                hints.append(Hint(stage, found[0], s.text))
    return tuple(sorted(hints, key=lambda h: STAGES.index(h.stage)))


#: The note shown if reading a text fails in a way the tests did not foresee.
FAILED = ("Something went wrong while reading this text, so there is no feedback this time; your answer "
          "is saved as it is. Please tell your tutor.")


def _kind(kind: str | None) -> str:
    return kind if kind in KIND_STAGES else "experience"


def feedback(text: str, *, source: str = "", kind: str = "experience",
             self_assessment: SelfAssessment | None = None) -> Feedback:
    """Advice on a reflection (markdown or plain text) of a ``kind`` (:data:`KINDS`): the stages the machine
    recognised, with their sentences and evidence; what it cannot tell; words; questions that fit the kind.
    With ``self_assessment`` (the learner's own placement on Kember's levels) it shows that first, beside
    the machine's reading.

    Never raises: empty, very long, non-English or odd text gets a plain note instead.
    """
    kind = _kind(kind)
    try:
        found = _feedback("" if text is None else str(text), source, kind)
    except Exception:  # a safety net: a learner's notebook gets a sentence, never a traceback
        found = Feedback(0, (), {}, (), (), (FAILED,), source, kind=kind)
    return replace(found, self_assessment=self_assessment) if self_assessment is not None else found


def _read(sentence: str, context: str, model) -> Sentence:
    reading = read_sentence(sentence, context, model)
    if reading.claimed in (UNSURE, "none"):
        return Sentence(sentence, reading.claimed, (), reading.probability)
    return Sentence(sentence, reading.claimed, tuple(evidence_phrases(sentence, reading.claimed, model)[:3]),
                    reading.probability)


def _feedback(text: str, source: str, kind: str) -> Feedback:
    fits = KIND_STAGES[kind]
    sentences = [s for s in split_sentences(text) if not s.startswith(STUB)]
    words = count_words(sentences)
    if not sentences or words == 0:
        note = ("There is nothing to read yet: write a few sentences in answer to the question, then ask again.")
        return Feedback(words, (), {}, fits, tuple(question(s, kind) for s in fits[:1]), (note,), source, kind=kind)
    if not reads_as_english(" ".join(sentences)):
        note = ("This helper reads English only, so it cannot say which of Gibbs' stages your text touches; "
                "your tutor will read it as written.")
        return Feedback(words, (), {}, (), (), (note,), source, kind=kind)
    notes = []
    if words < 20:
        notes.append("Your reflection is very short, so this reading is rough: a reflection that reaches "
                     "all six stages usually runs to a few hundred words.")
    model = load_model()
    read = tuple(_read(s, " ".join(sentences[max(i - 1, 0) : i] + sentences[i + 1 : i + 2]), model)
                 for i, s in enumerate(sentences))
    stages = {}
    for stage in STAGES:
        found = [s for s in read if s.stage == stage]
        if found:
            stages[stage] = tuple(sorted(found, key=lambda s: (-s.probability, -len(s.phrases))))
    missing = tuple(s for s in fits if s not in stages)
    hints = _hints(read, missing)
    hinted = {h.stage for h in hints}
    asked = [s for s in missing if s not in hinted] + [s for s in missing if s in hinted]
    return Feedback(words, read, stages, missing, tuple(question(s, kind) for s in asked), tuple(notes), source,
                    hints, kind=kind)

