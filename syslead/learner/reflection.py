"""Formative feedback on a written reflection, on Gibbs' reflective cycle.

Gibbs' cycle (Gibbs 1988, *Learning by Doing*, Further Education Unit, Oxford Polytechnic) walks a
reflection through six stages: **description** (what happened), **feelings** (what you thought and felt),
**evaluation** (what was good and bad), **analysis** (what sense you can make of it), **conclusion** (what
you learned, what else you could have done) and **action plan** (what you will do next time).

After a reflection cell, one short line gives the learner advice (never a grade)::

    from syslead.learner.reflection import feedback_on
    feedback_on("reflection-1")        # reads the *saved* notebook: press Ctrl+S first

or, for any text, ``feedback(text)``. The answer lists the stages the text touches, quoting the sentences
and the phrases that signalled each, the word count, and one or two questions for the stages it skipped.

How a sentence gets its stage (:func:`gibbs_stage`): a multinomial logistic regression over the sentence's
words, word pairs and hand-built cue phrases (:data:`CUES`), trained by ``scripts/build_reflection_model.py``
on the English sentences of the Czech-English Reflective Dataset (CEReD; Štefánik & Nehyba 2021,
Apache-2.0; see ``REFLECTION_MODEL_NOTICE.md``) and shipped as ``reflection_model.json``. Everything runs
offline with numpy; ``scripts/evaluate_reflection.py`` measures how often it agrees with CEReD's
annotators (``docs/reflection-feedback.md``).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

#: Gibbs' six stages, in the order of the cycle.
STAGES: tuple[str, ...] = ("description", "feelings", "evaluation", "analysis", "conclusion", "action plan")

#: What :func:`gibbs_stage` can answer: a stage, or "none" for a sentence that is not reflective writing.
LABELS: tuple[str, ...] = STAGES + ("none",)

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

#: Hand-built cue phrases per stage (lowercase words; "<emoticon>" stands for any emoticon or emoji).
#: The model weighs them as features, and the feedback quotes the ones it finds, so a learner can see
#: why a sentence was read as, say, feelings.
CUES: dict[str, tuple[str, ...]] = {
    "description": (
        "what happened", "today", "yesterday", "this morning", "last week", "in the meeting",
        "in the lesson", "at the start", "at the end", "first", "then", "after that", "afterwards",
        "we did", "we had", "i was asked", "i asked", "i told", "they told", "he said", "she said",
        "they said", "we discussed", "i led", "i ran", "i taught", "took place", "began", "started",
    ),
    "feelings": (
        "i felt", "i feel", "i was feeling", "felt", "feeling", "feelings", "happy", "glad", "pleased",
        "proud", "relieved", "excited", "enjoyed", "i liked", "i loved", "nervous", "anxious", "worried",
        "afraid", "scared", "stressed", "frustrated", "annoyed", "angry", "upset", "disappointed",
        "embarrassed", "uncomfortable", "confident", "surprised", "shocked", "overwhelmed", "sad",
        "tired", "exhausted", "hated", "fear", "joy", "<emoticon>",
    ),
    "evaluation": (
        "went well", "went badly", "worked well", "did not work", "didn't work", "didn't go",
        "did not go", "problem", "problems", "difficult", "difficulty", "hard", "struggled", "struggle",
        "challenge", "challenging", "mistake", "mistakes", "failed", "failure", "unfortunately",
        "the worst", "the best", "successful", "success", "a good", "a bad", "couldn't", "could not",
        "wasn't able", "was not able", "not easy", "too much", "too long", "too fast", "helpful", "useful",
    ),
    "analysis": (
        "because", "why", "i think", "i believe", "in my opinion", "it seems", "seemed", "perhaps",
        "maybe", "probably", "the reason", "reasons", "this suggests", "this means", "which meant",
        "depends", "on the other hand", "however", "i wonder", "compared", "in theory", "theory", "model",
        "important", "should", "must be", "i consider", "from their point of view", "their perspective",
        "i would say", "it may be", "might have", "could be",
    ),
    "conclusion": (
        "i learned", "i learnt", "i have learned", "i've learned", "i realised", "i realized",
        "i realise", "i realize", "i found out", "i discovered", "i understood", "i now understand",
        "i now know", "i know now", "taught me", "showed me", "lesson for me", "in hindsight",
        "looking back", "i could have", "i should have", "should have", "could have done", "i see now",
        "now i see", "made me realise", "made me realize", "conclusion", "overall",
    ),
    "action plan": (
        "next time", "in the future", "in future", "from now on", "i will", "i'll", "i am going to",
        "i'm going to", "i plan", "i intend", "my plan", "my goal", "i want to", "i would like to",
        "i'd like to", "i need to", "i have to work on", "i must", "i'll try", "i will try",
        "my next step", "next step", "next steps", "by next", "i aim", "going forward",
    ),
}

#: One question per stage, asked when a reflection skips that stage (our wording of Gibbs' prompts).
QUESTIONS: dict[str, str] = {
    "description": "What happened, step by step? Who was involved, what did you do, and what did others do?",
    "feelings": "What were you thinking and feeling at the time, and how do you feel about it now?",
    "evaluation": "What went well, and what went badly or was hard?",
    "analysis": "Why do you think it went that way? Which idea from the reading helps to explain it?",
    "conclusion": "What have you learned from this, and what else could you have done?",
    "action plan": "What will you do differently next time, and when will you next get the chance?",
}

ADVICE = (
    "This is advice, not a grade: a computer read your text for signs of Gibbs' six stages. "
    "It can miss what you meant, and your tutor marks the depth of your reflection, not these stages."
)

#: The stub nbgrader puts in an unanswered reflection cell (``nbgrader_config.py``), without markup.
STUB = "Write your reflection here"

MODEL_PATH = Path(__file__).resolve().parent / "reflection_model.json"

# ---------------------------------------------------------------------------------------------------
# Words and features
# ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<emoticon>[:;=]-?[()DPp](?![\w])|<3|[\U0001F300-\U0001FAFF\u2600-\u27BF])"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<mark>[!?])"
)
_WORDS = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def tokens(sentence: str) -> list[tuple[str, int, int]]:
    """The sentence's tokens as (token, start, end): lowercase words, "!", "?" and "<emoticon>"."""
    out = []
    for m in _TOKEN.finditer(sentence):
        if m.lastgroup == "emoticon":
            out.append(("<emoticon>", m.start(), m.end()))
        else:
            out.append((m.group().lower().replace("’", "'"), m.start(), m.end()))
    return out


def _cue_index(cues: dict[str, Iterable[str]]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for stage, phrases in cues.items():
        for phrase in phrases:
            words = tuple(phrase.split())
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


def features(sentence: str) -> list[str]:
    """What the model sees in a sentence: its words, neighbouring word pairs and cue-phrase stages."""
    words = [t for t, _, _ in tokens(sentence)]
    padded = ["<s>", *words, "</s>"]
    pairs = [f"{a} {b}" for a, b in zip(padded, padded[1:], strict=False)]
    cues = [f"cue:{stage}" for stage in sorted({s for s, _, _ in cue_matches(words)})]
    return words + pairs + cues


# ---------------------------------------------------------------------------------------------------
# The model: multinomial logistic regression over binary features, in numpy
# ---------------------------------------------------------------------------------------------------


@dataclass
class Model:
    """Weights per feature and label (centred so that each feature's weights sum to zero) and biases."""

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    weights: np.ndarray  # (features, labels)
    bias: np.ndarray  # (labels,)
    cue_bonus: dict[str, float] = field(default_factory=dict)
    cue_rescue: bool = False
    about: dict = field(default_factory=dict)

    def _scores(self, found: list[str]) -> np.ndarray:
        ids = sorted({self.vocabulary[f] for f in found if f in self.vocabulary})
        score = self.bias + self.weights[ids].sum(axis=0)
        for stage, bonus in self.cue_bonus.items():
            if f"cue:{stage}" in found:
                score[self.labels.index(stage)] += bonus
        return score

    def scores(self, sentence: str) -> np.ndarray:
        """The model's score for each label (higher is more likely).

        The sum of the weights of the sentence's features, plus the bias, plus ``cue_bonus[stage]`` for
        each stage whose cue phrases the sentence contains (the stages CEReD has few examples of).
        """
        return self._scores(features(sentence))

    def predict(self, sentence: str) -> str:
        """The label with the highest score. With ``cue_rescue``, a sentence scored "none" that contains
        a cue phrase of its best-scored stage is read as that stage (see docs/reflection-feedback.md)."""
        found = features(sentence)
        if not any(not f.startswith("cue:") and " " not in f for f in found):  # no words at all
            return "none"
        score = self._scores(found)
        label = self.labels[int(np.argmax(score))]
        if label == "none" and self.cue_rescue:
            stages = [i for i, name in enumerate(self.labels) if name != "none"]
            best = self.labels[stages[int(np.argmax(score[stages]))]]
            if f"cue:{best}" in found:
                return best
        return label

    def to_json(self) -> dict:
        """The model as plain data; weights and biases in hundredths (whole numbers keep the file small)."""
        order = sorted(self.vocabulary, key=self.vocabulary.get)
        return {
            "about": self.about,
            "labels": list(self.labels),
            "unit": 0.01,
            "cue_bonus": self.cue_bonus,
            "cue_rescue": self.cue_rescue,
            "bias": [int(round(100 * float(b))) for b in self.bias],
            "weights": {f: [int(round(100 * float(w))) for w in self.weights[self.vocabulary[f]]] for f in order},
        }

    @classmethod
    def from_json(cls, data: dict) -> Model:
        unit = float(data.get("unit", 1.0))
        names = list(data["weights"])
        weights = unit * np.array([data["weights"][f] for f in names], dtype=float).reshape(len(names), -1)
        return cls(
            labels=tuple(data["labels"]),
            vocabulary={f: i for i, f in enumerate(names)},
            weights=weights,
            bias=unit * np.array(data["bias"], dtype=float),
            cue_bonus=dict(data.get("cue_bonus", {})),
            cue_rescue=bool(data.get("cue_rescue", False)),
            about=data.get("about", {}),
        )


#: Settings of the shipped model; ``scripts/build_reflection_model.py`` and the evaluation use these.
TRAINING = {"min_count": 2, "l2": 3e-4, "steps": 200, "learning_rate": 0.05, "class_weight_power": 1.0,
            "prune_below": 0.2, "cue_bonus": {"conclusion": 1.0, "action plan": 1.0}, "cue_rescue": True}


def train(
    sentences: Sequence[str],
    labels: Sequence[str],
    *,
    min_count: int = TRAINING["min_count"],
    l2: float = TRAINING["l2"],
    steps: int = TRAINING["steps"],
    learning_rate: float = TRAINING["learning_rate"],
    class_weight_power: float = TRAINING["class_weight_power"],
    prune_below: float = TRAINING["prune_below"],
    cue_bonus: dict[str, float] | None = None,
    cue_rescue: bool = TRAINING["cue_rescue"],
) -> Model:
    """Fit the model to labelled sentences (labels from :data:`LABELS`). Deterministic: no randomness.

    Features seen in fewer than ``min_count`` sentences are dropped. Classes are weighted by
    (n / (k * n_class)) ** ``class_weight_power`` so the rare stages are not drowned out. Full-batch
    Adam for ``steps`` steps on the weighted cross-entropy plus ``l2`` times the squared weights. After
    training, features whose weights all lie within ``prune_below`` of zero are dropped (a smaller file).
    ``cue_bonus`` (default: the shipped one) and ``cue_rescue`` act at prediction time, see
    :meth:`Model.scores` and :meth:`Model.predict`.
    """
    if cue_bonus is None:
        cue_bonus = dict(TRAINING["cue_bonus"])
    label_ids = {label: i for i, label in enumerate(LABELS)}
    y = np.array([label_ids[label] for label in labels])
    rows_features = [sorted(set(features(s))) for s in sentences]
    counts: dict[str, int] = {}
    for fs in rows_features:
        for f in fs:
            counts[f] = counts.get(f, 0) + 1
    names = sorted(f for f, c in counts.items() if c >= min_count)
    vocabulary = {f: i for i, f in enumerate(names)}
    rows, cols = [], []
    for r, fs in enumerate(rows_features):
        ids = [vocabulary[f] for f in fs if f in vocabulary]
        rows.extend([r] * len(ids))
        cols.extend(ids)
    rows_a, cols_a = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    n, d, k = len(y), len(names), len(LABELS)

    per_class = np.bincount(y, minlength=k).astype(float)
    class_weight = np.where(per_class > 0, (n / (k * np.maximum(per_class, 1))) ** class_weight_power, 0.0)
    sample_weight = class_weight[y] / class_weight[y].mean()
    target = np.eye(k)[y]

    weights, bias = np.zeros((d, k)), np.zeros(k)
    m_w, v_w, m_b, v_b = np.zeros((d, k)), np.zeros((d, k)), np.zeros(k), np.zeros(k)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, steps + 1):
        z = np.tile(bias, (n, 1))
        for c in range(k):
            z[:, c] += np.bincount(rows_a, weights=weights[cols_a, c], minlength=n)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - target) * sample_weight[:, None] / n
        grad_w = np.empty((d, k))
        for c in range(k):
            grad_w[:, c] = np.bincount(cols_a, weights=g[rows_a, c], minlength=d)
        grad_w += l2 * weights
        grad_b = g.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        weights -= learning_rate * (m_w / correction1) / (np.sqrt(v_w / correction2) + eps)
        bias -= learning_rate * (m_b / correction1) / (np.sqrt(v_b / correction2) + eps)

    weights -= weights.mean(axis=1, keepdims=True)  # softmax is unchanged; each weight reads as a lean
    bias -= bias.mean()
    keep = np.abs(weights).max(axis=1) >= prune_below
    kept = [f for f, ok in zip(names, keep, strict=True) if ok]
    return Model(
        labels=LABELS,
        vocabulary={f: i for i, f in enumerate(kept)},
        weights=weights[keep],
        bias=bias,
        cue_bonus=dict(cue_bonus),
        cue_rescue=cue_rescue,
    )


@lru_cache(maxsize=1)
def load_model(path: str | None = None) -> Model:
    """The shipped model (read once, then cached)."""
    with open(path or MODEL_PATH, encoding="utf-8") as file:
        return Model.from_json(json.load(file))


def gibbs_stage(sentence: str) -> str:
    """The Gibbs stage a sentence most likely belongs to, or "none".

    Always one of :data:`LABELS`: "description", "feelings", "evaluation", "analysis", "conclusion",
    "action plan" or "none" (not reflective writing, or nothing to read).
    """
    if sentence is None:
        return "none"
    return load_model().predict(str(sentence))


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


#: Words too plain to quote as the signal of a stage on their own.
_PLAIN = frozenset("a an and as at but for i in is it me my of on or so that the then this to was we".split()
                   + ["!", "?"])

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
    """One sentence, the stage it was read as, and the phrases in it that signalled that stage."""

    text: str
    stage: str
    phrases: tuple[str, ...]


def _read(sentence: str, model: Model) -> Sentence:
    stage = model.predict(sentence)
    if stage == "none":
        return Sentence(sentence, stage, ())
    toks = tokens(sentence)
    words = [t for t, _, _ in toks]
    phrases: list[str] = []
    for cue_stage, i, j in cue_matches(words):
        if cue_stage == stage:
            phrases.append(sentence[toks[i][1] : toks[j - 1][2]])
    column = model.labels.index(stage)
    leaning = []
    for f in set(features(sentence)):
        index = model.vocabulary.get(f)
        if index is None or f.startswith("cue:") or "<" in f or all(w in _PLAIN for w in f.split(" ")):
            continue
        weight = model.weights[index, column]
        if weight >= 0.5:
            leaning.append((-weight, f))
    for _, f in sorted(leaning)[:3]:
        first = f.split(" ")
        for i in range(len(words) - len(first) + 1):
            if words[i : i + len(first)] == first:
                phrases.append(sentence[toks[i][1] : toks[i + len(first) - 1][2]])
                break
    lower = [p.lower() for p in phrases]
    unique = []
    for i, phrase in enumerate(phrases):  # keep the longest of overlapping phrases, in order found
        inside = any(lower[i] in other and (lower[i] != other or j < i) for j, other in enumerate(lower) if j != i)
        if not inside:
            unique.append(phrase)
    return Sentence(sentence, stage, tuple(unique[:4]))


def _short(text: str, limit: int = 30) -> str:
    words = text.split()
    return text if len(words) <= limit else " ".join(words[:limit]) + " …"


def _name(stage: str) -> str:
    return stage[0].upper() + stage[1:]


def _questions(missing: Sequence[str], how_many: int = 2) -> tuple[str, ...]:
    return tuple(QUESTIONS[s] for s in list(missing)[:how_many])


@dataclass(frozen=True)
class Hint:
    """A cue phrase of a missing stage, found in a sentence that was read as another stage."""

    stage: str
    phrase: str
    sentence: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Feedback:
    """Advice on one reflection. Renders as HTML in a notebook and as plain text in a terminal.

    - ``stages``: the stages found, in Gibbs' order, each with the sentences read as that stage (the
      sentences with the most signal phrases first); ``phrases(stage)`` lists the signals.
    - ``missing``: the stages not found; ``hints``: cue phrases of missing stages that appear inside
      sentences read as something else; ``questions``: one or two questions that lead to missing stages.
    - ``word_count``, ``sentences`` (every sentence with its stage), ``notes`` (plain remarks, such as
      "reads English only"), ``advice`` (the reminder that this is advice, not a grade).
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
        """The phrases that signalled a stage, across the whole reflection."""
        return [p for s in self.stages.get(stage, ()) for p in s.phrases]

    def _summary(self) -> str:
        if not self.sentences:  # nothing was read for stages (empty, not English, or a failure)
            return f"{_plural(self.word_count, 'word')}."
        text = f"{_plural(self.word_count, 'word')}; your text touches {len(self.stages)} of Gibbs' 6 stages."
        unread = sum(s.stage == "none" for s in self.sentences)
        if unread:
            text += (f" {_plural(unread, 'sentence')} read as none of them (often background, or about "
                     f"other people rather than you).")
        return text

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
                    signals = f" [signalled by: {', '.join(f'“{p}”' for p in s.phrases)}]" if s.phrases else ""
                    lines.append(f"    “{_short(s.text)}”{signals}")
        if self.missing and self.sentences:
            lines += ["", "Stages not found:"]
            lines += [f"- {line}" for line in self._missing_lines()]
        if self.questions:
            lines += ["", "Questions to take you further:"]
            lines += [f"{i}. {q}" for i, q in enumerate(self.questions, 1)]
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
                    signals = ""
                    if s.phrases:
                        quoted = ", ".join(f"“<strong>{e(p)}</strong>”" for p in s.phrases)
                        signals = f"; signalled by {quoted}"
                    parts.append(f"<li>“{e(_short(s.text))}”{signals}</li>")
                parts.append("</ul></li>")
            parts.append("</ul>")
        if self.missing and self.sentences:
            parts.append("<h5>Stages not found</h5><ul>")
            parts += [f"<li>{e(line)}</li>" for line in self._missing_lines()]
            parts.append("</ul>")
        if self.questions:
            parts.append("<h5>Questions to take you further</h5><ol>")
            parts += [f"<li>{e(q)}</li>" for q in self.questions]
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
    read = tuple(_read(s, model) for s in sentences)
    stages = {}
    for stage in STAGES:
        found = [s for s in read if s.stage == stage]
        if found:
            stages[stage] = tuple(sorted(found, key=lambda s: -len(s.phrases)))
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
    return feedback(text, source=f"Read from the saved notebook ({path.name}, cell {grade_id}).")
