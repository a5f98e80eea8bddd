"""Reads of the daily situation reports, scoped to the user's regions; the differences between versions."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from fangkong.accounts.access import get_in_scope_or_404, scoped
from fangkong.bulletins.models import Bulletin
from fangkong.regions.codes import is_valid_code, subtree_prefix

SCOPE_FIELD = "region__code"
# Parts of the snapshot that are series or lists, compared as a whole rather than number by number.
NOT_COMPARED = ("curve", "rt", "definitions", "signals.recent", "region", "date", "computed_at", "outlook")


def bulletin_list(*, user, region: str = "", day: dt.date | None = None, status: str = "") -> QuerySet[Bulletin]:
    qs = scoped(user, Bulletin.objects.select_related("region", "created_by"), SCOPE_FIELD).defer("html", "content")
    if region:
        qs = qs.filter(region__code__startswith=subtree_prefix(region) if is_valid_code(region) else "-")
    if day:
        qs = qs.filter(date=day)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-date", "region_id", "language", "-version")


def bulletin_get(*, user, bulletin_id) -> Bulletin:
    return get_in_scope_or_404(
        user, Bulletin.objects.select_related("region", "created_by", "reviewed_by", "approved_by"),
        SCOPE_FIELD, pk=bulletin_id)


def bulletin_versions(*, bulletin: Bulletin) -> QuerySet[Bulletin]:
    """Every version of the same report (region, date, language), newest first (same scope as the one)."""
    return Bulletin.objects.filter(region_id=bulletin.region_id, date=bulletin.date,
                                   language=bulletin.language).defer("html", "content").order_by("-version")


def bulletin_previous(*, bulletin: Bulletin) -> Bulletin | None:
    return Bulletin.objects.filter(region_id=bulletin.region_id, date=bulletin.date, language=bulletin.language,
                                   version__lt=bulletin.version).order_by("-version").first()


def _flatten(value, path: str = "", out: dict | None = None) -> dict:
    out = {} if out is None else out
    if any(path == skip or path.startswith(skip + ".") for skip in NOT_COMPARED):
        return out
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list) and path == "children":
        for child in value:
            _flatten({k: v for k, v in child.items() if k not in ("code", "name_zh", "name_en", "level")},
                     f"children.{child.get('code')}", out)
    elif isinstance(value, list):
        out[path] = value
    else:
        out[path] = value
    return out


def bulletin_diff(previous: Bulletin | None, current: Bulletin) -> list[dict]:
    """The figures that differ between two versions: [{key, before, after}], in the snapshot's order.

    Series (the curve, Rt over time) are summarised as "changed" under their own key.
    """
    if previous is None:
        return []
    before, after = _flatten(previous.content), _flatten(current.content)
    changes = [{"key": key, "before": before.get(key), "after": value}
               for key, value in after.items() if before.get(key) != value]
    changes += [{"key": key, "before": value, "after": None} for key, value in before.items() if key not in after]
    for series in ("curve", "rt"):
        if previous.content.get(series) != current.content.get(series):
            changes.append({"key": series, "before": "…", "after": "…"})
    return changes
