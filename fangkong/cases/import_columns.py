"""The columns of the case and contact imports as people fill them in: Chinese headers and values.

A file may head its columns with the codes (``case_no``, ``classification`` …) or with the Chinese names of
the template (病例编号, 病例分类 …), and write coded values either as codes (``confirmed``) or as their
Chinese (确诊病例) or English labels; ``canonical_rows`` and ``coded`` turn both into the codes the import
checks. The template (``template_csv``) has the Chinese headers and one example row, which the import
refuses by its number (``EXAMPLE_PREFIX``) so that it is never imported by mistake.
"""

from __future__ import annotations

from functools import cache

from django.utils import translation

from fangkong.cases.models import (
    Classification,
    ContactCategory,
    DetectionRoute,
    ExposureType,
    Outcome,
    Severity,
)

HEADERS_ZH: dict[str, str] = {
    "case_no": "病例编号", "contact_no": "密接编号", "name": "姓名", "citizen_id": "身份证号", "phone": "手机号码",
    "sex": "性别", "birth_date": "出生日期", "address_region": "现住址地区编码", "disease": "疾病",
    "classification": "病例分类", "onset_date": "发病日期", "sampling_date": "采样日期", "diagnosed_at": "诊断时间",
    "reported_at": "报告时间", "detection_route": "发现途径", "imported": "是否境外输入", "origin": "输入来源地",
    "severity": "临床严重程度", "outcome": "转归", "report_region": "报告地区编码", "infector_case_no": "传染源病例编号",
    "first_visit_at": "首次就诊时间", "isolated_at": "隔离时间", "treatment_at": "收治时间",
    "category": "密接类别", "source_case_no": "源病例编号", "region": "管理地区编码", "exposure_type": "暴露方式",
    "exposure_start": "暴露开始日期", "exposure_end": "末次暴露日期", "listed_at": "判定时间",
    "quarantined_at": "隔离管控时间", "quarantine_place": "隔离地点",
}
CODE_OF_HEADER = {zh: code for code, zh in HEADERS_ZH.items()}
EXAMPLE_PREFIX = "示例"

CHOICES = {"classification": Classification, "detection_route": DetectionRoute, "severity": Severity,
           "outcome": Outcome, "category": ContactCategory, "exposure_type": ExposureType}
# Official terms the labels do not spell the same way.
EXTRA_VALUES = {
    "classification": {"确诊": "confirmed", "疑似": "suspected", "无症状": "asymptomatic", "排除病例": "excluded",
                       "排除": "excluded"},
    "category": {"密接": "close", "次密接": "secondary", "密切接触者的密切接触者": "secondary"},
    "sex": {"男": "M", "女": "F", "未知": "U", "不详": "U", "男性": "M", "女性": "F"},
    # the names COVID-19 had in 2020-2022 (the disease table holds today's, 新型冠状病毒感染)
    "disease": {"新型冠状病毒肺炎": "covid-19", "新冠肺炎": "covid-19", "新冠病毒感染": "covid-19"},
    "imported": {"是": "true", "否": "false"},
}

EXAMPLES = {
    "cases": {"case_no": "示例-请删除此行", "name": "张三", "citizen_id": "440304199001011234", "phone": "13800138000",
              "sex": "男", "birth_date": "1990-01-01", "address_region": "440304", "disease": "新型冠状病毒肺炎",
              "classification": "确诊病例", "onset_date": "2022-03-14", "sampling_date": "2022-03-15",
              "diagnosed_at": "2022-03-15 20:00", "reported_at": "2022-03-15 21:00", "detection_route": "发热门诊",
              "imported": "否", "origin": "", "severity": "轻型", "outcome": "治疗中", "report_region": "440304",
              "infector_case_no": "", "first_visit_at": "2022-03-15 09:30", "isolated_at": "2022-03-15 22:00",
              "treatment_at": "2022-03-16 08:00"},
    "contacts": {"contact_no": "示例-请删除此行", "name": "李四", "citizen_id": "440304198505052345",
                 "phone": "", "sex": "女", "birth_date": "1985-05-05", "address_region": "440304",
                 "category": "密切接触者", "source_case_no": "440304-2022-00001", "region": "440304",
                 "exposure_type": "家庭", "exposure_start": "2022-03-12", "exposure_end": "2022-03-14",
                 "listed_at": "2022-03-16 10:00", "quarantined_at": "2022-03-16 18:00",
                 "quarantine_place": "集中隔离点1号"},
}


@cache
def _aliases(column: str) -> dict[str, str]:
    """Label (Chinese, English, code) → code, for one coded column."""
    table: dict[str, str] = {}
    choices = CHOICES.get(column)
    if choices is not None:
        for language in ("en", "zh-hans"):
            with translation.override(language):
                table.update({str(label): value for value, label in choices.choices})
        table.update({value: value for value in choices.values})
    table.update(EXTRA_VALUES.get(column, {}))
    return table


def coded(column: str, value: str) -> str:
    """The code of ``value`` in a coded column (unchanged when it is a code already or unknown)."""
    if column not in CHOICES and column not in EXTRA_VALUES:
        return value
    return _aliases(column).get(value, _aliases(column).get(value.lower(), value))


def accepted_values(column: str) -> str:
    """The codes and their Chinese labels, for an error message: ``confirmed（确诊病例）、…``."""
    with translation.override("zh-hans"):
        return "、".join(f"{value}（{label}）" for value, label in CHOICES[column].choices)


def canonical_rows(rows: list) -> list:
    """The rows with the template's Chinese headers readable by their codes (in place: a table's rows share
    one header, a list of dicts gets the code keys added)."""
    if not rows:
        return rows
    first = rows[0]
    named = {CODE_OF_HEADER[key]: key for key in first if key in CODE_OF_HEADER and CODE_OF_HEADER[key] not in first}
    if not named:
        return rows
    index = getattr(type(first), "index", None)
    if index is not None and not isinstance(first, dict):  # fangkong.table_files.Row: one header per table
        type(first).index = {**index, **{code: index[zh] for code, zh in named.items()}}
        return rows
    for row in rows:
        for code, zh in named.items():
            row[code] = row.get(zh, "")
    return rows


def template_csv(kind: str, columns: list[str]) -> bytes:
    """The template: the Chinese headers and one example row (refused if imported as it is)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([HEADERS_ZH[c] for c in columns])
    writer.writerow([EXAMPLES[kind].get(c, "") for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
