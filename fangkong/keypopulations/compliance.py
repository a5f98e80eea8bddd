"""When each person's next test is due, computed in SQL over the whole population at once (set-based: a
handful of window functions, no loop over persons) — the same statement on PostgreSQL and SQLite, only the
day arithmetic written per engine (``_DAYS``).

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
day; on the due day itself they are due, not overdue. Days are the local (Beijing) days the services
record (``sampled_on``, a result's moment already turned into its local day); the day asked about is the
caller's local day (``timezone.localdate``).

How the statement finds it, per person (``_DUE``):

1. ``cuts``: the days something changes — a membership starts, ends (the day after), or one of its groups'
   frequency changes while it holds (a day twice is once in ``cover``'s grouping);
2. ``cover``: from each cut to the next, one run with one strictest frequency (none: a gap);
3. ``runs``: the gaps counted before each run (runs with the same count and a frequency form a stretch);
4. ``candidates``: in each run of a stretch not in the past, the first day d in it with d ≥ anchor + N,
   the anchor being the later of the last test and the day before the stretch; the earliest is the due day.

``refresh`` writes it into ``Compliance`` (everyone, a group's members or some persons); ``overdue_counts``
reads it as of any day — the daily report of an earlier day counts that day's overdue, not today's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction

from fangkong.data_generation import bump_data_generation

EPOCH = dt.date(2000, 1, 1)
#: Beyond any real day (a stretch without end sorts after every day).
OPEN = 10_000_000

#: Day numbers (days since EPOCH) and back, per engine: ``num`` of a date column, ``date`` of a number.
_DAYS = {
    "postgresql": {"num": "({} - DATE '2000-01-01')", "date": "(DATE '2000-01-01' + ({})::integer)"},
    "sqlite": {"num": "CAST(julianday({}) - 2451544.5 AS INTEGER)", "date": "date(2451544.5 + ({}))"},
}

#: Per engine, for the length of the statement's transaction: PostgreSQL sorts the population's runs in
#: memory (not in files) and does not compile the plan (its cost estimate of the window functions is
#: absurdly high, and compiling takes seconds).
_TUNING = {"postgresql": ("SET LOCAL work_mem = '256MB'", "SET LOCAL jit = off"), "sqlite": ()}

_DUE = """
r AS (
    SELECT person_id, group_id, {num_start} AS s, {num_end} AS e
    FROM keypopulations_rosterentry WHERE {scope}
),
f AS (
    SELECT group_id, {num_from} AS since, days,
           LEAD({num_from}) OVER (PARTITION BY group_id ORDER BY effective_from) AS until
    FROM keypopulations_groupfrequency
),
cuts AS (
    SELECT person_id, s AS d FROM r
    UNION ALL SELECT person_id, e + 1 FROM r WHERE e IS NOT NULL
    UNION ALL SELECT r.person_id, f.since FROM r JOIN f ON f.group_id = r.group_id
          WHERE f.since > r.s AND (r.e IS NULL OR f.since <= r.e)
),
cover AS (
    SELECT c.person_id, c.d, MIN(f.days) AS days
    FROM cuts c
    LEFT JOIN r ON r.person_id = c.person_id AND r.s <= c.d AND (r.e IS NULL OR r.e >= c.d)
    LEFT JOIN f ON f.group_id = r.group_id AND f.since <= c.d AND (f.until IS NULL OR f.until > c.d)
    GROUP BY c.person_id, c.d
),
runs AS (
    SELECT person_id, d AS run_start, days,
           LEAD(d) OVER (PARTITION BY person_id ORDER BY d) - 1 AS run_end,
           SUM(CASE WHEN days IS NULL THEN 1 ELSE 0 END) OVER (PARTITION BY person_id ORDER BY d) AS gaps
    FROM cover
),
stretches AS (
    SELECT person_id, run_start, run_end, days,
           MIN(run_start) OVER (PARTITION BY person_id, gaps) AS stretch_start,
           MAX(CASE WHEN run_end IS NULL THEN {open} ELSE run_end END) OVER (PARTITION BY person_id, gaps)
               AS stretch_end
    FROM runs WHERE days IS NOT NULL
),
tests AS (
    SELECT person_id, MAX(CASE WHEN sampled_on <= {day_date} THEN sampled_on END) AS last_on,
           MAX(CASE WHEN result = 'positive' THEN sampled_on END) AS positive_on
    FROM keypopulations_keytest WHERE {scope}
    GROUP BY person_id
),
anchored AS (
    SELECT s.person_id, s.run_start, s.run_end, s.days,
           CASE WHEN t.last_on IS NOT NULL AND {num_last} > s.stretch_start - 1 THEN {num_last}
                ELSE s.stretch_start - 1 END AS anchor
    FROM stretches s LEFT JOIN tests t ON t.person_id = s.person_id
    WHERE s.stretch_end >= {day}
),
candidates AS (
    SELECT person_id, days, run_end,
           CASE WHEN run_start > anchor + days THEN run_start ELSE anchor + days END AS due
    FROM anchored
),
due AS (
    SELECT person_id, days, due, ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY due) AS n
    FROM candidates WHERE run_end IS NULL OR due <= run_end
)"""


_UPSERT = """INSERT INTO keypopulations_compliance
    (person_id, last_test_on, interval_days, next_due_on, positive_on, computed_on) """


def _tune(cursor) -> None:
    for statement in _TUNING.get(connection.vendor, ()):
        cursor.execute(statement)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def _with(scope: str, day: dt.date) -> str:
    """The ``WITH`` clauses of the due days as of ``day`` for the persons ``scope`` selects (an SQL condition
    on ``person_id``)."""
    days = _DAYS[connection.vendor]
    num, date = days["num"].format, days["date"].format
    return "WITH " + _DUE.format(
        scope=scope, num_start=num("start"), num_end=num('"end"'), num_from=num("effective_from"),
        num_last=num("t.last_on"), day=day_number(day), day_date=date(day_number(day)), open=OPEN)


def _scopes(persons: Iterable[int] | None, group: int | None, batch: int) -> list[tuple[str, list]]:
    if group is not None:
        return [("person_id IN (SELECT person_id FROM keypopulations_rosterentry WHERE group_id = %s)", [group])]
    if persons is None:
        return [("1 = 1", [])]
    ids = sorted({int(pk) for pk in persons})
    return [(f"person_id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            for chunk in (ids[i:i + batch] for i in range(0, len(ids), batch))]


def refresh(*, today: dt.date, persons: Iterable[int] | None = None, group: int | None = None,
            batch: int = 5000) -> int:
    """Write the compliance of everyone on a roster (``persons`` and ``group`` None), of a group's members or
    of some persons, as of ``today``, in one statement per batch of persons; how many rows were written."""
    date = _DAYS[connection.vendor]["date"].format
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        for scope, params in _scopes(persons, group, batch):
            # INSERT first, then the WITH of its SELECT: SQLite's driver counts the rows of an INSERT only.
            # The SQL is this module's text and day numbers; the persons are parameters.
            select = f"""
                SELECT p.person_id, t.last_on, d.days, {date("d.due")}, t.positive_on, {date(day_number(today))}
                FROM (SELECT DISTINCT person_id FROM r) p
                LEFT JOIN due d ON d.person_id = p.person_id AND d.n = 1
                LEFT JOIN tests t ON t.person_id = p.person_id
                WHERE 1 = 1
                ON CONFLICT (person_id) DO UPDATE SET last_test_on = excluded.last_test_on,
                    interval_days = excluded.interval_days, next_due_on = excluded.next_due_on,
                    positive_on = excluded.positive_on, computed_on = excluded.computed_on"""  # noqa: S608
            cursor.execute(_UPSERT + _with(scope, today) + select, params + params)  # the scope twice: rosters, tests
            written += cursor.rowcount
    if written:
        bump_data_generation()
    return written


def overdue_counts(*, day: dt.date, groups_sql: str, groups_params) -> dict[str, int]:
    """Per key population: the (group, person) memberships in force on ``day`` in the groups the SQL
    ``groups_sql`` selects (their ids), whose person is overdue on ``day`` — computed as of ``day``, from
    the tests sampled until then (the stored ``Compliance`` is as of its own day)."""
    num = _DAYS[connection.vendor]["num"].format
    # the SQL is this module's text and the groups' query Django compiled; the values are parameters
    scope = f"person_id IN (SELECT person_id FROM keypopulations_rosterentry WHERE group_id IN ({groups_sql}))"  # noqa: S608
    params = list(groups_params)
    select = f"""
            SELECT population, COUNT(*) FROM (
                SELECT DISTINCT g.population, m.group_id, m.person_id
                FROM keypopulations_rosterentry m
                JOIN keypopulations_keygroup g ON g.id = m.group_id
                JOIN due d ON d.person_id = m.person_id AND d.n = 1
                WHERE m.group_id IN ({groups_sql}) AND {num("m.start")} <= %s
                  AND (m."end" IS NULL OR {num('m."end"')} >= %s) AND d.due < %s
            ) overdue GROUP BY population"""  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(_with(scope, day) + select, params + params + params + [day_number(day)] * 3)
        return dict(cursor.fetchall())
