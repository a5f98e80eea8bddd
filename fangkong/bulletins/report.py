"""The daily situation report as HTML and PDF, rendered from a snapshot of the dashboard's figures.

- ``official_wording(content, language)``: the paragraphs in the official form ("X月X日0—24时，全省新增
  本土确诊病例X例……" and its English counterpart). The wording of a report is part of the document in its
  language, fixed here for each language, not UI text looked up in a catalogue.
- ``curve_svg`` and ``map_svg``: the epidemic curve and the choropleth as static SVG (no script), so
  the HTML page, the stored report and the PDF show the same pictures.
- ``render_report_html``: the report body stored with the bulletin (and fingerprinted).
- ``render_pdf``: the PDF with WeasyPrint, embedding only the slices of the vendored Noto Sans SC that the
  report's characters need (``font_css_for``) — it renders the same on a machine with no Chinese font.
- ``section_figures`` and ``section_wording``: the paragraphs the modules contribute (``report_sections`` of
  ``fangkong.modules``): their figures frozen into the content when the report is generated, their wording
  after the core paragraphs and before the outlook.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import html
import math
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe

from fangkong import modules

ROUTE_COLOURS = ("#b3261e", "#e8710a", "#0b5cad", "#1a7f37", "#7b3fa0", "#5f6b7a")
MAP_COLOURS = ("#f4f6f9", "#fbd3cf", "#f28b82", "#d9453b", "#b3261e", "#6d140f")
ROUTE_NAMES = {
    "zh-hans": {"fever_clinic": "发热门诊", "screening": "筛查", "during_quarantine": "隔离管控中",
                "contact_tracing": "密接追踪", "inbound_screening": "入境筛查", "other": "其他"},
    "en": {"fever_clinic": "Fever clinic", "screening": "Screening", "during_quarantine": "During quarantine",
           "contact_tracing": "Contact tracing", "inbound_screening": "Inbound screening", "other": "Other"},
}
STATUS_NAMES = {
    "zh-hans": {"new": "新发", "acknowledged": "已响应", "investigating": "调查中", "confirmed": "已确认暴发"},
    "en": {"new": "new", "acknowledged": "acknowledged", "investigating": "under investigation",
           "confirmed": "confirmed outbreaks"},
}


def _name(row: dict, language: str) -> str:
    return row["name_en"] if language == "en" else row["name_zh"]


def scope_word(region: dict, language: str) -> str:
    """全省 / 全市 / 全区 / 全县 (or the region's name), "the province" / "the city" / the name."""
    level = region["level"]
    if language == "en":
        return {"province": "the province", "prefecture": "the city"}.get(level, region["name_en"])
    if level == "province":
        return "全省"
    if level == "prefecture":
        return "全市"
    if level == "county" and region["name_zh"].endswith(("区", "县")):
        return "全" + region["name_zh"][-1]
    return region["name_zh"]


def _breakdown(children: list[dict], figure: str, language: str) -> str:
    parts = sorted(((c["new"][figure], _name(c, language)) for c in children if c["new"][figure]), reverse=True)
    if not parts:
        return ""
    if language == "en":
        return " (" + ", ".join(f"{name} {n}" for n, name in parts) + ")"
    return "（" + "，".join(f"{name}{n}例" for n, name in parts) + "）"


def _percent(share) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


RESOURCE_WORDS = {"zh-hans": {"quarantine_rooms": "集中隔离房间", "isolation_beds": "隔离床位"},
                  "en": {"quarantine_rooms": "quarantine rooms", "isolation_beds": "isolation beds"}}


def outlook_wording(content: dict, language: str) -> str | None:
    """The report's paragraph on the outlook (the dashboard's, frozen with the report's figures): projected
    infections over its days under the protocol in force and the current Rt, the rooms and beds they will
    need, and — where the resources module records capacity — the first day of shortage with its probability,
    or the probability of one within the outlook. None when there is no projection (too little history, a
    report generated before the outlook was part of it)."""
    outlook = content.get("outlook") or {}
    projected = outlook.get("projected")
    if not projected:
        return None
    days, scope = outlook["days"], scope_word(content["region"], language)
    infections, rooms, beds = projected["infections"], projected["quarantine_rooms"], projected["isolation_beds"]
    words = RESOURCE_WORDS[language]
    clauses = []
    if outlook.get("capacity_known"):
        for name in ("quarantine_rooms", "isolation_beds"):
            short = (projected.get("shortage") or {}).get(name)
            if not short:
                continue
            first, chance = short["first_date"] and dt.date.fromisoformat(short["first_date"]), _percent(short["probability"])
            if language == "en":
                clauses.append(f"{words[name]} are projected to run short on {first.day} {first:%B} (probability "
                               f"{chance})" if first else
                               f"the probability that {words[name]} run short within {days} days is {chance}")
            else:
                clauses.append(f"{words[name]}预计于{first.month}月{first.day}日出现缺口（概率{chance}）" if first else
                               f"{words[name]}{days}日内出现缺口的概率为{chance}")
    if language == "en":
        text = (f"Under the protocol in force and the current Rt, {scope} is projected to report "
                f"{infections['median']} new infections in the next {days} days (95% interval "
                f"{infections['lower']}–{infections['upper']}), needing about {rooms['median']} centralised "
                f"quarantine rooms and {beds['median']} isolation beds on day {days}")
        return text + ("; " + "; ".join(clauses) if clauses else "") + "."
    text = (f"按现行防控方案和当前有效再生数推算，未来{days}日{scope}预计新增感染者{infections['median']}例"
            f"（95%区间{infections['lower']}—{infections['upper']}例），第{days}日需集中隔离房间约{rooms['median']}间、"
            f"隔离床位约{beds['median']}张")
    return text + ("；" + "；".join(clauses) if clauses else "") + "。"


def section_figures(*, user, region, day: dt.date) -> dict:
    """The figures of every declared report section for ``region`` on ``day``, read in ``user``'s scope
    (``ReportSection.figures``), by section key; a section with nothing to say (None) is left out."""
    figures = {}
    for section in modules.report_sections():
        value = import_string(section.figures)(user, region, day)
        if value is not None:
            figures[section.key] = value
    return figures


def section_wording(content: dict, language: str) -> list[str]:
    """The paragraphs of the declared sections whose figures the report froze (a report generated before a
    module declared its section has none for it), in the order of ``INSTALLED_APPS``."""
    frozen, scope = content.get("sections") or {}, scope_word(content["region"], language)
    paragraphs = []
    for section in modules.report_sections():
        if section.key in frozen:
            paragraph = import_string(section.wording)(frozen[section.key], language, scope)
            if paragraph:
                paragraphs.append(paragraph)
    return paragraphs


def official_wording(content: dict, language: str) -> list[str]:
    """The report's paragraphs, in the official form of ``language`` ("zh-hans" or "en")."""
    day = dt.date.fromisoformat(content["date"])
    new, cum, children = content["new"], content["cumulative"], content["children"]
    scope = scope_word(content["region"], language)
    signals, tracing = content["signals"], content["tracing"]
    open_parts = [(STATUS_NAMES[language][s], n) for s, n in signals["by_status"].items() if n]
    week = signals["week"]
    if language == "en":
        when = f"{day.day} {day:%B %Y}"
        scope_cap = scope[0].upper() + scope[1:]
        paragraphs = [
            f"From 0:00 to 24:00 on {when}, {scope} reported {new['confirmed_local']} new local confirmed "
            f"cases{_breakdown(children, 'confirmed_local', language)} and {new['asymptomatic_local']} new local "
            f"asymptomatic infections{_breakdown(children, 'asymptomatic_local', language)}; "
            f"{new['confirmed_imported']} new imported confirmed cases and {new['asymptomatic_imported']} new "
            f"imported asymptomatic infections.",
            f"As of 24:00 on {when}, {scope} had reported a cumulative {cum['confirmed_local']} local confirmed "
            f"cases, {cum['asymptomatic_local']} local asymptomatic infections, {cum['confirmed_imported']} "
            f"imported confirmed cases and {cum['asymptomatic_imported']} imported asymptomatic infections.",
            f"{scope_cap} had {signals['open']} open surveillance signals"
            + (" (" + ", ".join(f"{n} {label}" for label, n in open_parts) + ")" if open_parts else "")
            + f"; in the last 7 days {week['alerts']} signals were raised and {week['acknowledged']} acknowledged"
            + (f", a median of {week['median_acknowledge_hours']} hours after being raised"
               if week["median_acknowledge_hours"] is not None else "") + ".",
            f"In the last 7 days {tracing['close_contacts']} close contacts were listed, "
            f"{_percent(tracing['listed_within_24h'])} within 24 hours of their source case's report, and "
            f"{_percent(tracing['quarantined_within_24h'])} of those quarantined were quarantined within 24 hours "
            f"of listing; {_percent(tracing['already_under_management'])} of the {tracing['new_cases']} new "
            f"infections were found among people already under management.",
        ]
        return paragraphs + section_wording(content, language) + [p for p in (outlook_wording(content, language),) if p]
    md = f"{day.month}月{day.day}日"
    paragraphs = [
        f"{md}0—24时，{scope}新增本土确诊病例{new['confirmed_local']}例"
        f"{_breakdown(children, 'confirmed_local', language)}，新增本土无症状感染者{new['asymptomatic_local']}例"
        f"{_breakdown(children, 'asymptomatic_local', language)}；新增境外输入确诊病例{new['confirmed_imported']}例，"
        f"新增境外输入无症状感染者{new['asymptomatic_imported']}例。",
        f"截至{md}24时，{scope}累计报告本土确诊病例{cum['confirmed_local']}例、本土无症状感染者"
        f"{cum['asymptomatic_local']}例，境外输入确诊病例{cum['confirmed_imported']}例、境外输入无症状感染者"
        f"{cum['asymptomatic_imported']}例。",
        f"{scope}现有未关闭的监测预警信号{signals['open']}起"
        + ("，其中" + "、".join(f"{label}{n}起" for label, n in open_parts) if open_parts else "")
        + f"；近7日共发出预警信号{week['alerts']}起，已响应{week['acknowledged']}起"
        + (f"，响应时间中位数{week['median_acknowledge_hours']}小时" if week["median_acknowledge_hours"] is not None
           else "") + "。",
        f"近7日{scope}判定密切接触者{tracing['close_contacts']}人，其中{_percent(tracing['listed_within_24h'])}"
        f"在病例报告后24小时内判定，已隔离者中{_percent(tracing['quarantined_within_24h'])}在判定后24小时内落实"
        f"集中隔离；{tracing['new_cases']}例新增感染者中{_percent(tracing['already_under_management'])}"
        f"在已管控人员中发现。",
    ]
    return paragraphs + section_wording(content, language) + [p for p in (outlook_wording(content, language),) if p]


# --- pictures ------------------------------------------------------------------------------------------


def curve_svg(curve: dict, language: str, *, width: int = 680, height: int = 220) -> str:
    """The epidemic curve by report date, stacked by detection route, as a static SVG."""
    dates, routes = curve["dates"], curve["routes"]
    series = curve["by_report"]
    totals = [sum(series[r][i] for r in routes) for i in range(len(dates))]
    top = max(totals + [1])
    step = 10 ** max(0, int(math.log10(top)))
    top = math.ceil(top / step) * step
    left, right, upper, bottom = 36, 8, 28, 30
    plot_w, plot_h = width - left - right, height - upper - bottom
    bar = plot_w / max(len(dates), 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" class="report-curve" role="img">']
    for k in range(0, 5):
        value = top * k / 4
        y = upper + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dee6" '
                   f'stroke-width="0.5"/><text x="{left - 4}" y="{y + 3:.1f}" font-size="9" '
                   f'text-anchor="end" fill="#5f6b7a">{value:g}</text>')
    for i in range(len(dates)):
        y = upper + plot_h
        for j, route in enumerate(routes):
            n = series[route][i]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            out.append(f'<rect x="{left + i * bar + 0.5:.1f}" y="{y:.1f}" width="{max(bar - 1, 0.5):.1f}" '
                       f'height="{h:.1f}" fill="{ROUTE_COLOURS[j % len(ROUTE_COLOURS)]}"/>')
    for i in range(0, len(dates), max(1, len(dates) // 6)):
        out.append(f'<text x="{left + (i + 0.5) * bar:.1f}" y="{height - 12}" font-size="9" text-anchor="middle" '
                   f'fill="#5f6b7a">{dates[i][5:]}</text>')
    x = left
    for j, route in enumerate(routes):
        label = html.escape(ROUTE_NAMES[language].get(route, route))
        out.append(f'<rect x="{x}" y="6" width="9" height="9" fill="{ROUTE_COLOURS[j % len(ROUTE_COLOURS)]}"/>'
                   f'<text x="{x + 12}" y="14" font-size="9" fill="#1f2328">{label}</text>')
        x += 16 + 9 * len(label) if language == "zh-hans" else 16 + 5 * len(label)
    out.append("</svg>")
    return "".join(out)


def _rings(geometry: dict):
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def map_class(value, breaks) -> int:
    if value is None or value <= 0:
        return 0
    for k, limit in enumerate(breaks, start=1):
        if value <= limit:
            return k
    return len(breaks) + 1


def map_svg(features: list[dict], values: dict[str, float | None], language: str, *, width: int = 420) -> str:
    """Choropleth of the features (GeoJSON, lon/lat) by 7-day incidence per 100,000, as a static SVG."""
    rings = [(f["properties"]["code"], list(_rings(f["geometry"]))) for f in features if f.get("geometry")]
    points = [p for _code, rs in rings for ring in rs for p in ring]
    if not points:
        return ""
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    lon0, lon1, lat0, lat1 = min(lons), max(lons), min(lats), max(lats)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    scale = (width - 20) / max((lon1 - lon0) * kx, 1e-9)
    height = int((lat1 - lat0) * scale + 60)
    positive = sorted(v for v in values.values() if v)
    top = positive[-1] if positive else 1.0
    breaks = [top * q for q in (0.1, 0.25, 0.5, 0.75)]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" class="report-map" role="img">']
    for code, rs in rings:
        d = " ".join("M" + " L".join(f"{10 + (x - lon0) * kx * scale:.1f},{10 + (lat1 - y) * scale:.1f}"
                                     for x, y in ring[:: max(1, len(ring) // 400)]) + "Z" for ring in rs)
        colour = MAP_COLOURS[map_class(values.get(code), breaks)]
        out.append(f'<path d="{d}" fill="{colour}" stroke="#ffffff" stroke-width="0.6" data-code="{code}"/>')
    legend_y = height - 38
    title = "近7日每10万人本土感染者" if language == "zh-hans" else "Local infections per 100,000, 7 days"
    out.append(f'<text x="10" y="{legend_y}" font-size="9" fill="#1f2328">{title}</text>')
    labels = ["0"] + [f"≤{b:.2g}" for b in breaks] + [f">{breaks[-1]:.2g}"]
    for k, label in enumerate(labels):
        out.append(f'<rect x="{10 + k * 62}" y="{legend_y + 6}" width="12" height="10" fill="{MAP_COLOURS[k]}" '
                   f'stroke="#d8dee6" stroke-width="0.5"/><text x="{26 + k * 62}" y="{legend_y + 15}" '
                   f'font-size="9" fill="#1f2328">{html.escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


# --- the report ----------------------------------------------------------------------------------------


def render_report_html(content: dict, features: list[dict], language: str) -> str:
    """The report body (a fragment: headings, wording, tables, pictures) in ``language``."""
    values = {c["code"]: c["incidence_7d"] for c in content["children"]} or \
        {content["region"]["code"]: content["totals"]["incidence_7d"]}
    with translation.override(language):
        return render_to_string(f"bulletins/report_{language}.html", {
            "c": content, "language": language, "day": dt.date.fromisoformat(content["date"]),
            "region_name": _name(content["region"], language),
            "paragraphs": official_wording(content, language),
            "children": [{**ch, "name": _name(ch, language)} for ch in content["children"]],
            # rates on apportioned county populations are marked * and explained in the note
            "estimated": any(ch.get("population_estimated") for ch in content["children"]),
            "signals": [{**a, "status_name": STATUS_NAMES[language].get(a["status"], a["status"])}
                        for a in content["signals"]["recent"]],
            "curve": mark_safe(curve_svg(content["curve"], language)),  # noqa: S308 - built above, escaped
            "map": mark_safe(map_svg(features, values, language)),  # noqa: S308 - built above, escaped
        })


FONT_FACE = re.compile(r"@font-face\s*{(?P<body>[^}]*)}", re.S)


@lru_cache(maxsize=1)
def _font_faces() -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """The vendored Noto Sans SC @font-face rules with their unicode ranges, read once."""
    path = Path(finders.find("vendor/noto-sans-sc/noto-sans-sc.css"))
    faces = []
    for match in FONT_FACE.finditer(path.read_text(encoding="utf-8")):
        body = match.group("body")
        ranges = []
        found = re.search(r"unicode-range:\s*([^;]+);", body)
        for part in (found.group(1).split(",") if found else []):
            part = part.strip().upper().removeprefix("U+")
            low, _, high = part.partition("-")
            ranges.append((int(low, 16), int(high or low, 16)))
        faces.append((match.group(0), tuple(ranges)))
    return tuple(faces)


def font_css_for(text: str) -> tuple[str, list[str]]:
    """The @font-face rules of the vendored font whose unicode ranges cover a character of ``text``, each
    slice under a family name of its own, and those family names in order.

    WeasyPrint keys the fonts it embeds by family, weight and style: slices sharing one family name would be
    merged into one PDF font with the wrong glyphs. A family per slice (the 400 and 700 weights of a slice
    share it) keeps them apart, and the font-family list lets Pango pick the slice of each character.
    """
    points = sorted({ord(ch) for ch in text})

    def covered(low: int, high: int) -> bool:
        i = bisect.bisect_left(points, low)
        return i < len(points) and points[i] <= high

    rules, families = [], []
    for index, (rule, ranges) in enumerate(_font_faces()):
        if ranges and not any(covered(lo, hi) for lo, hi in ranges):
            continue
        slice_name = re.search(r"noto-sans-sc-([a-z0-9]+)-\d+-normal", rule)
        family = f"NotoSansSC-slice-{slice_name.group(1) if slice_name else index}"
        rules.append(re.sub(r"font-family:[^;]+;", f"font-family: '{family}';", rule))
        if family not in families:
            families.append(family)
    return "\n".join(rules), families


#: Where the TrueType forms of the woff2 slices are kept: WeasyPrint would otherwise decompress every
#: woff2 slice (pure-Python fontTools, ~0.3 s each) on every PDF.
FONT_CACHE = Path(tempfile.gettempdir()) / "fangkong-fonts"
FONT_SRC = re.compile(r"src:\s*url\(\./files/(?P<file>[^)]+\.woff2)\)\s*format\('woff2'\);")


def truetype_of(woff2: Path) -> Path:
    """The slice as TrueType, decompressed once into ``FONT_CACHE`` (named by the woff2's content hash)."""
    from fontTools.ttLib import TTFont

    digest = hashlib.sha256(woff2.read_bytes()).hexdigest()[:16]
    target = FONT_CACHE / f"{woff2.stem}-{digest}.ttf"
    if not target.exists():
        FONT_CACHE.mkdir(parents=True, exist_ok=True)
        font = TTFont(str(woff2))
        font.flavor = None
        partial = target.with_name(f"{target.name}.{os.getpid()}.part")
        font.save(str(partial))
        os.replace(partial, target)
    return target


def _with_truetype_sources(css: str) -> str:
    files = font_directory() / "files"
    return FONT_SRC.sub(lambda m: f"src: url('{truetype_of(files / m.group('file')).as_uri()}') format('truetype');",
                        css)


def font_directory() -> Path:
    return Path(finders.find("vendor/noto-sans-sc/noto-sans-sc.css")).parent


def report_css_path() -> Path:
    return Path(finders.find("fangkong/bulletins.css"))


def render_pdf(document_html: str) -> bytes:
    """The PDF of a full report document, with the CJK font slices it needs embedded."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    text = html.unescape(re.sub(r"<[^>]+>", "", document_html))
    faces, families = font_css_for(text)
    stack = ", ".join(f"'{f}'" for f in families)
    stylesheets = [CSS(string=_with_truetype_sources(faces), font_config=fonts),
                   CSS(filename=str(report_css_path()), font_config=fonts),
                   CSS(string=f"body, body * {{ font-family: {stack}, sans-serif !important; }}",
                       font_config=fonts)]
    return HTML(string=document_html, base_url=str(font_directory()) + "/").write_pdf(
        stylesheets=stylesheets, font_config=fonts)
