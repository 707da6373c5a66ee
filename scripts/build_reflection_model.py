"""Build syslead/learner/reflection_model.json from the CEReD training sentences.

    python scripts/build_reflection_model.py [path/to/train.tsv] [--out syslead/learner/reflection_model.json]

The dataset is not in this repository: by default it is read from ``../shared/data/cered/train.tsv``
beside the repository (where CI puts it). CEReD: Štefánik, M. & Nehyba, J. (2021), Czech-English
Reflective Dataset (CEReD), LINDAT/CLARIAH-CZ, hdl 11372/LRT-3573, Apache-2.0; see
``syslead/learner/REFLECTION_MODEL_NOTICE.md``. Training is deterministic, so the same file gives the same model.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syslead.learner import reflection  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cered" / "train.tsv"
DEFAULT_OUT = ROOT / "syslead" / "reflection_model.json"


_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]+")


def repair(text: str) -> str:
    """Undo UTF-8 read as Latin-1 in the file ("MÃ­Å¡a" -> "Míša", "â\x80\x9c" -> a quotation mark)."""

    def one(match: re.Match) -> str:
        try:
            return match.group().encode("latin-1").decode("utf-8")
        except UnicodeError:
            return match.group()

    return _MOJIBAKE.sub(one, text)


def read_cered(path: str | Path) -> tuple[list[str], list[str]]:
    """CEReD's sentences (text repaired) and labels mapped to Gibbs' stages (``reflection.CERED_TO_STAGE``)."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"There is no CEReD file at {path}: pass the path to train.tsv as the first argument.")
    data = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    unknown = sorted(set(data["y"]) - set(reflection.CERED_TO_STAGE))
    if unknown:
        raise SystemExit(f"{path} has labels this script does not know: {', '.join(unknown)}.")
    return [repair(s) for s in data["sentence"]], [reflection.CERED_TO_STAGE[y] for y in data["y"]]


def build(data: str | Path = DEFAULT_DATA) -> reflection.Model:
    """Train the shipped model on every sentence of ``data``, with its provenance in ``about``."""
    sentences, labels = read_cered(data)
    model = reflection.train(sentences, labels)
    model.about = {
        "what": "Gibbs-stage classifier for syslead.learner.reflection: multinomial logistic regression over words, "
                "word pairs and cue phrases; weights per feature in the order of 'labels'.",
        "built_by": "scripts/build_reflection_model.py",
        "data": "CEReD English training sentences (train.tsv), labels mapped to Gibbs' stages",
        "data_sha256": hashlib.sha256(Path(data).read_bytes()).hexdigest(),
        "sentences": len(sentences),
        "settings": reflection.TRAINING,
        "licence": "Derived from CEReD (Apache-2.0), by Štefánik & Nehyba (2021); see REFLECTION_MODEL_NOTICE.md",
    }
    return model


def dumps(model: reflection.Model) -> str:
    """The model as JSON, one feature per line (readable, and small diffs when it is rebuilt)."""
    data = model.to_json()
    head = {k: v for k, v in data.items() if k != "weights"}
    lines = ["{"]
    lines += [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    lines.append('"weights": {')
    items = list(data["weights"].items())
    lines += [
        f"{json.dumps(f, ensure_ascii=False)}: {json.dumps(w)}{',' if i < len(items) - 1 else ''}"
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
    print(f"Wrote {args.out}: {len(model.vocabulary)} features, {size / 1024:.0f} KiB.")


if __name__ == "__main__":
    main()
