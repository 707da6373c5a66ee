"""The model behind the reflection advice: how one sentence is read as one of Gibbs' stages.

A multinomial logistic regression over TF-IDF features of the sentence (words, word pairs, letter groups
inside words, the reviewed cue phrases of ``reflection_cues.json``) and of its neighbouring sentences,
trained by ``scripts/build_reflection_model.py`` on the English sentences of the Czech-English Reflective
Dataset (CEReD; Štefánik & Nehyba 2021, Apache-2.0; see ``REFLECTION_MODEL_NOTICE.md``) and shipped as
``reflection_model.json``. A stage is *claimed* only when the model's probability for it reaches that
stage's threshold, chosen by ``benchmarks/reflection_validation.py`` on grouped folds and checked on a split
held out from every choice; the file carries the figures of that check (:func:`validated`). Otherwise the
reading is "not sure". Runs offline with numpy. Part of :mod:`syslead.learner.reflection`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
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

# ---------------------------------------------------------------------------------------------------
# Words and features
# ---------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<emoticon>[:;=]-?[()DPp](?![\w])|<3|[\U0001F300-\U0001FAFF\u2600-\u27BF])"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<mark>[!?])"
)
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
    thresholds: dict = field(default_factory=dict)  # label -> the sureness it needs to be claimed (None: never)
    rule: str = "probability"  # sureness: the best label's "probability", or its "margin" over the second
    about: dict = field(default_factory=dict)
    validated: dict = field(default_factory=dict)  # the figures of benchmarks/reflection_validation.py
    evidence: dict = field(default_factory=dict)  # stage -> the cue phrases validated as evidence of it

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
            "rule": self.rule,
            "thresholds": self.thresholds,
            "validated": self.validated,
            "evidence": self.evidence,
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
            thresholds={k: (None if v is None else float(v)) for k, v in data.get("thresholds", {}).items()},
            rule=data.get("rule", "probability"),
            about=data.get("about", {}),
            validated=data.get("validated", {}),
            evidence={k: tuple(v) for k, v in data.get("evidence", {}).items()},
        )


@lru_cache(maxsize=1)
def load_model(path: str | None = None) -> Model:
    """The shipped model (read once, then cached)."""
    with open(path or MODEL_PATH, encoding="utf-8") as file:
        return Model.from_json(json.load(file))


@dataclass(frozen=True)
class Reading:
    """How one sentence is read: its ``label`` (always one of :data:`LABELS`: the model's best guess), the
    model's probability for that label, and what is ``claimed``: the label when the model is sure enough of
    it (its probability, or its margin over the second label, reaches the label's threshold), otherwise
    :data:`UNSURE` ("not sure")."""

    label: str
    probability: float
    claimed: str


#: What "none" (not reflective writing) needs to be claimed; it is never counted as a stage claimed.
NONE_THRESHOLD = 0.5


def cue_stages(sentence: str) -> list[str]:
    """The stages whose reviewed cue phrases the sentence contains, in Gibbs' order."""
    found = {s for s, _, _ in cue_matches([t for t, _, _ in tokens(sentence)])}
    return [s for s in STAGES if s in found]


def decide(p: np.ndarray, thresholds: Mapping[str, float | None], labels: Sequence[str] = LABELS,
           rule: str = "probability") -> Reading:
    """The reading from the model's probabilities ``p``: the best label is claimed if the model's sureness
    (``rule``: its probability, or its margin over the second label) reaches the label's threshold (a stage
    whose threshold is None is never claimed); otherwise "not sure". "none" needs a probability of
    :data:`NONE_THRESHOLD`.

    There is no cue rule: below the threshold a cue phrase does not make a claim, because on grouped
    folds such claims agreed with the annotators far less often than the goal (benchmarks/reflection_validation.md).
    """
    best = int(np.argmax(p))
    label, probability = labels[best], float(p[best])
    sure = probability if rule == "probability" or len(p) < 2 else probability - float(np.sort(p)[-2])
    if label == "none":
        limit, sure = NONE_THRESHOLD, probability
    else:
        limit = thresholds.get(label)
    claimed = label if limit is not None and sure >= limit else UNSURE
    return Reading(label, probability, claimed)


def _without(sentence: str, context: str) -> str:
    """The context without the sentence itself (CEReD's context column holds it; the model was trained
    on what is around it)."""
    return context.replace(sentence, " ", 1) if sentence and sentence in context else context


def read_sentence(sentence: str, context: str = "", model: Model | None = None) -> Reading:
    """How the sentence is read (``context``: the sentences around it in the same text)."""
    model = model or load_model()
    if sentence is None or not any(t.isalpha() for t, _, _ in tokens(str(sentence))):
        return Reading("none", 1.0, "none")
    sentence = str(sentence)
    context = _without(sentence, "" if context is None else str(context))
    return decide(model.probabilities(sentence, context), model.thresholds, model.labels, model.rule)


def validated() -> dict:
    """The shipped model's validated figures: claimed stages' precision and coverage on the held-out
    split (benchmarks/reflection_validation.py), as the build script put them in the model file."""
    return dict(load_model().validated)


def evidence_phrases(sentence: str, stage: str, model: Model | None = None) -> list[str]:
    """The validated cue phrases of a stage in a sentence, as written there (longest if they overlap)."""
    allowed = set((model or load_model()).evidence.get(stage, ()))
    toks = tokens(sentence)
    spans = [(i, j) for s, i, j in cue_matches([t for t, _, _ in toks])
             if s == stage and " ".join(t for t, _, _ in toks[i:j]) in allowed]
    kept = [(i, j) for i, j in spans if not any(a <= i and j <= b and (a, b) != (i, j) for a, b in spans)]
    out = []
    for i, j in sorted(kept):
        phrase = sentence[toks[i][1] : toks[j - 1][2]]
        if phrase not in out:
            out.append(phrase)
    return out


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
