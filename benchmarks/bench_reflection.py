"""How long feedback on a 500-word reflection takes (target: under 50 ms).

    python benchmarks/bench_reflection.py [--words 500] [--repeats 50]

Prints the time to load the model (once per kernel) and the median and slowest time of ``feedback(text)``
over ``--repeats`` runs on a reflection of ``--words`` words, built from the sentences below.
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    text = reflection_text(args.words)

    started = time.perf_counter()
    reflection.load_model()
    load = time.perf_counter() - started

    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = reflection.feedback(text)
        str(result), result._repr_html_()
        times.append(time.perf_counter() - started)
    median, worst = statistics.median(times), max(times)
    print(f"model load (once per kernel): {1000 * load:.1f} ms")
    print(f"feedback on {result.word_count} words, including both renderings: median {1000 * median:.1f} ms, "
          f"slowest {1000 * worst:.1f} ms over {args.repeats} runs (target: under 50 ms)")


if __name__ == "__main__":
    main()
