"""Formative feedback on a written reflection, on Gibbs' reflective cycle.

Gibbs' cycle (Gibbs 1988, *Learning by Doing*, Further Education Unit, Oxford Polytechnic) walks a
reflection through six stages: **description** (what happened), **feelings** (what you thought and felt),
**evaluation** (what was good and bad), **analysis** (what sense you can make of it), **conclusion** (what
you learned, what else you could have done) and **action plan** (what you will do next time).

After a reflection cell, one short line gives the learner advice (never a grade)::

    from syslead.learner.reflection import feedback_on
    feedback_on("reflection-1")        # reads the *saved* notebook: press Ctrl+S first

or, for any text, ``feedback(text)``. The answer lists the stages the text touches, quoting the sentences
that showed each and the reviewed cue phrases in them, the word count, and one question for each stage it
skipped, tied to the Kember et al. (2008) levels that the mark schemes use.

How a sentence gets its stage (:func:`read_sentence`, :func:`gibbs_stage`): a multinomial logistic
regression over TF-IDF features of the sentence (words, word pairs, letter groups inside words, the
reviewed cue phrases of ``reflection_cues.json``) and of its neighbouring sentences, trained by
``scripts/build_reflection_model.py`` on the English sentences of the Czech-English Reflective Dataset
(CEReD; Štefánik & Nehyba 2021, Apache-2.0; see ``REFLECTION_MODEL_NOTICE.md``) and shipped as
``reflection_model.json``. A sentence whose most likely stage has a probability below the shipped
threshold is "not sure" rather than given a stage. Everything runs offline with numpy;
``benchmarks/reflection_candidates.py`` measures it against the annotators (``docs/reflection-feedback.md``).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

#: Gibbs' six stages, in the order of the cycle.
STAGES: tuple[str, ...] = ("description", "feelings", "evaluation", "analysis", "conclusion", "action plan")

#: What :func:`gibbs_stage` can answer: a stage, or "none" for a sentence that is not reflective writing.
LABELS: tuple[str, ...] = STAGES + ("none",)

#: What :func:`read_sentence` says of a sentence whose best stage is below the model's confidence threshold.
UNSURE = "not sure"

#: How CEReD's labels map onto Gibbs' stages.
CERED_TO_STAGE: dict[str, str] = {
    "Experience": "description",
    "Feeling": "feelings",
    "Difficulty": "evaluation",
    "Reflection": "analysis",
    "Belief": "analysis",
    "Perspective": "analysis",
    "Learning": "conclusion",
    "Intention": "action plan",
    "Other": "none",
}

CUES_PATH = HERE / "reflection_cues.json"
MODEL_PATH = HERE / "reflection_model.json"


def _load_cues(path: Path = CUES_PATH) -> dict:
    with open(path, encoding="utf-8") as file:
        return json.load(file)["stages"]


_CUE_FILE = _load_cues()

#: The reviewed cue phrases per stage (lowercase whole words), from ``reflection_cues.json``. The model
#: weighs them as features, and the feedback quotes the ones it finds, so a learner can see why a
#: sentence was read as, say, feelings.
CUES: dict[str, tuple[str, ...]] = {s: tuple(p for p, _ in _CUE_FILE[s]["cues"]) for s in STAGES}

#: One question per stage, asked when a reflection skips that stage.
QUESTIONS: dict[str, str] = {s: _CUE_FILE[s]["prompt"] for s in STAGES}

#: What each stage adds on Kember et al.'s (2008) four levels (habitual action, understanding,
#: reflection, critical reflection), shown beside the question.
KEMBER: dict[str, str] = {s: _CUE_FILE[s]["kember"] for s in STAGES}

ADVICE = (
    "This is advice, not a grade: it is a machine's reading of your text for signs of Gibbs' six stages, "
    "and it can miss what you meant. Your tutor's mark is what counts, and your tutor marks the depth of "
    "your reflection (Kember's four levels), not these stages."
)

#: The stub nbgrader puts in an unanswered reflection cell (``nbgrader_config.py``), without markup.
STUB = "Write your reflection here"

# ---------------------------------------------------------------------------------------------------
# Words and features
# ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<emoticon>[:;=]-?[()DPp](?![\w])|<3|[\U0001F300-\U0001FAFF\u2600-\u27BF])"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<mark>[!?])"
)
_WORDS = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_MAX_TOKENS = 200  # a sentence is read from its first 200 tokens ...
_MAX_WORD = 30  # ... and letter groups from each word's first 30 letters


def tokens(sentence: str) -> list[tuple[str, int, int]]:
    """The sentence's tokens as (token, start, end): lowercase words, "!", "?" and "<emoticon>"."""
    out = []
    for m in _TOKEN.finditer(sentence):
        if m.lastgroup == "emoticon":
            out.append(("<emoticon>", m.start(), m.end()))
        else:
            out.append((m.group().lower().replace("’", "'"), m.start(), m.end()))
        if len(out) >= _MAX_TOKENS:
            break
    return out


def _cue_index(cues: dict[str, Sequence[str]]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for stage, phrases in cues.items():
        for phrase in phrases:
            words = tuple(t for t, _, _ in tokens(phrase))
            index.setdefault(words[0], []).append((words, stage))
    return index


_CUE_INDEX = _cue_index(CUES)


def cue_matches(words: Sequence[str]) -> list[tuple[str, int, int]]:
    """Cue phrases found in a list of tokens, as (stage, first token, last token + 1)."""
    found = []
    for i, word in enumerate(words):
        for phrase, stage in _CUE_INDEX.get(word, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.append((stage, i, i + len(phrase)))
    return found


def features(sentence: str, context: str = "", *, chars: tuple[int, int] = (2, 5)) -> dict[str, int]:
    """What the model sees, as feature -> count. The block is the prefix before the first colon:

    ``w:`` words and neighbouring word pairs (with ``<s>``/``</s>`` at the ends), ``c:`` groups of 2 to 5
    letters inside each word (padded with a space at each end), ``cue:`` the stages whose cue phrases
    the sentence contains, and ``x:`` the words of the neighbouring sentences (``context``).
    """
    words = [t for t, _, _ in tokens(sentence)]
    padded = ["<s>", *words, "</s>"]
    names = ["w:" + w for w in words]
    names += [f"w:{a} {b}" for a, b in zip(padded, padded[1:], strict=False)]
    lo, hi = chars
    if hi >= lo > 0:
        for word in sentence.lower().split()[:_MAX_TOKENS]:
            w = f" {word[:_MAX_WORD]} "
            names += ["c:" + w[i : i + n] for n in range(lo, min(hi, len(w)) + 1) for i in range(len(w) - n + 1)]
    if context:
        names += ["x:" + t for t, _, _ in tokens(context)]
    out = dict(Counter(names))
    for stage in sorted({s for s, _, _ in cue_matches(words)}):
        out["cue:" + stage] = 1
    return out


# ---------------------------------------------------------------------------------------------------
# The model: multinomial logistic regression over TF-IDF features, in numpy
# ---------------------------------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class Model:
    """A linear model over TF-IDF features: for each feature its inverse document frequency and one
    weight per label, a bias per label, and a weight per block of features (see :func:`features`).

    A sentence's vector: each feature's count becomes 1 + log(count), times its idf; each block is
    scaled to unit length, then times the block's weight. Scores = bias + vector . weights; the
    probabilities are their softmax.
    """

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (features,)
    weights: np.ndarray  # (features, labels)
    bias: np.ndarray  # (labels,)
    blocks: dict[str, float]  # block prefix -> weight; a block not listed is not used
    chars: tuple[int, int] = (2, 5)
    threshold: float = 0.0  # below this probability, read_sentence says "not sure"
    about: dict = field(default_factory=dict)

    def _blocks_of(self) -> tuple[np.ndarray, np.ndarray]:
        """Per feature the number of its block, and per block its weight (computed once, then kept)."""
        cached = self.__dict__.get("_block_cache")
        if cached is None or len(cached[0]) != len(self.vocabulary):
            names = sorted(self.blocks)
            number = {b: i for i, b in enumerate(names)}
            of = np.zeros(len(self.vocabulary), dtype=np.int64)
            for f, i in self.vocabulary.items():
                of[i] = number.get(f.split(":", 1)[0], len(names))
            scale = np.array([self.blocks[b] for b in names] + [0.0])
            cached = self.__dict__["_block_cache"] = (of, scale)
        return cached

    def vector(self, sentence: str, context: str = "") -> tuple[np.ndarray, np.ndarray]:
        """The sentence's features as (indices into the vocabulary, values)."""
        found = features(sentence, context if "x" in self.blocks else "", chars=self.chars)
        get = self.vocabulary.get
        pairs = [(i, c) for i, c in ((get(f), c) for f, c in found.items()) if i is not None]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        counts = np.fromiter((c for _, c in pairs), dtype=float, count=len(pairs))
        block_of, scale = self._blocks_of()
        values = (1.0 + np.log(counts)) * self.idf[ids]
        blocks = block_of[ids]
        norms = np.sqrt(np.bincount(blocks, weights=values * values, minlength=len(scale)))
        factor = np.divide(scale, norms, out=np.zeros_like(scale), where=norms > 0)
        values = values * factor[blocks]
        keep = values != 0
        return ids[keep], values[keep]

    def scores(self, sentence: str, context: str = "") -> np.ndarray:
        """The model's score for each label (higher is more likely)."""
        ids, values = self.vector(sentence, context)
        return self.bias + values @ self.weights[ids]

    def probabilities(self, sentence: str, context: str = "") -> np.ndarray:
        """The probability of each label, in the order of ``labels``."""
        return _softmax(self.scores(sentence, context))

    def predict(self, sentence: str, context: str = "") -> str:
        """The label :func:`read_sentence` gives ("none" for a sentence without a single word)."""
        return read_sentence(sentence, context, self).label

    def to_json(self) -> dict:
        """The model as plain data: per feature [idf, weights...], in thousandths (whole numbers)."""
        order = sorted(self.vocabulary, key=self.vocabulary.get)
        return {
            "about": self.about,
            "labels": list(self.labels),
            "unit": 0.001,
            "blocks": self.blocks,
            "chars": list(self.chars),
            "threshold": self.threshold,
            "bias": [int(round(1000 * float(b))) for b in self.bias],
            "features": {
                f: [int(round(1000 * float(self.idf[i])))] + [int(round(1000 * float(w))) for w in self.weights[i]]
                for f in order
                for i in [self.vocabulary[f]]
            },
        }

    @classmethod
    def from_json(cls, data: dict) -> Model:
        unit = float(data.get("unit", 1.0))
        names = list(data["features"])
        table = unit * np.array([data["features"][f] for f in names], dtype=float).reshape(len(names), -1)
        return cls(
            labels=tuple(data["labels"]),
            vocabulary={f: i for i, f in enumerate(names)},
            idf=table[:, 0].copy(),
            weights=np.ascontiguousarray(table[:, 1:]),
            bias=unit * np.array(data["bias"], dtype=float),
            blocks={k: float(v) for k, v in data["blocks"].items()},
            chars=tuple(data.get("chars", (2, 5))),
            threshold=float(data.get("threshold", 0.0)),
            about=data.get("about", {}),
        )


@lru_cache(maxsize=1)
def load_model(path: str | None = None) -> Model:
    """The shipped model (read once, then cached)."""
    with open(path or MODEL_PATH, encoding="utf-8") as file:
        return Model.from_json(json.load(file))


@dataclass(frozen=True)
class Reading:
    """How one sentence is read: its ``label`` (always one of :data:`LABELS`), the model's probability
    for that label, what is ``claimed`` (the label, or :data:`UNSURE`), and ``by_cue``: whether the
    label came from a reviewed cue phrase rather than from the model's confidence."""

    label: str
    probability: float
    claimed: str
    by_cue: bool = False


def cue_stages(sentence: str) -> list[str]:
    """The stages whose reviewed cue phrases the sentence contains, in Gibbs' order."""
    found = {s for s, _, _ in cue_matches([t for t, _, _ in tokens(sentence)])}
    return [s for s in STAGES if s in found]


def decide(p: np.ndarray, cues: Sequence[str], threshold: float, labels: Sequence[str] = LABELS) -> Reading:
    """The reading from the model's probabilities ``p`` and the cue stages of the sentence.

    If the model's best label reaches ``threshold``, that label is claimed. Otherwise, if the sentence
    holds a reviewed cue phrase, the cue stage that the model finds likeliest is claimed (the cue rule:
    CEReD has few sentences of some stages, and none of phrases such as "I conclude that"). Otherwise
    the best label is kept as ``label`` and the claim is :data:`UNSURE`.
    """
    best = int(np.argmax(p))
    if p[best] >= threshold:
        return Reading(labels[best], float(p[best]), labels[best])
    if cues:
        stage = max(cues, key=lambda s: p[labels.index(s)])
        return Reading(stage, float(p[labels.index(stage)]), stage, by_cue=True)
    return Reading(labels[best], float(p[best]), UNSURE)


def read_sentence(sentence: str, context: str = "", model: Model | None = None) -> Reading:
    """How the sentence is read (``context``: the sentences around it in the same text)."""
    model = model or load_model()
    if sentence is None or not any(t.isalpha() for t, _, _ in tokens(str(sentence))):
        return Reading("none", 1.0, "none")
    sentence = str(sentence)
    p = model.probabilities(sentence, "" if context is None else str(context))
    return decide(p, cue_stages(sentence), model.threshold, model.labels)


def gibbs_stage(sentence: str, context: str = "") -> str:
    """The Gibbs stage a sentence most likely belongs to, or "none".

    Always one of :data:`LABELS`: "description", "feelings", "evaluation", "analysis", "conclusion",
    "action plan" or "none" (not reflective writing, or nothing to read). It never abstains; use
    :func:`read_sentence` to see how sure the model is.
    """
    try:
        return read_sentence(sentence, context).label
    except Exception:  # never a traceback in a learner's notebook
        return "none"


# ---------------------------------------------------------------------------------------------------
# From a markdown answer to sentences
# ---------------------------------------------------------------------------------------------------

_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|vs|cf|mr|mrs|ms|dr|prof|approx|no|fig)\.", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[^\s])")
_LEADING_EMOJI = re.compile(r"(?:[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+\s*)+")
_LONGEST = 60  # words: a longer run without a full stop is read in pieces of this size


def strip_markdown(text: str) -> list[str]:
    """The prose blocks of a markdown text: paragraphs, list items and table cells, without markup.

    Headings, code, images, HTML tags, links' addresses and nbgrader's solution markers are dropped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"^\s*#{1,6}\s*(BEGIN|END) SOLUTION\s*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"```.*?(```|\Z)", "\n\n", text, flags=re.DOTALL)
    text = re.sub(r"~~~.*?(~~~|\Z)", "\n\n", text, flags=re.DOTALL)
    text = re.sub(r"<!--.*?(-->|\Z)", " ", text, flags=re.DOTALL)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"</?[A-Za-z][^>\n]*>", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"`([^`\n]*)`", r"\1", text)
    blocks: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if not line or re.fullmatch(r"([-*_=]\s*){3,}", line) or re.fullmatch(r"[|:\-\s]+", line):
            close()
            continue
        if line.startswith("#"):  # a heading names a part; it is not part of the reflection itself
            close()
            continue
        line = re.sub(r"^(>\s?)+", "", line)
        item = re.match(r"^(?:[-*+•]|\d+[.)])\s+(\[[ xX]\]\s*)?", line)
        if item:
            close()
            line = line[item.end() :]
        if "|" in line:  # a table row: each cell is a block
            close()
            blocks.extend(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
            continue
        current.append(line)
    close()
    cleaned = []
    for block in blocks:
        block = re.sub(r"(\*\*|__|~~|\*)", "", block)
        block = re.sub(r"(?<!\w)_|_(?!\w)", "", block)
        block = re.sub(r"\s+", " ", block).strip()
        if block:
            cleaned.append(block)
    return cleaned


def split_sentences(text: str) -> list[str]:
    """The sentences of a markdown text, in order (long runs without full stops are cut into pieces)."""
    sentences = []
    for block in strip_markdown(text):
        protected = _ABBREVIATIONS.sub(lambda m: m.group().replace(".", "\0"), block)
        for piece in _SENTENCE_END.split(protected):
            piece = piece.replace("\0", ".").strip()
            lead = _LEADING_EMOJI.match(piece)
            if lead and sentences and lead.end() < len(piece):  # "Done. 🎉 Then..." : the 🎉 ends "Done."
                sentences[-1] += " " + lead.group().strip()
                piece = piece[lead.end() :]
            if not piece:
                continue
            if sentences and not _WORDS.search(piece):  # an emoji or a lone mark belongs to the sentence before
                sentences[-1] += " " + piece
                continue
            words = piece.split(" ")
            for start in range(0, len(words), _LONGEST):
                sentences.append(" ".join(words[start : start + _LONGEST]))
    return sentences


def word_count(text: str) -> int:
    """Words in the text's prose (markup, code and headings left out)."""
    return sum(len(_WORDS.findall(block)) for block in strip_markdown(text))


#: Function words: never quoted on their own as the signal of a stage (the cue file's tests use it too).
FUNCTION_WORDS = frozenset(
    "a about after all am an and are as at be been being but by can could did do does for from had has have "
    "he her him his i if in into is it its me my myself no not of on or our she should so than that the "
    "their them then there these they this those to too us was we were what when which who why will with "
    "would you your i'm i'll i've it's".split()
)

_ENGLISH = frozenset(
    "a about after all also am an and are as at be because been before but by can could did do does "
    "don't for from had has have he her him his how i i'm if in into is it it's its just me more my no "
    "not of on or our out she should so some than that the their them then there they this to too up us "
    "very was we were what when which who why will with would you your".split()
)


def reads_as_english(text: str) -> bool:
    """Whether the text looks English: mostly Latin letters and enough common English words."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    latin = sum(ch.isascii() for ch in letters) / len(letters)
    if latin < 0.5:
        return False
    words = [w.lower().replace("’", "'") for w in _WORDS.findall(text)]
    if len(words) < 4:
        return True
    return sum(w in _ENGLISH for w in words) / len(words) >= 0.12


# ---------------------------------------------------------------------------------------------------
# Feedback
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One sentence, the stage it was read as, the reviewed cue phrases in it that signal that stage, and
    how sure the model was (``stage`` is :data:`UNSURE` when it was not sure enough to claim one)."""

    text: str
    stage: str
    phrases: tuple[str, ...]
    probability: float = 1.0
    by_cue: bool = False  # read as this stage because of a reviewed cue phrase, the model being unsure


def _cue_phrases(sentence: str, stage: str) -> list[str]:
    """The reviewed cue phrases of a stage in a sentence, as written there (longest first if they overlap)."""
    toks = tokens(sentence)
    spans = [(i, j) for s, i, j in cue_matches([t for t, _, _ in toks]) if s == stage]
    kept = [(i, j) for i, j in spans if not any(a <= i and j <= b and (a, b) != (i, j) for a, b in spans)]
    out = []
    for i, j in sorted(kept):
        phrase = sentence[toks[i][1] : toks[j - 1][2]]
        if phrase not in out:
            out.append(phrase)
    return out


def _read(sentence: str, context: str, model: Model) -> Sentence:
    reading = read_sentence(sentence, context, model)
    if reading.claimed in (UNSURE, "none"):
        return Sentence(sentence, reading.claimed, (), reading.probability)
    return Sentence(sentence, reading.claimed, tuple(_cue_phrases(sentence, reading.claimed)[:3]),
                    reading.probability, reading.by_cue)


def _signal(s: Sentence, quote=lambda p: f"“{p}”") -> str:
    """Why a sentence was read as its stage, in words a person can check."""
    if not s.phrases:
        return ""
    quoted = ", ".join(quote(p) for p in s.phrases)
    if s.by_cue:
        many = len(s.phrases) > 1
        return f" [the phrase{'s' if many else ''} {quoted} {'are usual signs' if many else 'is a usual sign'} of this stage]"
    return f" [signal: {quoted}]"


def _short(text: str, limit: int = 30) -> str:
    words = text.split()
    return text if len(words) <= limit else " ".join(words[:limit]) + " …"


def _name(stage: str) -> str:
    return stage[0].upper() + stage[1:]


def _questions(missing: Sequence[str], how_many: int = 6) -> tuple[str, ...]:
    return tuple(QUESTIONS[s] for s in list(missing)[:how_many])


@dataclass(frozen=True)
class Hint:
    """A cue phrase of a missing stage, found in a sentence that was read as another stage (or not sure)."""

    stage: str
    phrase: str
    sentence: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Feedback:
    """Advice on one reflection. Renders as HTML in a notebook and as plain text in a terminal.

    - ``stages``: the stages found, in Gibbs' order, each with the sentences read as that stage (the
      sentences the model was surest of first); ``phrases(stage)`` lists the cue phrases in them.
    - ``missing``: the stages not found; ``hints``: cue phrases of missing stages that appear inside
      sentences read as something else; ``questions``: one question per missing stage, in the order
      asked (stages without even a hint first), each tied to Kember's levels (:data:`KEMBER`).
    - ``word_count``, ``sentences`` (every sentence with its stage, "none" or "not sure"), ``notes``
      (plain remarks, such as "reads English only"), ``advice`` (a machine's reading; the tutor's mark
      is what counts).
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

    def phrases(self, stage: str) -> list[str]:
        """The cue phrases that signalled a stage, across the whole reflection."""
        return [p for s in self.stages.get(stage, ()) for p in s.phrases]

    def _summary(self) -> str:
        if not self.sentences:  # nothing was read for stages (empty, not English, or a failure)
            return f"{_plural(self.word_count, 'word')}."
        text = f"{_plural(self.word_count, 'word')}; your text touches {len(self.stages)} of Gibbs' 6 stages."
        unread = sum(s.stage == "none" for s in self.sentences)
        unsure = sum(s.stage == UNSURE for s in self.sentences)
        if unread:
            text += (f" {_plural(unread, 'sentence')} read as none of them (often background, or about "
                     f"other people rather than you).")
        if unsure:
            text += f" For {_plural(unsure, 'sentence')} the machine was not sure enough to name a stage."
        return text

    def _asked(self) -> list[tuple[str, str]]:
        """(stage, question) for each question asked."""
        by_question = {QUESTIONS[s]: s for s in STAGES}
        return [(by_question.get(q, ""), q) for q in self.questions]

    def _missing_lines(self) -> list[str]:
        lines = []
        for stage in self.missing:
            hints = [h for h in self.hints if h.stage == stage]
            line = _name(stage)
            if hints:
                h = hints[0]
                line += (f": not a sentence of its own, though “{h.phrase}” appears in “{_short(h.sentence, 12)}”;"
                         f" you could say more about it")
            lines.append(line)
        return lines

    def __str__(self) -> str:
        lines = ["Feedback on your reflection (advice, not a grade)"]
        if self.source:
            lines.append(self.source)
        lines.append(self._summary())
        lines += self.notes
        if self.stages:
            lines += ["", "Stages your text touches:"]
            for stage, found in self.stages.items():
                lines.append(f"- {_name(stage)} ({_plural(len(found), 'sentence')})")
                for s in found[:2]:
                    lines.append(f"    “{_short(s.text)}”{_signal(s)}")
        if self.missing and self.sentences:
            lines += ["", "Stages not found:"]
            lines += [f"- {line}" for line in self._missing_lines()]
        if self.questions:
            lines += ["", "Questions to take you further:"]
            for i, (stage, q) in enumerate(self._asked(), 1):
                lines.append(f"{i}. {q}" + (f" ({KEMBER[stage]})" if stage else ""))
        lines += ["", self.advice]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        e = html.escape
        parts = ['<section class="syslead-reflection" aria-label="Feedback on your reflection">',
                 "<h4>Feedback on your reflection (advice, not a grade)</h4>"]
        if self.source:
            parts.append(f"<p>{e(self.source)}</p>")
        parts.append(f"<p>{e(self._summary())}</p>")
        parts += [f"<p>{e(note)}</p>" for note in self.notes]
        if self.stages:
            parts.append("<h5>Stages your text touches</h5><ul>")
            for stage, found in self.stages.items():
                parts.append(f"<li><strong>{e(_name(stage))}</strong> ({_plural(len(found), 'sentence')})<ul>")
                for s in found[:2]:
                    signals = _signal(s, lambda p: f"“<strong>{e(p)}</strong>”") if s.phrases else ""
                    parts.append(f"<li>“{e(_short(s.text))}”{signals}</li>")
                parts.append("</ul></li>")
            parts.append("</ul>")
        if self.missing and self.sentences:
            parts.append("<h5>Stages not found</h5><ul>")
            parts += [f"<li>{e(line)}</li>" for line in self._missing_lines()]
            parts.append("</ul>")
        if self.questions:
            parts.append("<h5>Questions to take you further</h5><ol>")
            for stage, q in self._asked():
                why = f" <small>({e(KEMBER[stage])})</small>" if stage else ""
                parts.append(f"<li>{e(q)}{why}</li>")
            parts.append("</ol>")
        parts.append(f"<p><em>{e(self.advice)}</em></p></section>")
        return "".join(parts)


def _hints(read: Sequence[Sentence], missing: Sequence[str]) -> tuple[Hint, ...]:
    hints = []
    for s in read:
        toks = tokens(s.text)
        for stage, i, j in cue_matches([t for t, _, _ in toks]):
            if stage in missing and not any(h.stage == stage for h in hints):
                hints.append(Hint(stage, s.text[toks[i][1] : toks[j - 1][2]], s.text))
    return tuple(sorted(hints, key=lambda h: STAGES.index(h.stage)))


#: The note shown if reading a text fails in a way the tests did not foresee.
FAILED = ("Something went wrong while reading this text, so there is no feedback this time; your answer "
          "is saved as it is. Please tell your tutor.")


def feedback(text: str, *, source: str = "") -> Feedback:
    """Advice on a reflection (markdown or plain text): stages touched, signals, words, questions.

    Never raises: empty, very long, non-English or odd text gets a plain note instead. The questions go
    to the first missing stages in the cycle's order, those without even a hint of them first.
    """
    try:
        return _feedback("" if text is None else str(text), source)
    except Exception:  # a safety net: a learner's notebook gets a sentence, never a traceback
        return Feedback(0, (), {}, (), (), (FAILED,), source)


def _feedback(text: str, source: str) -> Feedback:
    sentences = [s for s in split_sentences(text) if not s.startswith(STUB)]
    words = word_count(" ".join(sentences)) if sentences else 0
    if not sentences or words == 0:
        note = ("There is nothing to read yet: write a few sentences about what happened and what you made "
                "of it, then ask again.")
        return Feedback(words, (), {}, STAGES, _questions(STAGES[:1]), (note,), source)
    if not reads_as_english(" ".join(sentences)):
        note = ("This helper reads English only, so it cannot say which of Gibbs' stages your text touches; "
                "your tutor will read it as written.")
        return Feedback(words, (), {}, (), (), (note,), source)
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
    missing = tuple(s for s in STAGES if s not in stages)
    hints = _hints(read, missing)
    hinted = {h.stage for h in hints}
    asked = [s for s in missing if s not in hinted] + [s for s in missing if s in hinted]
    if not missing:
        notes.append("Your text touches all six stages. To go deeper, ask of your analysis: what would "
                     "someone who saw it differently say?")
    return Feedback(words, read, stages, missing, _questions(asked), tuple(notes), source, hints)


# ---------------------------------------------------------------------------------------------------
# Feedback on a reflection cell of the notebook being edited
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A one-sentence answer when there is nothing to give feedback on yet."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f'<p class="syslead-reflection">{html.escape(self.text)}</p>'


_SAVE_FIRST = "save the notebook (Ctrl+S, or Cmd+S on a Mac) and run this cell again"


def _session_path() -> str | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython is always there with Jupyter
        shell = None
    namespace = getattr(shell, "user_ns", None) or {}
    for name in ("__session__", "__vsc_ipynb_file__"):
        value = namespace.get(name)
        if isinstance(value, str) and value:
            return value
    return os.environ.get("JPY_SESSION_NAME") or None


def find_notebook(notebook: str | os.PathLike | None = None) -> Path | None:
    """The notebook file this kernel belongs to (or ``notebook``, if given), when it can be found."""
    given = str(notebook) if notebook is not None else _session_path()
    if not given:
        return None
    path = Path(given).expanduser()
    for candidate in (path, Path.cwd() / path, Path.cwd() / path.name):
        if candidate.suffix == ".ipynb" and candidate.is_file():
            return candidate
    return None


def _only_notebook_with(grade_id: str) -> Path | None:
    """Without a session (nbgrader's validate and autograde run the notebook in its own folder), the one
    notebook in the working folder that has this answer cell, if there is exactly one."""
    found = []
    for candidate in sorted(Path.cwd().glob("*.ipynb")):
        try:
            if f'"grade_id": "{grade_id}"' in candidate.read_text(encoding="utf-8"):
                found.append(candidate)
        except OSError:
            continue
    return found[0] if len(found) == 1 else None


def feedback_on(grade_id: str, notebook: str | os.PathLike | None = None) -> Feedback | Notice:
    """Feedback on a reflection answer cell (nbgrader ``grade_id``, e.g. "reflection-1") of this notebook.

    It reads the notebook as last *saved*: save (Ctrl+S) before you run it. The notebook is found from
    the kernel's session (JupyterLab 4 sets ``__session__`` and ``JPY_SESSION_NAME``), or pass its
    path as ``notebook``; failing both (nbgrader's validate and autograde), it is the one notebook in
    the working folder with that answer cell. Never raises: when there is nothing to read it says so in
    one sentence.
    """
    path = find_notebook(notebook) or _only_notebook_with(grade_id)
    if path is None:
        return Notice(f"I could not find this notebook's file: {_SAVE_FIRST}; if it still fails, "
                      f"copy your reflection into feedback(\"...\") instead.")
    try:
        import nbformat

        nb = nbformat.read(path, as_version=4)
    except Exception:
        return Notice(f"I could not read {path.name}: {_SAVE_FIRST}.")
    cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    if not cells:
        known = [c.metadata.nbgrader.grade_id for c in nb.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith("reflection")]
        hint = f" (this notebook has {', '.join(known)})" if known else ""
        return Notice(f"There is no answer cell called {grade_id!r} in {path.name}{hint}: "
                      f"check the name in this cell.")
    text = cells[0].source if isinstance(cells[0].source, str) else "".join(cells[0].source)
    if not [s for s in split_sentences(text) if not s.startswith(STUB)]:
        return Notice(f"Cell {grade_id!r} has no reflection in the saved notebook yet: write your "
                      f"reflection in it, then {_SAVE_FIRST}.")
    return feedback(text, source=f"Read from the saved notebook ({path.name}, cell {grade_id}), {_saved_when(path)}: "
                                 f"if you have written since, save (Ctrl+S) and run this cell again.")


def _saved_when(path: Path) -> str:
    """When the notebook was last saved, in words ("saved just now", "saved 5 minutes ago", ...): the
    advice reads the saved file, so the learner can tell whether it is the text on screen."""
    import time

    try:
        seconds = time.time() - path.stat().st_mtime
    except OSError:
        return "as last saved"
    if seconds < 60:
        return "saved just now"
    if seconds < 3600:
        minutes = int(seconds // 60)
        return f"saved {minutes} minute{'s' if minutes != 1 else ''} ago"
    return "saved " + time.strftime("at %H:%M on %d %B %Y", time.localtime(path.stat().st_mtime))
