"""Scoring throughput in-process — run by hand, not in CI.

    .venv/bin/python bench/scoring_bench.py

Scores realistic answer sets (every sector's modules, answers drawn as the dataset generator
draws them) with the real engine, and compares with a baseline measured in the same run: one
pass over the same answers summing each option's points — the least work any scorer must do.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.devdata.dataset import Answerer
from portal.questionnaire import load_directory
from portal.scoring import score_assessment

ROUNDS = 5
PER_ROUND = 2_000


def main() -> None:
    questionnaire = load_directory(Path(__file__).resolve().parent.parent / "questionnaires")
    rng = random.Random(8)
    answerer = Answerer(questionnaire, rng)
    cases = []
    for sectors in (["water"], ["bank"], ["hospital"], ["electric"], ["water", "electric"]):
        modules = tuple(questionnaire.modules_for(sectors))
        for _ in range(PER_ROUND // 5):
            cases.append((modules, answerer.answers(modules, rng.betavariate(2, 2.5), 1.0)))
    points = {q.id: {o.value: o.points or 0 for o in q.options} for m in questionnaire.modules
              for q in m.questions()}  # fmt: skip

    def baseline() -> float:
        started = time.perf_counter()
        for _, answers in cases:
            sum(points[q].get(v, 0) for q, v in answers.items())
        return len(cases) / (time.perf_counter() - started)

    def engine() -> float:
        started = time.perf_counter()
        for modules, answers in cases:
            score_assessment(questionnaire, modules, answers)
        return len(cases) / (time.perf_counter() - started)

    base, real = [], []
    for _ in range(ROUNDS):  # interleaved, so drift affects both alike
        base.append(baseline())
        real.append(engine())
    b, r = statistics.median(base), statistics.median(real)
    answers = statistics.mean(len(a) for _, a in cases)
    print(f"{len(cases):,} answer sets (~{answers:.0f} answers each), median of {ROUNDS} rounds")
    print(f"{'what':<40}{'per second':>14}{'ratio':>9}")
    print(f"{'baseline: sum the points of every answer':<40}{b:>14,.0f}{1:>9.3f}")
    print(f"{'scoring engine (score_assessment)':<40}{r:>14,.0f}{r / b:>9.4f}")


if __name__ == "__main__":
    main()
