"""What changed between two versions of a daily report, figure by figure, in the reader's words.

A report's snapshot (``Bulletin.content``) is the dashboard's ``situation``. The differences are read
from it through an explicit list of the figures a reader knows — each with its label and the way its value
is written (a count, a share, a rate, Rt with its interval, hours) — first for the report's region, then
for each child region, so that:

- no internal key (``tracing.new_cases``) and no raw structure (a dict of Rt bounds, the earlies' list)
  reaches the page;
- each figure appears once: the region's own row of the child table (``totals``) repeats the top-level
  figures and is read only for what the top level lacks (7-day figures, Rt);
- series (the epidemic curve, Rt over time) are said to have changed, not listed point by point.

Labels are gettext messages: the page shows them in the reader's language, whatever the report's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from fangkong.surveillance.earlies import INTERVALS as EARLIES_INTERVALS
from fangkong.surveillance.models import AlertStatus

COUNT, SHARE, RATE, RT, HOURS = "count", "share", "rate", "rt", "hours"

#: The report region's figures: (path in the snapshot, label, kind), in the order of the report.
REGION_FIGURES = (
    ("new_total", gettext_lazy("New infections"), COUNT),
    ("new.confirmed_local", gettext_lazy("New local confirmed cases"), COUNT),
    ("new.asymptomatic_local", gettext_lazy("New local asymptomatic infections"), COUNT),
    ("new.confirmed_imported", gettext_lazy("New imported confirmed cases"), COUNT),
    ("new.asymptomatic_imported", gettext_lazy("New imported asymptomatic infections"), COUNT),
    ("suspected_new", gettext_lazy("New suspected cases"), COUNT),
    ("cumulative_total", gettext_lazy("Cumulative infections"), COUNT),
    ("cumulative.confirmed_local", gettext_lazy("Cumulative local confirmed cases"), COUNT),
    ("cumulative.asymptomatic_local", gettext_lazy("Cumulative local asymptomatic infections"), COUNT),
    ("cumulative.confirmed_imported", gettext_lazy("Cumulative imported confirmed cases"), COUNT),
    ("cumulative.asymptomatic_imported", gettext_lazy("Cumulative imported asymptomatic infections"), COUNT),
    ("totals.local_7d", gettext_lazy("Local infections in 7 days"), COUNT),
    ("totals.incidence_7d", gettext_lazy("Per 100,000 (7 days)"), RATE),
    ("totals.rt", gettext_lazy("Rt with its credible interval"), RT),
    ("signals.open", gettext_lazy("Open signals"), COUNT),
    ("signals.week.alerts", gettext_lazy("Signals raised in 7 days"), COUNT),
    ("signals.week.acknowledged", gettext_lazy("Signals acknowledged in 7 days"), COUNT),
    ("signals.week.median_acknowledge_hours", gettext_lazy("Median hours to acknowledge a signal"), HOURS),
    ("tracing.close_contacts", gettext_lazy("Close contacts listed (7 days)"), COUNT),
    ("tracing.listed_within_24h", gettext_lazy("Close contacts listed within 24 h"), SHARE),
    ("tracing.quarantined_within_24h", gettext_lazy("Close contacts quarantined within 24 h"), SHARE),
    ("tracing.secondary_contacts", gettext_lazy("Contacts of close contacts listed (7 days)"), COUNT),
    ("tracing.new_cases", gettext_lazy("New cases (7 days)"), COUNT),
    ("tracing.already_under_management", gettext_lazy("New cases already under management"), SHARE),
    ("outlook.contacts_in_quarantine", gettext_lazy("Contacts in quarantine"), COUNT),
    ("outlook.projected.infections.median", gettext_lazy("Projected infections in 14 days (median)"), COUNT),
)
#: Each child region's figures (the rows of the report's table).
CHILD_FIGURES = (
    ("new_total", gettext_lazy("New infections"), COUNT),
    ("new.confirmed_local", gettext_lazy("New local confirmed cases"), COUNT),
    ("new.asymptomatic_local", gettext_lazy("New local asymptomatic infections"), COUNT),
    ("new.confirmed_imported", gettext_lazy("New imported confirmed cases"), COUNT),
    ("new.asymptomatic_imported", gettext_lazy("New imported asymptomatic infections"), COUNT),
    ("cumulative_total", gettext_lazy("Cumulative infections"), COUNT),
    ("local_7d", gettext_lazy("Local infections in 7 days"), COUNT),
    ("incidence_7d", gettext_lazy("Per 100,000 (7 days)"), RATE),
    ("rt", gettext_lazy("Rt with its credible interval"), RT),
    ("open_signals", gettext_lazy("Open signals"), COUNT),
)
SERIES = (("curve", gettext_lazy("Epidemic curve")), ("rt", gettext_lazy("Rt over time")))


@dataclass(frozen=True)
class Difference:
    where: str  # the region the figure belongs to
    label: str
    before: str
    after: str


def _get(data, path: str):
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _written(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == SHARE:
        return f"{round(value * 100)}%"
    if kind == RT:
        if not isinstance(value, dict) or value.get("mean") is None:
            return "—"
        return f"{value['mean']:.2f} ({value['lower']:.2f}–{value['upper']:.2f})"
    if kind in (RATE, HOURS):
        return number_format(value, 1)
    return number_format(value, force_grouping=True)


def _status_figures() -> tuple:
    return tuple((f"signals.by_status.{value}", _("Open signals: %(status)s") % {"status": label}, COUNT)
                 for value, label in AlertStatus.choices)


def _earlies_figures() -> list[tuple]:
    """The earlies' figures as flat paths: ``earlies.<interval>.median_hours`` / ``.share`` (the snapshot
    holds them as a list of intervals)."""
    figures = []
    for key, label, _field in EARLIES_INTERVALS:
        figures.append((f"earlies.{key}.median_hours", _("%(interval)s: median hours") % {"interval": label}, HOURS))
        figures.append((f"earlies.{key}.share", _("%(interval)s: within target") % {"interval": label}, SHARE))
    return figures


def _with_earlies_by_key(content: dict) -> dict:
    earlies = content.get("earlies") or {}
    return {**content, "earlies": {i["key"]: i for i in earlies.get("intervals", [])}}


def _compare(where: str, before: dict, after: dict, figures) -> list[Difference]:
    rows = []
    for path, label, kind in figures:
        old, new = _written(_get(before, path), kind), _written(_get(after, path), kind)
        if old != new:
            rows.append(Difference(where, str(label), old, new))
    return rows


def report_differences(previous, current) -> list[Difference]:
    """The figures that differ between two versions of a report (``Bulletin``s), region first, then each
    child region in the report's order; names and labels in the active language."""
    if previous is None:
        return []
    english = (get_language() or "").startswith("en")
    before, after = _with_earlies_by_key(previous.content), _with_earlies_by_key(current.content)

    def name(region: dict) -> str:
        return region.get("name_en" if english else "name_zh") or region.get("code", "")

    region_name = name(after.get("region") or before.get("region") or {})
    figures = (*REGION_FIGURES[:15], *_status_figures(), *REGION_FIGURES[15:], *_earlies_figures())
    rows = _compare(region_name, before, after, figures)
    for key, label in SERIES:
        if before.get(key) != after.get(key):
            rows.append(Difference(region_name, str(label), "", _("changed")))
    old_children = {c["code"]: c for c in before.get("children", [])}
    new_children = {c["code"]: c for c in after.get("children", [])}
    for code in [*new_children, *(c for c in old_children if c not in new_children)]:
        child = new_children.get(code) or old_children[code]
        rows += _compare(name(child), old_children.get(code, {}), new_children.get(code, {}), CHILD_FIGURES)
    return rows
