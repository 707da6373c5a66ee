"""Build syslead/learner/reflection_model.json from the CEReD training sentences.

    python scripts/build_reflection_model.py [path/to/train.tsv] [--out syslead/learner/reflection_model.json]

The dataset is not in this repository: by default it is read from ``../shared/data/cered/train.tsv``
beside the repository (where CI puts it). CEReD: Štefánik, M. & Nehyba, J. (2021), Czech-English
Reflective Dataset (CEReD), LINDAT/CLARIAH-CZ, hdl 11372/LRT-3573, Apache-2.0; see
``syslead/learner/REFLECTION_MODEL_NOTICE.md``.

Training needs scikit-learn (``pip install ".[build]"``); the shipped model needs numpy only. The
settings (:data:`SETTINGS`) are the ones ``benchmarks/reflection_candidates.py`` chose by grouped
cross-validation. The model is fitted on the *development split* of ``benchmarks/reflection_validation.py``
(every fold but the held-out one), and takes from ``benchmarks/reflection_validation.json`` the per-stage
thresholds chosen there, the cue phrases validated as evidence, and the precision and coverage measured on
the held-out split: so the figures the advice quotes are those of this very model on sentences it never
saw. Run the validation first. Training is deterministic, so the same file gives the same model.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syslead.learner import reflection  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cered" / "train.tsv"
DEFAULT_OUT = reflection.MODEL_PATH

#: The shipped settings (chosen on grouped 5-fold cross-validation, benchmarks/reflection_candidates.py).
SETTINGS = {"blocks": {"w": 1.0, "c": 0.5, "cue": 0.5, "x": 0.15}, "chars": (2, 5), "C": 3.0,
            "class_weight": "balanced", "min_df": 2}


_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]+")


def repair(text: str) -> str:
    """Undo UTF-8 read as Latin-1 in the file ("MÃ­Å¡a" -> "Míša", "â\x80\x9c" -> a quotation mark)."""

    def one(match: re.Match) -> str:
        try:
            return match.group().encode("latin-1").decode("utf-8")
        except UnicodeError:
            return match.group()

    return _MOJIBAKE.sub(one, text)


def read_table(path: str | Path) -> pd.DataFrame:
    """CEReD's rows with the text repaired, ``stage`` (the Gibbs label) and ``around`` (the context
    without the sentence itself: what a learner's neighbouring sentences are at run time)."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"There is no CEReD file at {path}: pass the path to train.tsv as the first argument.")
    data = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    unknown = sorted(set(data["y"]) - set(reflection.CERED_TO_STAGE))
    if unknown:
        raise SystemExit(f"{path} has labels this script does not know: {', '.join(unknown)}.")
    data["sentence"] = [repair(s) for s in data["sentence"]]
    data["context"] = [repair(s) for s in data["context"]]
    data["around"] = [c.replace(s, " ", 1) for s, c in zip(data["sentence"], data["context"], strict=True)]
    data["stage"] = [reflection.CERED_TO_STAGE[y] for y in data["y"]]
    return data


def read_cered(path: str | Path) -> tuple[list[str], list[str]]:
    """CEReD's sentences (text repaired) and labels mapped to Gibbs' stages."""
    data = read_table(path)
    return list(data["sentence"]), list(data["stage"])


def design(model: reflection.Model, sentences, contexts):
    """The sparse matrix of the sentences' vectors, exactly as the model computes them at run time."""
    from scipy.sparse import csr_matrix

    indptr, indices, values = [0], [], []
    for s, c in zip(sentences, contexts, strict=True):
        ids, vals = model.vector(s, c)
        indices.extend(ids.tolist())
        values.extend(vals.tolist())
        indptr.append(len(indices))
    return csr_matrix((values, indices, indptr), shape=(len(sentences), len(model.vocabulary)))


def fit(sentences, labels, contexts=None, *, blocks=None, chars=None, C=None, class_weight=None,
        min_df=None, threshold=None) -> reflection.Model:
    """Fit the model (scikit-learn's logistic regression) to labelled sentences; defaults: SETTINGS."""
    from sklearn.linear_model import LogisticRegression

    s = SETTINGS
    C = s["C"] if C is None else C
    class_weight = s["class_weight"] if class_weight is None else (class_weight or None)
    model = vectoriser(sentences, contexts, blocks=blocks, chars=chars, min_df=min_df)
    contexts = list(contexts) if contexts is not None and "x" in model.blocks else [""] * len(sentences)
    names = sorted(model.vocabulary, key=model.vocabulary.get)
    x = design(model, sentences, contexts)
    y = np.array([reflection.LABELS.index(label) for label in labels])
    lr = LogisticRegression(C=C, class_weight=class_weight, max_iter=3000)
    lr.fit(x, y)
    weights = np.zeros((len(names), len(reflection.LABELS)))
    bias = np.full(len(reflection.LABELS), -30.0)  # a label never seen in training is never chosen
    for column, label in enumerate(lr.classes_):
        weights[:, label] = lr.coef_[column] if len(lr.classes_) > 2 else 0.0
        bias[label] = lr.intercept_[column]
    model.weights, model.bias = weights, bias
    model.thresholds = {stage: threshold for stage in reflection.STAGES} if threshold is not None else {}
    return model


def vectoriser(sentences, contexts=None, *, blocks=None, chars=None, min_df=None) -> reflection.Model:
    """The vocabulary and idf that :func:`fit` learns from the sentences, weights all zero (for
    candidates that put their own classifier on the shipped features)."""
    s = SETTINGS
    blocks = dict(s["blocks"] if blocks is None else blocks)
    chars = tuple(s["chars"] if chars is None else chars)
    min_df = s["min_df"] if min_df is None else min_df
    contexts = list(contexts) if contexts is not None and "x" in blocks else [""] * len(sentences)
    df: dict[str, int] = {}
    for sentence, context in zip(sentences, contexts, strict=True):
        for f in reflection.features(sentence, context, chars=chars):
            if f.split(":", 1)[0] in blocks:
                df[f] = df.get(f, 0) + 1
    names = sorted(f for f, c in df.items() if c >= min_df)
    n = len(sentences)
    idf = np.array([math.log((1 + n) / (1 + df[f])) + 1 for f in names])
    model = reflection.Model(labels=reflection.LABELS, vocabulary={f: i for i, f in enumerate(names)}, idf=idf,
                             weights=np.zeros((len(names), len(reflection.LABELS))),
                             bias=np.zeros(len(reflection.LABELS)), blocks=blocks, chars=chars)
    return model


def prune(model: reflection.Model, below: float = 0.0005) -> reflection.Model:
    """Drop features whose weights all round to zero in the shipped file (they change nothing)."""
    keep = np.abs(model.weights).max(axis=1) >= below
    names = [f for f in sorted(model.vocabulary, key=model.vocabulary.get) if keep[model.vocabulary[f]]]
    index = np.flatnonzero(keep)
    model.vocabulary = {f: i for i, f in enumerate(names)}
    model.idf, model.weights = model.idf[index], model.weights[index]
    return model


VALIDATION = ROOT / "benchmarks" / "reflection_validation.json"


def build(data: str | Path = DEFAULT_DATA, validation: str | Path = VALIDATION) -> reflection.Model:
    """Train the shipped model on the development split of ``data``, with the thresholds, evidence
    phrases and held-out figures of ``validation``, and its provenance in ``about``."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from reflection_validation import development

    checked = json.loads(Path(validation).read_text(encoding="utf-8"))
    table = development(read_table(data))
    model = prune(fit(list(table["sentence"]), list(table["stage"]), list(table["around"])))
    model.thresholds = dict(checked["thresholds"])
    model.rule = checked.get("rule", "probability")
    held = checked["held_out"]
    model.validated = {"precision": round(held["precision"], 3), "coverage": round(held["coverage"], 3),
                       "sentences": held["sentences"], "claims": held["claims"],
                       "precision_90": [round(x, 3) for x in held["precision_90"]],
                       "method": "benchmarks/reflection_validation.py: held-out split of CEReD's training sentences, "
                                 "grouped by passage"}
    model.evidence = {s: [c["phrase"] for c in checked["cue_phrases"] if c["kept"] and c["stage"] == s]
                      for s in reflection.STAGES}
    model.about = {
        "what": "Gibbs-stage classifier for syslead.learner.reflection: multinomial logistic regression over TF-IDF "
                "features (words, word pairs, letter groups, cue phrases, neighbouring words); per feature "
                "[idf, one weight per label in the order of 'labels'], in thousandths.",
        "built_by": "scripts/build_reflection_model.py",
        "data": "CEReD English training sentences (train.tsv), development split (benchmarks/reflection_validation.py), "
                "labels mapped to Gibbs' stages",
        "data_sha256": hashlib.sha256(Path(data).read_bytes()).hexdigest(),
        "sentences": len(table),
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in SETTINGS.items()},
        "licence": "Derived from CEReD (Apache-2.0), by Štefánik & Nehyba (2021); see REFLECTION_MODEL_NOTICE.md",
    }
    return model


def dumps(model: reflection.Model) -> str:
    """The model as JSON, one feature per line (readable, and small diffs when it is rebuilt)."""
    data = model.to_json()
    head = {k: v for k, v in data.items() if k != "features"}
    lines = ["{"]
    lines += [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    lines.append('"features": {')
    items = list(data["features"].items())
    lines += [
        f"{json.dumps(f, ensure_ascii=False)}: {json.dumps(w, separators=(',', ':'))}{',' if i < len(items) - 1 else ''}"
        for i, (f, w) in enumerate(items)
    ]
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="CEReD train.tsv")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the model")
    args = parser.parse_args(argv)
    model = build(args.data)
    Path(args.out).write_text(dumps(model), encoding="utf-8")
    size = Path(args.out).stat().st_size
    print(f"Wrote {args.out}: {len(model.vocabulary)} features, {size / 1024 / 1024:.1f} MiB.")


if __name__ == "__main__":
    main()
