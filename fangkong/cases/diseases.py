"""The notifiable-disease table the data migration installs: legal class and management, dated."""

from __future__ import annotations

import datetime as dt

DISEASES = [
    # code, name_zh, name_en, [(from, class, managed as A)]
    ("plague", "鼠疫", "Plague", [(dt.date(2004, 12, 1), "A", False)]),
    ("cholera", "霍乱", "Cholera", [(dt.date(2004, 12, 1), "A", False)]),
    ("covid-19", "新型冠状病毒感染", "COVID-19", [
        (dt.date(2020, 1, 20), "B", True),    # NHC announcement No. 1 of 2020
        (dt.date(2023, 1, 8), "B", False),    # "乙类乙管"
    ]),
    ("sars", "传染性非典型肺炎", "SARS", [(dt.date(2004, 12, 1), "B", True)]),
    ("anthrax-pulmonary", "肺炭疽", "Pulmonary anthrax", [(dt.date(2004, 12, 1), "B", True)]),
    ("measles", "麻疹", "Measles", [(dt.date(2004, 12, 1), "B", False)]),
    ("dengue", "登革热", "Dengue", [(dt.date(2004, 12, 1), "B", False)]),
    ("influenza", "流行性感冒", "Influenza", [(dt.date(2004, 12, 1), "C", False)]),
]


def install_diseases(disease_model, status_model) -> None:
    for code, zh, en, statuses in DISEASES:
        disease, _ = disease_model.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
        for since, legal_class, as_a in statuses:
            status_model.objects.get_or_create(disease=disease, effective_from=since, defaults={
                "legal_class": legal_class, "managed_as_class_a": as_a})
