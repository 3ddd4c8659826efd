"""No shipped course can be passed by guessing: every strategy of the simulator passes a first attempt under 2%.

The same gate as `flask courses simulate` in CI, at fewer attempts so the suite stays quick: 4,000 per
strategy put a course at the limit (2%) in the interval 1.6% to 2.5%, so a bank that passes here with a
margin passes the full run too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from elearn.assessment import simulate
from elearn.content.item_checks import absolute_word_rule
from elearn.content.loader import load_course

COURSES_DIR = Path(__file__).parents[2] / "courses"
SLUGS = sorted(p.name for p in COURSES_DIR.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
ATTEMPTS = 4_000


@pytest.mark.parametrize("slug", SLUGS)
def test_no_guessing_strategy_passes_a_first_attempt_two_percent_of_the_time(slug):
    course, faults = load_course(COURSES_DIR / slug)
    assert course is not None, "\n".join(str(f) for f in faults)
    figures = simulate.simulate(course, absolute_word_rule, ATTEMPTS)
    too_guessable = [f"{f.strategy}: {f.probability:.2%}" for f in figures if f.too_guessable]
    assert too_guessable == [], f"{slug} can be passed by guessing: {too_guessable}"
