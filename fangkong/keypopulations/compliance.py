"""When a person's next test is due: pure functions of the memberships and the last test (no database).

The rule, day by day. On a day the person is on one or more rosters, the frequency in force is the
strictest (fewest days) of the frequencies their groups have that day. A frequency of N days means at
least one test in every N consecutive days: with the last test on day L, the next is due on the first day
d after L with d ≥ L + N(d), N(d) being the frequency in force on d — so a change of frequency takes
effect on its own day, counted from the last test (daily from the 10th after weekly with a test on the 7th:
due on the 10th; weekly from the 10th after daily with a test on the 9th: due on the 16th).

A stretch of membership (consecutive days on some roster) that starts on day S counts as a test on S - 1
when there is none later: daily members are due on their first day, weekly ones within their first seven
(a test taken before S changes nothing). Stretches that ended before the day
asked about are history: they make nobody overdue now. The person is **overdue** on a day after the due
day; on the due day itself they are due, not overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Membership:
    """One roster membership: first and last day (None: open), and its group's frequencies as
    ``(from, days)`` pairs sorted by day (a day before the first pair has no frequency)."""

    start: dt.date
    end: dt.date | None
    frequencies: tuple[tuple[dt.date, int], ...]

    def days_on(self, day: dt.date) -> int | None:
        if day < self.start or (self.end is not None and day > self.end):
            return None
        found = None
        for since, days in self.frequencies:
            if since > day:
                break
            found = days
        return found


@dataclass(frozen=True)
class Segment:
    start: dt.date
    end: dt.date | None  # last day, None: open
    days: int


@dataclass(frozen=True)
class Due:
    on: dt.date | None  # the day the next test is due (None: no membership ahead)
    days: int | None    # the frequency that makes it due


def segments(memberships: Sequence[Membership]) -> list[Segment]:
    """The days covered by some membership with a frequency, as runs of one strictest frequency."""
    cuts: set[dt.date] = set()
    for m in memberships:
        cuts.add(m.start)
        if m.end is not None:
            cuts.add(m.end + DAY)
        cuts.update(since for since, _days in m.frequencies if since > m.start)
    ordered = sorted(cuts)
    found: list[Segment] = []
    for i, first in enumerate(ordered):
        last = ordered[i + 1] - DAY if i + 1 < len(ordered) else None
        in_force = [d for d in (m.days_on(first) for m in memberships) if d is not None]
        if not in_force:
            continue
        days = min(in_force)
        if found and found[-1].days == days and found[-1].end is not None and found[-1].end + DAY == first:
            found[-1] = Segment(found[-1].start, last, days)
        else:
            found.append(Segment(first, last, days))
    return found


def stretches(runs: Iterable[Segment]) -> list[list[Segment]]:
    """The runs grouped into stretches of consecutive days."""
    grouped: list[list[Segment]] = []
    for run in runs:
        previous = grouped[-1][-1] if grouped else None
        if previous is not None and previous.end is not None and previous.end + DAY == run.start:
            grouped[-1].append(run)
        else:
            grouped.append([run])
    return grouped


def next_due(memberships: Sequence[Membership], last_test: dt.date | None, as_of: dt.date) -> Due:
    """The day the next test is due, as of ``as_of`` (module docstring)."""
    for stretch in stretches(segments(memberships)):
        if stretch[-1].end is not None and stretch[-1].end < as_of:
            continue  # history
        anchor = stretch[0].start - DAY
        if last_test is not None and last_test > anchor:
            anchor = last_test
        for run in stretch:
            candidate = max(run.start, anchor + run.days * DAY)
            if run.end is None or candidate <= run.end:
                return Due(candidate, run.days)
        # the stretch ends before a test falls due: the next stretch starts afresh
    return Due(None, None)


def is_overdue(due: Due, today: dt.date) -> bool:
    return due.on is not None and due.on < today
