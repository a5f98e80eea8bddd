"""What the resources module raises in the problem list (``ModuleConfig.problem_sources``): a forecast
shortage — a city × resource whose first shortage day (median over paths) falls within the warning horizon
with a probability of at least ``forecast.ANNOUNCE_PROBABILITY`` — becomes a problem, once per city, resource
and shortage date, with a task for the city's command (critical within a week, serious after).

The forecast is computed by this module's daily job (``services.shortage_sweep``: an Rt estimate and a
projection per city, too heavy for the ten-minute feed of the lists), which hands its lines to
:func:`raise_shortages`; the source is declared without a feed."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from fangkong.worklists.feeds import raise_each
from fangkong.worklists.models import Severity

from . import forecast
from .apps import PROBLEM_SOURCE as SOURCE

RESOURCE_NAMES_ZH = {"quarantine_rooms": "隔离房间", "isolation_beds": "定点医院普通床位", "severe_care_beds": "重症床位",
                     "staff": "工作人员",
                     "supply:masks": "口罩", "supply:protective_suits": "防护服", "supply:test_kits": "检测试剂盒",
                     "supply:reagents": "检测试剂", "supply:disinfectant": "消毒剂"}


def announced(lines) -> list:
    """The lines of a forecast that warn with at least ``forecast.ANNOUNCE_PROBABILITY``."""
    return [line for line in lines if line.warning and (line.probability or 0) >= forecast.ANNOUNCE_PROBABILITY]


def raise_shortages(day: dt.date, lines) -> int:
    """Raise a problem for every announced line of the forecast made on ``day`` not raised yet; how many."""

    def problem(line) -> dict:
        name = RESOURCE_NAMES_ZH.get(line.resource, line.resource)
        return {"region": line.city, "severity": Severity.CRITICAL if line.first_day <= 7 else Severity.SERIOUS,
                "title": f"{line.city_name}{name}预计{line.first_date:%m月%d日}出现缺口",
                "evidence": (f"{day:%Y-%m-%d} 预测：{name}现有 {line.capacity:g}，"
                             f"{forecast.HORIZON_DAYS} 天内出现缺口的概率 {line.probability:.0%}，"
                             f"首个缺口日中位数为第 {line.first_day:g} 天（{line.first_date:%Y-%m-%d}）。"),
                "link": reverse("resources:overview") + f"?date={day.isoformat()}", "found_at": None}

    return raise_each(SOURCE, announced(lines), lambda line: f"shortage:{line.city}:{line.resource}:{line.first_date}",
                      problem)
