"""Cross-validate the shipped Gibbs-stage classifier on CEReD: scores and the confusion table.

    python scripts/evaluate_reflection.py [path/to/train.tsv] [--markdown FILE]

Prints accuracy, macro-F1 (over the seven labels) and F1 per label of the shipped settings
(``scripts/build_reflection_model.py``), from grouped, stratified 5-fold cross-validation on the CEReD
training sentences (default ``../shared/data/cered/train.tsv`` beside the repository), then the
confusion table as Markdown. ``benchmarks/reflection_candidates.py`` compares every candidate on the
same folds; this module holds the folds and the scores that both use.

Sentences from the same passage of a diary stay in the same fold (a sentence that shares two runs of six
words with another row's context is grouped with it, as are identical sentences), so a test sentence's
neighbours are never in training. Every number printed is measured when the script runs. Needs
scikit-learn (``pip install ".[build]"``).
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from build_reflection_model import DEFAULT_DATA, read_table  # noqa: E402

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


def confusion(truth: np.ndarray, predicted: np.ndarray) -> str:
    lines = ["| annotators said ↓, model said → | " + " | ".join(LABELS) + " |",
             "|---|" + "---:|" * len(LABELS)]
    for i, label in enumerate(LABELS):
        row = [int(((truth == i) & (predicted == j)).sum()) for j in range(len(LABELS))]
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import reflection_candidates as rc

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="CEReD train.tsv")
    parser.add_argument("--markdown", help="also write the confusion table to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    table = read_table(args.data)
    y, fold = rc.folds(table)
    p, _, _ = rc.cross_validate(table, rc.CANDIDATES[rc.SHIPPED], y, fold)
    row = scores(y, p.argmax(axis=1))
    columns = ["accuracy", "macro-F1", *LABELS]
    print("  ".join(f"{c:>11}" for c in columns))
    print("  ".join(f"{row[c]:>11.3f}" for c in columns))
    print(f"({time.perf_counter() - started:.0f} s)\n")
    text = "Confusion of the shipped model (out-of-fold, most likely label):\n\n" + confusion(y, p.argmax(axis=1)) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
