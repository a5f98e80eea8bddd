"""The day the pages are about: one day for every page, chosen once and carried from page to page.

Every page whose figures depend on a day (the dashboard, the four earlies, response timeliness, late and
missing reports, tracing timeliness, the daily reports) opens on the same day:

- the day the user chose last — with the day field of the top bar, or by opening a page for a day
  (``?date=`` of the dashboard, ``?last=`` of a period, ``?date_to=`` of tracing timeliness): it is kept in
  the session (``DAY_SESSION_KEY``) until the user chooses another day or "latest";
- otherwise the **last day with data in the user's scope**: the latest report date of a case or of a
  sentinel report the user may see, never after today (so "today" when the data is current). A page with a
  period shows the period ending on that day.

The session, not a query parameter, carries the day: links between pages (navigation, figures, tabs)
need not each repeat it, and a link that does name a day (a figure of the dashboard linking to its line
list) moves the user's day with it.

The last day with data is kept in the cache per scope and data generation (``fangkong.data_generation``:
every write of a case or a report bumps it), so it is read once per change of the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from fangkong.accounts.need_to_know import Category, Reach, read_prefixes
from fangkong.data_generation import current_data_generation

DAY_SESSION_KEY = "fangkong_day"
#: How long a computed last day is kept at most (keyed on the data generation, so never stale).
LAST_DAY_CACHE_SECONDS = 3600


def parse_day(value) -> dt.date | None:
    """A date from ``YYYY-MM-DD`` text (or a date), None for anything else."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def data_last_day(user) -> dt.date:
    """The last report date of a case or a sentinel report in the user's scope, at most today; today when
    the scope has no data."""
    from fangkong.cases.selectors import case_list
    from fangkong.surveillance.selectors import report_list

    own_sites = read_prefixes(user, Category.AGGREGATES, Reach.OWN_SITES)  # then the answer is the user's own
    scope = ",".join(read_prefixes(user, Category.AGGREGATES)) + (f"|sites of {user.pk}" if own_sites else "")
    key = "web:data-last-day:" + hashlib.sha256(f"{scope}|{current_data_generation()}".encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return min(dt.date.fromisoformat(cached), timezone.localdate())
    days = [case_list(user=user, category=Category.AGGREGATES).order_by().aggregate(last=Max("report_date"))["last"],
            report_list(user=user).order_by().aggregate(last=Max("date"))["last"]]
    today = timezone.localdate()
    last = min(max([d for d in days if d is not None], default=today), today)
    cache.set(key, last.isoformat(), LAST_DAY_CACHE_SECONDS)
    return last


def chosen_day(request) -> dt.date:
    """The day the user chose (kept in the session), or the last day with data in their scope."""
    return parse_day(request.session.get(DAY_SESSION_KEY)) or data_last_day(request.user)


def is_day_chosen(request) -> bool:
    return parse_day(request.session.get(DAY_SESSION_KEY)) is not None


def remember_day(request, day: dt.date | None) -> None:
    """Make ``day`` the user's day for every page (None: back to the last day with data)."""
    if day is None:
        request.session.pop(DAY_SESSION_KEY, None)
    else:
        request.session[DAY_SESSION_KEY] = day.isoformat()


def day_asked(request, parameter: str = "date") -> dt.date:
    """The day a page shows: the one its query names (which then becomes the user's day), or the user's."""
    day = parse_day(request.GET.get(parameter))
    if day is not None:
        remember_day(request, day)
        return day
    return chosen_day(request)
