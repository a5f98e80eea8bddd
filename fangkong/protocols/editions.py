"""The three protocol editions of DESIGN.md §8, as the data migrations install them, with their own words.

``CITATIONS`` quotes, for every rule a period or a test day comes from, the edition's text (or the official
list of revisions that names the earlier rule it replaced), so that a test can read the numbers back out of
the quotation and compare them with the table (``fangkong/protocols/tests/test_citations.py``). Rules:
``close`` (close contacts: centralised + home days), ``close_tests``, ``secondary`` (contacts of close
contacts), ``secondary_tests``, ``inbound`` (inbound travellers) and ``counted_from`` (from which day).
"""

from __future__ import annotations

import datetime as dt

EDITIONS: list[dict] = [
    {
        "code": "8th", "name_zh": "新型冠状病毒肺炎防控方案（第八版）",
        "name_en": "COVID-19 prevention and control protocol, 8th edition",
        "effective_from": dt.date(2021, 5, 11),
        "close_contact_centralised_days": 14, "close_contact_home_days": 7,
        "close_contact_test_days": [1, 4, 7, 14], "close_contact_home_test_days": [2, 7],
        "secondary_contacts_traced": True, "secondary_contact_days": 7, "secondary_contact_centralised": True,
        "secondary_contact_test_days": [1, 4, 7],
        "inbound_centralised_days": 14, "inbound_home_days": 7,
        "risk_levels": ["high", "medium", "low"], "risk_area_lift_days": 14, "risk_area_lift_needs_screen": False,
        "lookback_days": 2, "lookback_from_last_negative": False,
    },
    {
        "code": "9th", "name_zh": "新型冠状病毒肺炎防控方案（第九版）",
        "name_en": "COVID-19 prevention and control protocol, 9th edition",
        "effective_from": dt.date(2022, 6, 27),
        "close_contact_centralised_days": 7, "close_contact_home_days": 3,
        "close_contact_test_days": [1, 2, 3, 5, 7], "close_contact_home_test_days": [3],
        "secondary_contacts_traced": True, "secondary_contact_days": 7, "secondary_contact_centralised": False,
        "secondary_contact_test_days": [1, 4, 7],
        "inbound_centralised_days": 7, "inbound_home_days": 3,
        "risk_levels": ["high", "medium", "low"], "risk_area_lift_days": 7, "risk_area_lift_needs_screen": True,
        "lookback_days": 2, "lookback_from_last_negative": True,
    },
    {
        "code": "nov-2022", "name_zh": "进一步优化防控工作的二十条措施",
        "name_en": "Twenty measures to further optimise prevention and control (Nov 2022)",
        "effective_from": dt.date(2022, 11, 11),
        "close_contact_centralised_days": 5, "close_contact_home_days": 3,
        "close_contact_test_days": [1, 2, 3, 5], "close_contact_home_test_days": [1, 3],
        "secondary_contacts_traced": False, "secondary_contact_days": 0, "secondary_contact_centralised": False,
        "secondary_contact_test_days": [],
        "inbound_centralised_days": 5, "inbound_home_days": 3,
        "risk_levels": ["high", "low"], "risk_area_lift_days": 5, "risk_area_lift_needs_screen": False,
        "lookback_days": 2, "lookback_from_last_negative": True,
    },
]


#: The official list of revisions published with the 9th edition (国务院联防联控机制综合组, 28 June 2022);
#: it states the 8th edition's rules in the words of the 8th edition as it replaces them.
REVISIONS_9TH = "《新型冠状病毒肺炎防控方案（第九版）》与第八版相比主要修订内容（国务院联防联控机制综合组，2022年6月28日）"
NINTH_CONTACTS = "《新型冠状病毒肺炎防控方案（第九版）》附件《密切接触者及其他风险人员判定与管理》"
TWENTY_MEASURES = "《关于进一步优化新冠肺炎疫情防控措施 科学精准做好防控工作的通知》"

CITATIONS: dict[str, dict] = {
    "8th": {
        "document": "《新型冠状病毒肺炎防控方案（第八版）》", "issued_as": "联防联控机制综发〔2021〕51号",
        "issued_on": "2021-05-11",
        "clauses": [
            {"rule": "counted_from", "source": "《新型冠状病毒肺炎防控方案（第八版）》",
             "text": "医学观察期限为自最后一次与病例、无症状感染者发生无有效防护的接触后14天"},
            {"rule": "close", "source": REVISIONS_9TH,
             "text": "将密切接触者、入境人员隔离管控时间从“14天集中隔离医学观察+7天居家健康监测”调整为……"},
            {"rule": "close_tests", "source": REVISIONS_9TH,
             "text": "核酸检测措施从“集中隔离医学观察第1、4、7、14天核酸检测，采集鼻咽拭子，解除隔离前双采双检”调整为……"},
            {"rule": "secondary", "source": REVISIONS_9TH,
             "text": "密接的密接管控措施从“7天集中隔离医学观察”调整为……"},
            {"rule": "inbound", "source": REVISIONS_9TH,
             "text": "将密切接触者、入境人员隔离管控时间从“14天集中隔离医学观察+7天居家健康监测”调整为……"},
        ],
    },
    "9th": {
        "document": "《新型冠状病毒肺炎防控方案（第九版）》", "issued_as": "联防联控机制综发〔2022〕71号",
        "issued_on": "2022-06-27",
        "clauses": [
            {"rule": "counted_from", "source": NINTH_CONTACTS,
             "text": "隔离管理期限自末次暴露后算起，解除集中隔离后应“点对点”闭环返回至居住地。"},
            {"rule": "close", "source": NINTH_CONTACTS,
             "text": "密切接触者采取“7天集中隔离医学观察+3天居家健康监测”管理措施"},
            {"rule": "close_tests", "source": NINTH_CONTACTS,
             "text": "集中隔离医学观察的第1、2、3、5、7天各开展一次核酸检测，居家健康监测第3天开展一次核酸检测。"},
            {"rule": "secondary", "source": NINTH_CONTACTS,
             "text": "密接的密接采取7天居家隔离医学观察"},
            {"rule": "secondary_tests", "source": NINTH_CONTACTS,
             "text": "密接的密接采取7天居家隔离医学观察，每日应做好体温和症状监测，在第1、4、7天各开展一次核酸检测。"},
            {"rule": "inbound", "source": REVISIONS_9TH,
             "text": "将密切接触者、入境人员隔离管控时间从……调整为“7天集中隔离医学观察+3天居家健康监测”"},
        ],
    },
    "nov-2022": {
        "document": TWENTY_MEASURES, "issued_as": "联防联控机制综发〔2022〕101号", "issued_on": "2022-11-11",
        "clauses": [
            {"rule": "close", "source": TWENTY_MEASURES,
             "text": "对密切接触者，将……管理措施调整为“5天集中隔离+3天居家隔离”，期间赋码管理、不得外出。"},
            {"rule": "close_tests", "source": TWENTY_MEASURES,
             "text": "集中隔离医学观察的第1、2、3、5天各开展1次核酸检测，居家隔离医学观察第1、3天各开展1次核酸检测。"},
            {"rule": "secondary", "source": TWENTY_MEASURES,
             "text": "及时准确判定密切接触者，不再判定密接的密接。"},
            {"rule": "inbound", "source": TWENTY_MEASURES,
             "text": "对入境人员，将……调整为“5天集中隔离+3天居家隔离”，期间赋码管理、不得外出。"},
        ],
        # The notice changes the lengths only: periods are still counted as the 9th edition counts them.
        "counted_as": "9th",
    },
}


def install_editions(model) -> int:
    """Create the editions missing from ``model``'s table (idempotent); return how many were created."""
    created = 0
    for edition in EDITIONS:
        _obj, was_created = model.objects.get_or_create(code=edition["code"], defaults=edition)
        created += was_created
    return created


def install_citations(model) -> int:
    """Write ``CITATIONS`` onto the installed editions of ``model``; return how many rows were written."""
    return sum(model.objects.filter(code=code).update(citations=citation) for code, citation in CITATIONS.items())
