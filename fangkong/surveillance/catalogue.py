"""The catalogue of standard sentinel indicators, installed once (``indicators_ensure``).
"""

from __future__ import annotations

from fangkong.surveillance.configuration import detection_configs_ensure
from fangkong.surveillance.models import (
    Indicator,
)

#: The standard indicators (code, name zh, name en, unit zh, unit en, denominator zh, denominator en).
STANDARD_INDICATORS = (
    ("fever_clinic_visits", "发热门诊就诊人次", "Fever-clinic visits", "人次", "visits", "", ""),
    ("ili_consultations", "流感样病例数", "Influenza-like illness cases", "例", "cases",
     "门急诊就诊人次", "consultations"),
    ("antipyretic_sales", "退热药销售量", "Antipyretic sales", "盒", "packs", "", ""),
    ("cough_medicine_sales", "止咳药销售量", "Cough-medicine sales", "盒", "packs", "", ""),
    ("school_absences", "因病缺课人数", "Absences due to illness", "人", "pupils", "在校学生数", "enrolment"),
    ("notifiable_cases", "法定传染病报告病例数", "Notifiable-disease cases", "例", "cases", "", ""),
)


def indicators_ensure() -> dict[str, Indicator]:
    """Create the standard indicators that do not exist yet; return all indicators by code."""
    have = {i.code: i for i in Indicator.objects.all()}
    new = [
        Indicator(code=code, name_zh=zh, name_en=en, unit_zh=uzh, unit_en=uen, has_denominator=bool(dzh),
                  denominator_label_zh=dzh, denominator_label_en=den, position=position)
        for position, (code, zh, en, uzh, uen, dzh, den) in enumerate(STANDARD_INDICATORS)
        if code not in have
    ]
    Indicator.objects.bulk_create(new)
    detection_configs_ensure()
    return {i.code: i for i in Indicator.objects.all()}
