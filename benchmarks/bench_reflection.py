"""How fast the reflection feedback is: model load, one sentence, a reflection, 20,000 words, CEReD.

    python benchmarks/bench_reflection.py [--words 500] [--repeats 50] [--cered path/to/train.tsv]

Prints the model file's size and load time (once per kernel); the median time to read one sentence
(target: under 10 ms on one core); the median and slowest time of ``feedback(text)`` over ``--repeats``
runs on a reflection of ``--words`` words built from the sentences below (target: under 50 ms for 500);
the time for 20,000 words; and, when CEReD's train.tsv is there (default ``../shared/data/cered``
beside the repository), the time to read all of its sentences, each with its neighbours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syslead.learner import reflection  # noqa: E402

SENTENCES = [
    "Last week I led the Monday briefing for the night shift on the new handover process.",
    "Two of the senior nurses left halfway through, and the rest sat in silence.",
    "I felt embarrassed and a little angry at the time, and I was nervous for the rest of the shift.",
    "The written notes were clear, but the briefing itself went on far too long.",
    "I did not leave any time for questions, which was a mistake.",
    "I think it went badly because I treated the briefing as a broadcast rather than a conversation.",
    "The reading's idea of viral spread helps to explain why the message never reached the day staff.",
    "People pass on what they have talked through, not what they have only heard.",
    "Looking back, I realised that the team leads were the people who could carry the change.",
    "I learned that a plan nobody has questioned is a plan nobody owns.",
    "Next time I will keep the briefing to ten minutes and ask each team lead to brief their own team.",
    "I will also ask one nurse from each shift to tell me what they would change, before I decide anything.",
]


def reflection_text(words: int) -> str:
    out, count, i = [], 0, 0
    while count < words:
        sentence = SENTENCES[i % len(SENTENCES)]
        out.append(sentence)
        count += len(sentence.split())
        i += 1
        if i % 4 == 0:
            out.append("\n\n")
    return " ".join(out)


CERED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cered" / "train.tsv"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--cered", default=str(CERED), help="CEReD train.tsv (skipped if absent)")
    args = parser.parse_args(argv)
    text = reflection_text(args.words)

    started = time.perf_counter()
    model = reflection.load_model()
    load = time.perf_counter() - started
    size = reflection.MODEL_PATH.stat().st_size
    print(f"load average of the machine (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    print(f"model file: {size / 1e6:.1f} MB, {len(model.vocabulary):,} features; load (once per kernel): "
          f"{1000 * load:.0f} ms")

    one = []
    for sentence in SENTENCES * 20:
        started = time.perf_counter()
        reflection.read_sentence(sentence)
        one.append(time.perf_counter() - started)
    print(f"one sentence: median {1000 * statistics.median(one):.2f} ms, slowest {1000 * max(one):.2f} ms "
          f"over {len(one)} (target: under 10 ms)")

    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = reflection.feedback(text)
        str(result), result._repr_html_()
        times.append(time.perf_counter() - started)
    median, worst = statistics.median(times), max(times)
    print(f"feedback on {result.word_count} words, including both renderings: median {1000 * median:.1f} ms, "
          f"slowest {1000 * worst:.1f} ms over {args.repeats} runs (target: under 50 ms)")

    long = reflection_text(20_000)
    started = time.perf_counter()
    result = reflection.feedback(long)
    print(f"feedback on {result.word_count:,} words ({len(result.sentences):,} sentences): "
          f"{time.perf_counter() - started:.2f} s")

    if Path(args.cered).is_file():
        import csv

        import pandas as pd

        data = pd.read_csv(args.cered, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
        started = time.perf_counter()
        for sentence, context in zip(data["sentence"], data["context"], strict=True):
            reflection.read_sentence(sentence, context.replace(sentence, " ", 1))
        took = time.perf_counter() - started
        print(f"all {len(data):,} CEReD training sentences, each with its context: {took:.2f} s "
              f"({1000 * took / len(data):.2f} ms a sentence)")
    else:
        print(f"(CEReD is not at {args.cered}: the run over its sentences is skipped)")


if __name__ == "__main__":
    main()
