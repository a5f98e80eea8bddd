"""The public site rendered from a publication's snapshot: HTML pages in Chinese and English, the same data
as JSON and CSV, the stylesheet and the emblem — path → bytes, nothing else.

Deterministic: the output depends on the snapshot alone (no clock, no database, sorted everywhere), so the
same approved records give the same files, the same manifest and — Ed25519 being deterministic — the same
signature. Every text is escaped by the templates' autoescaping; nothing is marked safe. Assets are
referenced with Subresource Integrity (sha384 of the very bytes written).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangkong.cases.exports import formula_safe

from .inputs import WEEKDAYS

ASSETS = Path(__file__).parent / "site_assets"
LANGUAGES = (("zh-hans", ""), ("en", "en/"))
PAGES = ("index", "bulletins", "risk-areas", "testing-sites", "rules", "notices", "data")
DATASETS = ("bulletins", "risk-areas", "testing-sites", "rules", "notices")


def _sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode("ascii")


def _assets() -> dict[str, bytes]:
    return {f"assets/{path.name}": path.read_bytes() for path in sorted(ASSETS.iterdir()) if path.is_file()}


def _rule_rows(rules: dict) -> list[tuple[str, str]]:
    def days(n) -> str:
        return _("%(n)d days") % {"n": n}

    def test_days(values) -> str:
        return "、".join(str(v) for v in values) if translation.get_language() != "en" else \
            ", ".join(str(v) for v in values)

    rows = [
        (_("Close contacts: centralised quarantine"), days(rules["close_contact_centralised_days"])),
        (_("Close contacts: home health monitoring"), days(rules["close_contact_home_days"])),
        (_("Close contacts: test days"), test_days(rules["close_contact_test_days"])),
        (_("Inbound travellers: centralised quarantine"), days(rules["inbound_centralised_days"])),
        (_("Inbound travellers: home health monitoring"), days(rules["inbound_home_days"])),
        (_("Contacts of close contacts"),
         (days(rules["secondary_contact_days"]) + " · " + (_("centralised") if rules["secondary_contact_centralised"]
                                                           else _("at home")))
         if rules["secondary_contacts_traced"] else _("no longer traced")),
        (_("Risk-area levels"), " / ".join(str(_level_label(v)) for v in rules["risk_levels"])),
        (_("Risk areas lifted after days without a new infection"), days(rules["risk_area_lift_days"])),
        (_("Lifting needs a negative area-wide screen"), _("yes") if rules["risk_area_lift_needs_screen"] else _("no")),
    ]
    return rows


def _level_label(level: str) -> str:
    return {"high": _("High risk"), "medium": _("Medium risk"), "low": _("Low risk")}.get(level, level)


def _kind_label(kind: str) -> str:
    return {"region": _("Whole region"), "compound": _("Housing compound or village"),
            "building": _("Building or unit")}.get(kind, kind)


def _service_label(service: str) -> str:
    return {"nucleic_acid": _("Nucleic-acid sampling"), "single_tube": _("Single-tube sampling"),
            "antigen": _("Antigen test")}.get(service, service)


def _days_label(days: list[int]) -> str:
    """The days of the week, as a person says them: "Monday to Friday", "Saturday, Sunday"."""
    names = dict(WEEKDAYS)
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return _("%(first)s to %(last)s") % {"first": names[days[0]], "last": names[days[-1]]}
    return pgettext("list", ", ").join(str(names[d]) for d in days)


def hours_label(weekdays: list[int], opens_at: str, closes_at: str) -> str:
    """"08:00–20:00 daily", "09:00–17:00, Monday to Friday", "24 hours daily" — in the active language."""
    period = _("24 hours") if opens_at == closes_at == "00:00" else \
        pgettext("time range", "%(opens)s–%(closes)s") % {"opens": opens_at, "closes": closes_at}
    if sorted(weekdays) == list(range(1, 8)):
        return _("%(hours)s daily") % {"hours": period}
    return _("%(hours)s, %(days)s") % {"hours": period, "days": _days_label(sorted(weekdays))}


def _today(site: dict, day: str) -> tuple[str, str]:
    """(state, label) of a testing site on the edition's day: open, not-today, suspended, closed."""
    if site["status"] == "suspended":
        return "suspended", pgettext("testing site", "Suspended")
    if site["status"] == "closed":
        return "closed", pgettext("testing site", "Closed")
    if day and dt.date.fromisoformat(day).isoweekday() in site["weekdays"]:
        return "open", _("Open on %(day)s") % {"day": day}
    return "not-today", _("Not open on %(day)s") % {"day": day}


def _localised(snapshot: dict, language: str) -> dict:
    en = language == "en"
    site = snapshot["site"]
    bulletins = [{**b, "approved_by": b["approved_by_en"] if en else b["approved_by_zh"]}
                 for b in snapshot["bulletins"] if b["language"] == language]
    risk_areas = [{**a, "region_name": a["region_en"] if en else a["region_zh"],
                   "level_label": _level_label(a["level"]), "kind_label": _kind_label(a["kind"])}
                  for a in snapshot["risk_areas"]]
    notices = [{**n, "title": n["title_en"] if en else n["title_zh"],
                "paragraphs": [p for p in (n["body_en"] if en else n["body_zh"]).split("\n") if p.strip()],
                "region_name": n["region_en"] if en else n["region_zh"],
                "approved_by": n["approved_by_en"] if en else n["approved_by_zh"]} for n in snapshot["notices"]]
    day = snapshot.get("day", "")
    testing_sites = []
    for t in snapshot.get("testing_sites", []):
        state, state_label = _today(t, day)
        testing_sites.append({
            **t, "name": t["name_en"] if en else t["name_zh"], "address": t["address_en"] if en else t["address_zh"],
            "area": (f"{t['city_en']} · {t['region_en']}" if en else f"{t['city_zh']} · {t['region_zh']}")
            if t["city_zh"] and t["city_zh"] != t["region_zh"] else (t["region_en"] if en else t["region_zh"]),
            "hours": hours_label(t["weekdays"], t["opens_at"], t["closes_at"]),
            "hours_note": t["hours_note_en"] if en else t["hours_note_zh"],
            "service_labels": [_service_label(x) for x in t["services"]], "state": state, "state_label": state_label,
            "approved_by": t["approved_by_en"] if en else t["approved_by_zh"]})
    rules = snapshot["rules"]
    return {
        "site_name": site["name_en"] if en else site["name_zh"], "as_of": snapshot["as_of"], "day": day,
        "bulletins": bulletins, "latest": bulletins[:1], "risk_areas": risk_areas, "notices": notices,
        "testing_sites": testing_sites, "open_that_day": sum(1 for t in testing_sites if t["state"] == "open"),
        "rules": rules and {**rules, "name": rules["name_en"] if en else rules["name_zh"],
                            "rows": _rule_rows(rules)},
    }


def _page(name: str, language: str, prefix: str, context: dict, assets: dict[str, bytes]) -> bytes:
    up = "../" if prefix else ""
    other = ("en/" if not prefix else "") + (f"{name}.html" if name != "index" else "")
    with translation.override(language):
        body = render_to_string(f"public/site/{name}.html", {
            **context, "page": name, "lang": "zh-Hans" if language == "zh-hans" else "en", "up": up,
            "other_language_href": (up + other) or "./", "css_href": f"{up}assets/site.css",
            "css_sri": _sri(assets["assets/site.css"]), "emblem_href": f"{up}assets/emblem.svg",
            "datasets": DATASETS,
        })
    return body.encode("utf-8")


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        value = [row.get(c) for c in columns]
        writer.writerow([formula_safe("\n".join(v) if isinstance(v, list) else ("" if v is None else str(v)))
                         for v in value])
    return out.getvalue().encode("utf-8-sig")


def _datasets(snapshot: dict) -> dict[str, bytes]:
    tables = {
        "bulletins": (snapshot["bulletins"], ["region", "region_zh", "region_en", "date", "language", "version",
                                               "issuer", "title", "paragraphs", "fingerprint", "approved_at",
                                               "approved_by_zh", "approved_by_en"]),
        "risk-areas": (snapshot["risk_areas"], ["region", "region_zh", "region_en", "kind", "level", "area_name",
                                                 "address", "designated_from", "lift_on", "protocol"]),
        "rules": ([snapshot["rules"]] if snapshot["rules"] else [],
                  ["code", "name_zh", "name_en", "effective_from", "close_contact_centralised_days",
                   "close_contact_home_days", "close_contact_test_days", "inbound_centralised_days",
                   "inbound_home_days", "secondary_contacts_traced", "secondary_contact_days",
                   "risk_levels", "risk_area_lift_days", "risk_area_lift_needs_screen"]),
        "notices": (snapshot["notices"], ["region", "region_zh", "region_en", "title_zh", "title_en", "body_zh",
                                          "body_en", "approved_at", "approved_by_zh", "approved_by_en"]),
        "testing-sites": (snapshot.get("testing_sites", []),
                          ["region", "region_zh", "region_en", "city_zh", "city_en", "name_zh", "name_en",
                           "address_zh", "address_en", "weekdays", "opens_at", "closes_at", "hours_note_zh",
                           "hours_note_en", "services", "status", "approved_at", "approved_by_zh", "approved_by_en"]),
    }
    files = {}
    for name, (rows, columns) in tables.items():
        data = {"as_of": snapshot["as_of"], "site": snapshot["site"]["region"], name.replace("-", "_"): rows}
        if name == "testing-sites":
            data["day"] = snapshot.get("day", "")
        files[f"data/{name}.json"] = (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n") \
            .encode("utf-8")
        files[f"data/{name}.csv"] = _csv(
            [{k: (", ".join(map(str, v)) if isinstance(v, list) and k != "paragraphs" else v) for k, v in r.items()}
             for r in rows], columns)
    return files


def site_files(snapshot: dict) -> dict[str, bytes]:
    """Every file of the edition (path → bytes), manifest and signature apart."""
    assets = _assets()
    files = dict(assets)
    files.update(_datasets(snapshot))
    for language, prefix in LANGUAGES:
        with translation.override(language):
            context = _localised(snapshot, language)
        for name in PAGES:
            files[f"{prefix}{name}.html"] = _page(name, language, prefix, context, assets)
    return dict(sorted(files.items()))
