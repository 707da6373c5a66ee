"""Cross-validate syslead.learner.reflection's Gibbs-stage classifier on CEReD, against two baselines.

    python scripts/evaluate_reflection.py [path/to/train.tsv] [--folds 5] [--seed 0] [--markdown FILE]

Prints, for each method, accuracy, macro-F1 (over the seven labels) and F1 per label, from stratified
k-fold cross-validation on the CEReD training sentences (default ``../shared/data/cered/train.tsv``
beside the repository), then the same table as Markdown (to stdout, or to ``--markdown FILE``), ready
for docs/reflection-feedback.md. The methods:

- **majority class**: every sentence gets the commonest label;
- **bag of words**: multinomial naive Bayes over word counts (add-one smoothing), the textbook baseline;
- **logistic regression, no cue rules**: the shipped model without its two cue rules (the bonus for
  conclusion and action-plan cues, and the rescue of "none" sentences that carry a cue), to show what
  the rules cost or gain on CEReD;
- **shipped**: ``syslead.learner.reflection.train`` with the shipped settings, retrained on each training fold
  and rounded as in the shipped file.

Sentences from the same passage of a diary stay in the same fold (a sentence that shares two runs of six
words with another row's context is grouped with it, as are identical sentences), so a test sentence's
neighbours are never in training. Every number printed is measured when the script runs.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build_reflection_model import DEFAULT_DATA, read_cered  # noqa: E402

from syslead.learner import reflection  # noqa: E402

LABELS = reflection.LABELS


# --- folds -------------------------------------------------------------------------------------------

def _shingles(text: str, n: int = 6) -> list[str]:
    words = re.findall(r"[a-z]+", str(text).lower())
    return sorted({" ".join(words[i : i + n]) for i in range(len(words) - n + 1)})  # sorted: same folds every run


def passages(sentences: list[str], contexts: list[str]) -> np.ndarray:
    """A group id per sentence: sentences linked through their contexts, or identical, share an id."""
    parent = list(range(len(sentences)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    in_context: dict[str, list[int]] = defaultdict(list)
    for i, context in enumerate(contexts):
        for s in _shingles(context):
            in_context[s].append(i)
    first: dict[str, int] = {}
    for i, sentence in enumerate(sentences):
        key = " ".join(sentence.lower().split())
        join(i, first.setdefault(key, i))
        shared: dict[int, int] = defaultdict(int)
        for s in _shingles(sentence):
            if len(in_context[s]) <= 20:  # a common phrase says nothing about where a sentence came from
                for j in in_context[s]:
                    shared[j] += 1
        for j, count in shared.items():
            if count >= 2:
                join(i, j)
    roots = [find(i) for i in range(len(sentences))]
    first_member: dict[int, int] = {}
    return np.array([first_member.setdefault(root, i) for i, root in enumerate(roots)])  # id: first member


def stratified_group_folds(y: np.ndarray, groups: np.ndarray, k: int = 5, seed: int = 0) -> np.ndarray:
    """A fold number per sentence: whole groups go to one fold, keeping each label's share even."""
    rng = np.random.default_rng(seed)
    group_ids, group_of = np.unique(groups, return_inverse=True)
    counts = np.zeros((len(group_ids), len(LABELS)))
    np.add.at(counts, (group_of, y), 1)
    order = rng.permutation(len(group_ids))
    order = order[np.argsort(-counts[order].sum(axis=1), kind="stable")]  # big groups first
    total = np.maximum(counts.sum(axis=0), 1)
    in_fold = np.zeros((k, len(LABELS)))
    fold_of_group = np.empty(len(group_ids), dtype=int)
    for g in order:
        best, best_key = 0, None
        for f in range(k):
            in_fold[f] += counts[g]
            key = ((in_fold / total).std(axis=0).sum(), in_fold[f].sum())
            in_fold[f] -= counts[g]
            if best_key is None or key < best_key:
                best, best_key = f, key
        fold_of_group[g] = best
        in_fold[best] += counts[g]
    return fold_of_group[group_of]


# --- methods: each takes training sentences and labels and returns a predict function -------------

def majority(train_x: list[str], train_y: np.ndarray):
    label = int(np.bincount(train_y, minlength=len(LABELS)).argmax())
    return lambda xs: np.full(len(xs), label)


def bag_of_words(train_x: list[str], train_y: np.ndarray, alpha: float = 1.0):
    """Multinomial naive Bayes over lowercase word counts, add-one smoothing."""

    def words(s: str) -> list[str]:
        return re.findall(r"[a-z]+(?:'[a-z]+)?", s.lower())

    vocabulary: dict[str, int] = {}
    for s in train_x:
        for w in words(s):
            vocabulary.setdefault(w, len(vocabulary))
    counts = np.zeros((len(LABELS), len(vocabulary)))
    for s, label in zip(train_x, train_y, strict=True):
        for w in words(s):
            counts[label, vocabulary[w]] += 1
    log_p = np.log(counts + alpha) - np.log((counts + alpha).sum(axis=1, keepdims=True))
    prior = np.log(np.bincount(train_y, minlength=len(LABELS)) + 1e-9) - np.log(len(train_y))

    def predict(xs: list[str]) -> np.ndarray:
        out = []
        for s in xs:
            ids = [vocabulary[w] for w in words(s) if w in vocabulary]
            out.append(int(np.argmax(prior + log_p[:, ids].sum(axis=1))))
        return np.array(out)

    return predict


def shipped(train_x: list[str], train_y: np.ndarray, **settings):
    model = reflection.train(train_x, [LABELS[i] for i in train_y], **settings)
    model = reflection.Model.from_json(model.to_json())  # exactly as shipped: weights in hundredths
    return lambda xs: np.array([LABELS.index(model.predict(s)) for s in xs])


def without_cue_rules(train_x: list[str], train_y: np.ndarray):
    return shipped(train_x, train_y, cue_bonus={}, cue_rescue=False)


METHODS = {
    "majority class": majority,
    "bag of words (naive Bayes)": bag_of_words,
    "logistic regression, no cue rules": without_cue_rules,
    "shipped: logistic regression + cue rules": shipped,
}


# --- scoring -------------------------------------------------------------------------------------------

def scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 over the seven labels, and F1 per label."""
    out = {"accuracy": float((truth == predicted).mean())}
    f1 = []
    for i, label in enumerate(LABELS):
        tp = int(((truth == i) & (predicted == i)).sum())
        fp = int(((truth != i) & (predicted == i)).sum())
        fn = int(((truth == i) & (predicted != i)).sum())
        out[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        f1.append(out[label])
    out["macro-F1"] = float(np.mean(f1))
    return out


def cross_validate(data: str | Path = DEFAULT_DATA, folds: int = 5, seed: int = 0,
                   methods: dict | None = None) -> tuple[dict[str, dict[str, float]], dict[str, np.ndarray], np.ndarray]:
    """Scores per method, out-of-fold predictions per method, and the true labels."""
    import csv

    import pandas as pd

    sentences, labels = read_cered(data)
    contexts = pd.read_csv(data, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)["context"]
    y = np.array([LABELS.index(label) for label in labels])
    fold = stratified_group_folds(y, passages(sentences, contexts.tolist()), folds, seed)
    results, predictions = {}, {}
    for name, method in (methods or METHODS).items():
        predicted = np.empty(len(y), dtype=int)
        for f in range(folds):
            train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
            predict = method([sentences[i] for i in train], y[train])
            predicted[test] = predict([sentences[i] for i in test])
        results[name] = scores(y, predicted)
        predictions[name] = predicted
    return results, predictions, y


def markdown(results: dict[str, dict[str, float]], folds: int, n: int) -> str:
    columns = ["accuracy", "macro-F1", *LABELS]
    lines = [
        f"Stratified {folds}-fold cross-validation on the {n:,} CEReD training sentences "
        "(passages kept within one fold); F1 per label.",
        "",
        "| method | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name, row in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.2f}" for c in columns) + " |")
    return "\n".join(lines)


def confusion(truth: np.ndarray, predicted: np.ndarray) -> str:
    lines = ["| annotators said ↓, model said → | " + " | ".join(LABELS) + " |",
             "|---|" + "---:|" * len(LABELS)]
    for i, label in enumerate(LABELS):
        row = [int(((truth == i) & (predicted == j)).sum()) for j in range(len(LABELS))]
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="CEReD train.tsv")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", help="also write the Markdown tables to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results, predictions, y = cross_validate(args.data, args.folds, args.seed)
    width = max(len(name) for name in results)
    print(f"{'method':<{width}}  " + "  ".join(f"{c:>11}" for c in ["accuracy", "macro-F1", *LABELS]))
    for name, row in results.items():
        print(f"{name:<{width}}  " + "  ".join(f"{row[c]:>11.3f}" for c in ["accuracy", "macro-F1", *LABELS]))
    print(f"({time.perf_counter() - started:.0f} s)\n")
    text = (markdown(results, args.folds, len(y)) + "\n\nConfusion of the shipped method (out-of-fold):\n\n"
            + confusion(y, predictions[list(results)[-1]]) + "\n")
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
