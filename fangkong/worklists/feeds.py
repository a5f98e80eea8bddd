"""What the other modules feed into the problem list (the periodic job ``worklists-feed``): every module
declares the kinds of problem it raises (``ModuleConfig.problem_sources``, ``fangkong.modules``), and the
feed function of each, which turns the late things its records show into problems, once
(``services.problem_raise`` is idempotent by source and key), each with a task for the command of the
region that has to act. Evidence names the record by its number and links to it; no person's identifiers
are copied. The lists themselves know no module by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.utils import timezone, translation
from django.utils.module_loading import import_string

from fangkong.modules import problem_sources

from .models import Problem
from .services import problem_raise


def already_raised(source: str) -> set[str]:
    """The keys already raised from ``source``: a feed reads them once a run, so that a run costs one query
    per new problem, not one per record looked at."""
    return set(Problem.objects.filter(source=source).values_list("source_key", flat=True))


def raise_each[T](source: str, candidates: Iterable[T], key: Callable[[T], str],
                  problem: Callable[[T], dict | None]) -> int:
    """The loop of every feed: raise a problem from ``source`` for each of ``candidates`` whose key
    (``key(candidate)``) was not raised yet, with the fields ``problem(candidate)`` gives (``region``,
    ``severity``, ``title``, ``evidence``, ``link``, ``found_at``; None: not a problem after all, skipped).
    The keys already raised are read once (``already_raised``), the problem of a key already raised is not
    even built; ``problem_raise`` decides again (a race with another run raises nothing twice). Returns how
    many were raised."""
    done, raised = already_raised(source), 0
    for candidate in candidates:
        source_key = key(candidate)
        if source_key in done:
            continue
        fields = problem(candidate)
        if fields is None:
            continue
        _problem, created = problem_raise(actor=None, source=source, source_key=source_key, **fields)
        done.add(source_key)
        raised += created
    return raised


def feed(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Raise the problems the modules' records show (already raised ones are left as they are): source code →
    how many were raised, for every declared source with a feed."""
    now = now or timezone.now()
    with translation.override("zh-hans"):  # the titles are kept as written: in Chinese, whoever runs the job
        return {code: import_string(source.feed)(now) for code, source in problem_sources().items() if source.feed}
