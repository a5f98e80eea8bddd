"""When each person's next test is due — kept incrementally, by what changed, never by the date advancing.

The rule, day by day. On a day the person is on one or more rosters, the frequency in force is the
strictest (fewest days) of the frequencies their groups have that day. A frequency of N days means at
least one test in every N consecutive days: with the last test on day L, the next is due on the first day
d after L with d ≥ L + N(d), N(d) being the frequency in force on d — so a change of frequency takes
effect on its own day, counted from the last test (daily from the 10th after weekly with a test on the 7th:
due on the 10th; weekly from the 10th after daily with a test on the 9th: due on the 16th).

A stretch of membership (consecutive days on some roster with a frequency) that starts on day S counts as a
test on S - 1 when there is none later: daily members are due on their first day, weekly ones within their
first seven (a test taken before S changes nothing). The person is **overdue** on a day D inside a stretch
after the stretch's due day (on the due day itself they are due, not overdue); a stretch that ended before
D is history and makes nobody overdue on D. Days are the local (Beijing) days the services record
(``sampled_on``, a result's moment already turned into its local day).

What is stored (``Compliance``, one row per person and stretch) depends only on the rosters, the
frequencies and the tests — not on the day it was computed — so nothing is rewritten because a night
passed: the overdue of any day D are the rows whose stretch holds D (``stretch_until`` empty or ≥ D) and
whose ``next_due_on`` < D (``selectors.overdue_q``). Each row also keeps the stretch's last two *blocks*
(consecutive days of one frequency): the steady tail — from ``steady_from`` to its end the frequency is
``steady_days`` throughout (the whole stretch, for one membership at one frequency) — and the block before
it, from ``prior_from`` at ``prior_days`` (none when the stretch has one frequency).

Three ways the rows change:

- ``refresh`` (a membership or a frequency changed: the persons concerned; everyone: a rebuild) — the full
  computation in one statement per batch of persons (``_STRETCHES``, window functions), the persons' rows
  replaced;
- ``tests_applied`` (results recorded: a day's million or one) — one set-based ``UPDATE`` of the rows of
  the persons tested: the last test is the later of the stored one and the new ones (a result arriving late
  for an earlier day changes nothing unless it is later), the last positive likewise, and where the new
  anchor (the later of the last test and the day before the stretch) lies in the last two blocks, the due
  day follows from them alone: ``anchor + prior_days`` when that falls in the block before the tail, else
  the later of ``steady_from`` and ``anchor + steady_days`` (none when past the stretch's end) — a
  frequency changed once, or a second group for a while, is still one ``UPDATE``. The rare rows whose anchor
  lies before both (two changes of frequency after the last test) have their persons recomputed by
  ``refresh``;
- ``overdue_counts`` reads the overdue of an earlier day as that day saw them (the tests sampled until
  then) without writing — the daily report of yesterday counts yesterday's.

The same statements on PostgreSQL and SQLite; only the day arithmetic is written per engine (``_DAYS``).
How ``_STRETCHES`` finds the due days, per person:

1. ``cuts``: the days something changes — a membership starts, ends (the day after), or one of its groups'
   frequency changes while it holds (a day twice is once in ``cover``'s grouping);
2. ``cover``: from each cut to the next, one run with one strictest frequency (none: a gap);
3. ``runs``: the gaps counted before each run (runs with the same count and a frequency form a stretch);
4. ``stretches``: each run with its stretch's first and last day; ``blocks``: consecutive runs of one
   frequency; ``shapes``: per stretch, its last two blocks (the steady tail and the one before);
5. ``candidates``: in each run, the first day d in it with d ≥ anchor + N; the earliest is the stretch's due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction

from fangkong.data_generation import bump_data_generation

from .models import Compliance, KeyTest

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

_TABLE = "keypopulations_compliance"

_STRETCHES = """
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
               AS stretch_end,
           CASE WHEN LAG(days) OVER (PARTITION BY person_id, gaps ORDER BY run_start) = days THEN 0 ELSE 1 END
               AS starts_block
    FROM runs WHERE days IS NOT NULL
),
blocked AS (
    SELECT person_id, stretch_start, stretch_end, run_start, days,
           SUM(starts_block) OVER (PARTITION BY person_id, stretch_start ORDER BY run_start) AS block
    FROM stretches
),
blocks AS (
    SELECT person_id, stretch_start, MAX(stretch_end) AS stretch_end, MIN(run_start) AS block_from,
           MAX(days) AS days, ROW_NUMBER() OVER (PARTITION BY person_id, stretch_start ORDER BY block DESC) AS back
    FROM blocked GROUP BY person_id, stretch_start, block
),
shapes AS (
    SELECT person_id, stretch_start, MAX(stretch_end) AS stretch_end,
           MAX(CASE WHEN back = 1 THEN block_from END) AS steady_from,
           MAX(CASE WHEN back = 1 THEN days END) AS steady_days,
           MAX(CASE WHEN back = 2 THEN block_from END) AS prior_from,
           MAX(CASE WHEN back = 2 THEN days END) AS prior_days
    FROM blocks WHERE back <= 2 GROUP BY person_id, stretch_start
),
tests AS (
    SELECT person_id, MAX(sampled_on) AS last_on,
           MAX(CASE WHEN result = 'positive' THEN sampled_on END) AS positive_on
    FROM keypopulations_keytest WHERE {scope} {tests_until}
    GROUP BY person_id
),
anchored AS (
    SELECT s.person_id, s.stretch_start, s.run_start, s.run_end, s.days,
           CASE WHEN t.last_on IS NOT NULL AND {num_last} > s.stretch_start - 1 THEN {num_last}
                ELSE s.stretch_start - 1 END AS anchor
    FROM stretches s LEFT JOIN tests t ON t.person_id = s.person_id
    WHERE s.stretch_end >= {from_day}
),
candidates AS (
    SELECT person_id, stretch_start, days, run_end,
           CASE WHEN run_start > anchor + days THEN run_start ELSE anchor + days END AS due
    FROM anchored
),
due AS (
    SELECT person_id, stretch_start, days, due,
           ROW_NUMBER() OVER (PARTITION BY person_id, stretch_start ORDER BY due) AS n
    FROM candidates WHERE run_end IS NULL OR due <= run_end
)"""


_INSERT = f"""INSERT INTO {_TABLE} (person_id, stretch_from, stretch_until, prior_from, prior_days, steady_from,
    steady_days, last_test_on, positive_on, next_due_on, interval_days) """


def _tune(cursor) -> None:
    for statement in _TUNING.get(connection.vendor, ()):
        cursor.execute(statement)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def _num(sql: str) -> str:
    return _DAYS[connection.vendor]["num"].format(sql)


def _date(sql) -> str:
    return _DAYS[connection.vendor]["date"].format(sql)


def _with(scope: str, day: dt.date | None = None) -> str:
    """The ``WITH`` clauses of the stretches and their due days of the persons ``scope`` selects (an SQL
    condition on ``person_id``): from every test recorded (``day`` None), or as ``day`` saw them — the tests
    sampled until then, the stretches not ended before it."""
    return "WITH " + _STRETCHES.format(
        scope=scope, num_start=_num("start"), num_end=_num('"end"'), num_from=_num("effective_from"),
        num_last=_num("t.last_on"), open=OPEN,
        tests_until="" if day is None else f"AND sampled_on <= {_date(day_number(day))}",
        from_day=-OPEN if day is None else day_number(day))


def _scopes(persons: Iterable[int] | None, group: int | None, batch: int) -> list[tuple[str, list]]:
    if group is not None:
        return [("person_id IN (SELECT person_id FROM keypopulations_rosterentry WHERE group_id = %s)", [group])]
    if persons is None:
        return [("1 = 1", [])]
    ids = sorted({int(pk) for pk in persons})
    return [(f"person_id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            for chunk in (ids[i:i + batch] for i in range(0, len(ids), batch))]


def refresh(*, persons: Iterable[int] | None = None, group: int | None = None, batch: int = 5000) -> int:
    """Recompute the rows of everyone on a roster (``persons`` and ``group`` None: a rebuild), of a group's
    members or of some persons: their rows deleted and written again, one statement per batch of persons;
    how many rows were written."""
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        for scope, params in _scopes(persons, group, batch):
            cursor.execute(f"DELETE FROM {_TABLE} WHERE {scope}", params)  # noqa: S608 (this module's text)
            # INSERT first, then the WITH of its SELECT: SQLite's driver counts the rows of an INSERT only.
            # The SQL is this module's text and day numbers; the persons are parameters.
            select = f"""
                SELECT sh.person_id, {_date("sh.stretch_start")},
                       CASE WHEN sh.stretch_end < {OPEN} THEN {_date("sh.stretch_end")} END,
                       {_date("sh.prior_from")}, sh.prior_days, {_date("sh.steady_from")}, sh.steady_days,
                       t.last_on, t.positive_on, {_date("d.due")}, d.days
                FROM shapes sh
                LEFT JOIN due d ON d.person_id = sh.person_id AND d.stretch_start = sh.stretch_start AND d.n = 1
                LEFT JOIN tests t ON t.person_id = sh.person_id"""  # noqa: S608
            cursor.execute(_INSERT + _with(scope) + select, params + params)  # the scope twice: rosters, tests
            written += cursor.rowcount
    if written:
        bump_data_generation()
    return written


def _tested(where: str) -> str:
    """Per person, the latest day and latest positive day of the tests ``where`` selects."""
    return f"""SELECT person_id, MAX(sampled_on) AS last_on,
                      MAX(CASE WHEN result = 'positive' THEN sampled_on END) AS positive_on
               FROM keypopulations_keytest WHERE {where} GROUP BY person_id"""  # noqa: S608


def _applied(where: str) -> str:
    """Per row of the persons tested (``where``: the tests): its new last test and positive, the stretch's
    first and last day, its last two blocks and its new anchor as day numbers — for the rows something
    changes in."""
    last = "CASE WHEN c.last_test_on IS NULL OR t.last_on > c.last_test_on THEN t.last_on ELSE c.last_test_on END"
    positive = ("CASE WHEN c.positive_on IS NULL OR t.positive_on > c.positive_on THEN t.positive_on "
                "ELSE c.positive_on END")
    return f"""
        SELECT x.*, CASE WHEN {_num("x.last_on")} > x.first_n - 1 THEN {_num("x.last_on")}
                         ELSE x.first_n - 1 END AS anchor
        FROM (SELECT c.id, c.person_id, c.prior_days, c.steady_days, {last} AS last_on, {positive} AS positive_on,
                     c.last_test_on AS old_last, c.positive_on AS old_positive,
                     {_num("c.stretch_from")} AS first_n, {_num("c.stretch_until")} AS until_n,
                     {_num("c.prior_from")} AS prior_n, {_num("c.steady_from")} AS steady_n
              FROM {_TABLE} c JOIN ({_tested(where)}) t ON t.person_id = c.person_id
              WHERE c.last_test_on IS NULL OR t.last_on > c.last_test_on
                 OR (t.positive_on IS NOT NULL AND (c.positive_on IS NULL OR t.positive_on > c.positive_on))
             ) x"""  # noqa: S608 (this module's text)


def _tests_where(ids: Iterable[int] | None, after_id: int | None) -> tuple[str, list]:
    if after_id is not None:
        return "id > %s", [int(after_id)]
    chosen = sorted({int(pk) for pk in ids or ()})
    return (f"id IN ({', '.join(['%s'] * len(chosen))})", chosen) if chosen else ("1 = 0", [])


def tests_applied(*, ids: Iterable[int] | None = None, after_id: int | None = None) -> int:
    """Bring the rows of the persons tested up to date with the tests ``ids`` (or every test recorded after
    ``after_id``: a laboratory's day loaded at once): one ``UPDATE`` of the rows whose new anchor lies in
    their last two blocks, the other persons recomputed (``refresh``). Idempotent (applying the same tests again
    changes nothing); how many rows changed. With ``ids`` (a service's tests) the persons' rows are locked
    first; a load (``after_id``) leaves a row another transaction changed meanwhile to it — apply the load
    again afterwards if single results were recorded for the same persons while it ran."""
    where, params = _tests_where(ids, after_id)
    if where == "1 = 0":
        return 0
    # the candidates of the two blocks (``candidates`` of ``_STRETCHES``): the first day in the block at least
    # its frequency after the anchor; the one before the tail counts when it falls inside it
    in_prior, in_tail = "y.c1 <= y.steady_n - 1", "(y.until_n IS NULL OR y.c2 <= y.until_n)"

    def same(column: str, read: str) -> str:
        # the row as read: one another transaction changed meanwhile is left to that writer (no lost update)
        return f"({_TABLE}.{column} = {read} OR ({_TABLE}.{column} IS NULL AND {read} IS NULL))"

    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        if after_id is None:  # a service's few tests: their persons' rows locked first, then read afresh
            list(Compliance.objects.select_for_update().filter(
                person_id__in=KeyTest.objects.filter(pk__in=params).values("person_id")).values_list("id"))
        cursor.execute(f"SELECT DISTINCT x.person_id FROM ({_applied(where)}) x "  # noqa: S608
                       "WHERE x.anchor + 1 < COALESCE(x.prior_n, x.steady_n)", params)
        slow = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"""
            UPDATE {_TABLE} SET last_test_on = n.last_on, positive_on = n.positive_on,
                                next_due_on = n.next_due_on, interval_days = n.interval_days
            FROM (SELECT y.id, y.last_on, y.positive_on, y.old_last, y.old_positive,
                         CASE WHEN {in_prior} THEN {_date("y.c1")} WHEN {in_tail} THEN {_date("y.c2")} END
                             AS next_due_on,
                         CASE WHEN {in_prior} THEN y.prior_days WHEN {in_tail} THEN y.steady_days END
                             AS interval_days
                  FROM (SELECT x.*,
                               CASE WHEN x.prior_n > x.anchor + x.prior_days THEN x.prior_n
                                    ELSE x.anchor + x.prior_days END AS c1,
                               CASE WHEN x.steady_n > x.anchor + x.steady_days THEN x.steady_n
                                    ELSE x.anchor + x.steady_days END AS c2
                        FROM ({_applied(where)}) x
                        WHERE x.anchor + 1 >= COALESCE(x.prior_n, x.steady_n)) y) n
            WHERE {_TABLE}.id = n.id AND {same("last_test_on", "n.old_last")}
              AND {same("positive_on", "n.old_positive")}""", params)  # noqa: S608 (this module's text; ids: parameters)
        changed = cursor.rowcount
    if slow:
        changed += refresh(persons=slow)
    elif changed:
        bump_data_generation()
    return changed


def overdue_counts(*, day: dt.date, groups_sql: str, groups_params) -> dict[str, int]:
    """Per key population: the (group, person) memberships in force on ``day`` in the groups the SQL
    ``groups_sql`` selects (their ids), whose person is overdue on ``day`` — computed as of ``day``, from
    the tests sampled until then (the stored ``Compliance`` counts every test recorded)."""
    # the SQL is this module's text and the groups' query Django compiled; the values are parameters
    scope = f"person_id IN (SELECT person_id FROM keypopulations_rosterentry WHERE group_id IN ({groups_sql}))"  # noqa: S608
    params = list(groups_params)
    select = f"""
            SELECT population, COUNT(*) FROM (
                SELECT DISTINCT g.population, m.group_id, m.person_id
                FROM keypopulations_rosterentry m
                JOIN keypopulations_keygroup g ON g.id = m.group_id
                JOIN due d ON d.person_id = m.person_id AND d.n = 1
                WHERE m.group_id IN ({groups_sql}) AND {_num("m.start")} <= %s
                  AND (m."end" IS NULL OR {_num('m."end"')} >= %s) AND d.due < %s
            ) overdue GROUP BY population"""  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(_with(scope, day) + select, params + params + params + [day_number(day)] * 3)
        return dict(cursor.fetchall())
