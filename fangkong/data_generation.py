"""The data generation: a counter, kept in Django's cache, bumped when a write that can change a figure commits.

Caches of computed figures (the dashboard's ``situation``) put the current generation in their key, so a
cached figure is used only while no such write has committed since it was computed — correct on every
write, not "at most a minute old".

- ``bump_data_generation()``: the one way to say "figures may have changed". Every service that writes a
  model the figures read (a module's ``figure_sources``) calls it in its transaction, whatever the write
  (``save()``, ``bulk_create``, ``update()``, COPY): the counter is incremented when the outermost
  transaction commits (never when it rolls back) — once per atomic block however many times the block
  called it. No model signal calls it: a write made around the services (a shell, a test's ORM call)
  must call it itself. ``fangkong.cases.summaries`` calls it for every case and contact write; the
  dashboard's tests (``test_explicit_generation.py``) check that no fangkong app connects a model signal
  and that every module writing a figure source calls it.
- ``current_data_generation()``: the value to put in a cache key.

The counter lives in the *shared* cache when ``FANGKONG_CACHE_URL`` is set (Redis: every server worker,
job worker and command sees the same value). With the default local-memory cache it is per process: right
for the development server (one process) and the tests, but a write made by another process (a command
on the command line, a Celery worker) is not seen by a running server's cache — see the README.

If the counter is evicted, it restarts from the clock in nanoseconds, above any value it had before, so
an entry computed under an old generation can never be mistaken for a current one.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection, transaction

GENERATION_KEY = "fangkong:data-generation"
#: The counter outlives every entry keyed on it (no timeout).
GENERATION_TIMEOUT = None


def current_data_generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, time.time_ns(), GENERATION_TIMEOUT)
        value = cache.get(GENERATION_KEY, 0)
    return int(value)


def generation_advance() -> None:
    """A new generation now (``bump_data_generation`` calls it on commit; the tests at the start of each test)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # missing (never read, or evicted): restart above every earlier value
        cache.add(GENERATION_KEY, time.time_ns(), GENERATION_TIMEOUT)
        cache.incr(GENERATION_KEY)


def bump_data_generation() -> None:
    """Increment the generation when the current transaction commits (at once outside a transaction)."""
    if connection.in_atomic_block:
        # Once per savepoint is enough (a loop of writes that each bump: one increment, not a million).
        current = set(connection.savepoint_ids)
        if any(func is generation_advance and savepoints == current
               for savepoints, func, *_rest in getattr(connection, "run_on_commit", ())):
            return
    transaction.on_commit(generation_advance)
