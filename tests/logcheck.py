"""Personal data in log lines: a KPJ (11 digits), a NIK (16) or a mother's name.

The names are the demo's (webapp/demo/dataset.py), which the tests' factories use too,
read from the data itself so that the list never falls behind it. Any run of 11 or more
digits counts: no field of a log line (a timestamp, a duration, a request id) is ever one.

    python -m tests.logcheck build/e2e-logs.jsonl     # prints each offending line
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from webapp.demo.dataset import CARDS, PEOPLE

LONG_NUMBER = re.compile(r"\d{11,}")


def mothers_names() -> set[str]:
    """Every mother's name in the demo data: the population's, and the ones registrants
    typed differently on a card."""
    names = {person.mother_name for person in PEOPLE}
    names |= {card.mother_name for card in CARDS if card.mother_name}
    return {name.strip() for name in names if name.strip()}


@cache
def _names_pattern() -> re.Pattern[str]:
    # Longest first, each a whole word sequence, any case, any run of spaces between words.
    words = sorted(mothers_names(), key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, name.split())) for name in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def reasons(line: str) -> list[str]:
    """Why this line must not be in a log; [] when it is clean."""
    found = []
    if LONG_NUMBER.search(line):
        found.append("a number of 11 or more digits (KPJ, NIK)")
    name = _names_pattern().search(line)
    if name:
        found.append(f"a mother's name ({name.group(0)})")
    return found


def offending_lines(lines: Iterable[str], source: str = "log") -> list[str]:
    """'source:line: reason: the line' for every line with personal data in it (the test
    data's, never a real person's)."""
    return [
        f"{source}:{number}: {'; '.join(why)}: {line.strip()[:300]}"
        for number, line in enumerate(lines, start=1)
        if (why := reasons(line))
    ]


def check_file(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return offending_lines(lines, str(path))


if __name__ == "__main__":
    problems = [problem for name in sys.argv[1:] for problem in check_file(Path(name))]
    print("\n".join(problems))
    sys.exit(1 if problems else 0)
