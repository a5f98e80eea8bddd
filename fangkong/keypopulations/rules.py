"""The testing rules for key populations (重点人群定期核酸检测), as dated data installed by a migration.

A rule says, for one population, from which day and where it holds, which test frequencies a group of that
population may be given (``allowed_days``: "at least once every N days", 1 = daily) and which one a new
group takes (``default_days``). National rules follow the protocol editions of ``fangkong.protocols``
(``edition``: the code of the ``ProtocolVersion`` they belong to); a local rule (``region``: a province or
city code) holds in that region's subtree. The rule in force for a group on a day is the latest one in
force there that day; between two rules equally recent, the local one (``selectors.rule_in_force``).

**Citations are summaries, not quotations.** Unlike ``fangkong.protocols.editions.CITATIONS`` (the
editions' own words, tested against the numbers), ``citation`` names the document and states the rule in
our words, with ``"quoted": False``: the frequencies are those widely applied in 2022 and must be checked
against the published clause before anyone relies on them. Changing a rule is a new dated row, never an
edit of the old one (decisions already made cite the row they used).
"""

from __future__ import annotations

import datetime as dt

#: The frequencies a rule can allow, in days between two tests at most.
LADDER = (1, 2, 3, 7)

EIGHTH = "《新型冠状病毒肺炎防控方案（第八版）》"
NINTH = "《新型冠状病毒肺炎防控方案（第九版）》"
SHENZHEN = "深圳市新冠肺炎疫情防控指挥部：重点人群核酸检测频次安排（2022年3月）"

RULES: list[dict] = [
    # 8th edition (in force 2021-05-11): the front line of imported risk daily or every two days, the others weekly.
    *({"code": f"8th-{population}", "edition": "8th", "region": "", "effective_from": dt.date(2021, 5, 11),
       "population": population, "allowed_days": allowed, "default_days": allowed[-1],
       "citation": {"document": EIGHTH, "issued_as": "联防联控机制综发〔2021〕51号", "quoted": False,
                    "summary": summary}}
      for population, allowed, summary in (
          ("port_frontline", [1, 2], "口岸一线人员定期核酸检测，隔天或每天一次。"),
          ("cross_border_driver", [1, 2], "跨境货车司机定期核酸检测，隔天或每天一次。"),
          ("cold_chain", [1, 2, 3, 7], "进口冷链食品从业人员定期核酸检测，至少每周一次。"),
          ("quarantine_hotel", [1, 2], "集中隔离场所工作人员定期核酸检测，隔天或每天一次。"),
          ("designated_hospital", [1, 2], "定点医疗机构工作人员定期核酸检测，隔天或每天一次。"),
          ("fever_clinic", [1, 2, 3, 7], "发热门诊医务人员定期核酸检测，至少每周一次。"),
          ("delivery", [1, 2, 3, 7], "快递外卖从业人员定期核酸检测，至少每周一次。"),
      )),
    # Shenzhen, March 2022 (the outbreak of spring 2022): stricter for cold chain, riders and quarantine hotels.
    *({"code": f"sz-2022-03-{population}", "edition": "8th", "region": "440300",
       "effective_from": dt.date(2022, 3, 14), "population": population, "allowed_days": allowed,
       "default_days": allowed[-1],
       "citation": {"document": SHENZHEN, "issued_as": "", "quoted": False, "summary": summary}}
      for population, allowed, summary in (
          ("port_frontline", [1], "口岸一线人员每天一检。"),
          ("cold_chain", [1, 2], "进口冷链从业人员两天一检。"),
          ("quarantine_hotel", [1], "集中隔离场所工作人员每天一检。"),
          ("delivery", [1, 2], "快递外卖人员两天一检。"),
      )),
    # 9th edition (in force 2022-06-27): high-risk posts daily.
    *({"code": f"9th-{population}", "edition": "9th", "region": "", "effective_from": dt.date(2022, 6, 27),
       "population": population, "allowed_days": allowed, "default_days": allowed[-1],
       "citation": {"document": NINTH, "issued_as": "联防联控机制综发〔2022〕71号", "quoted": False,
                    "summary": summary}}
      for population, allowed, summary in (
          ("port_frontline", [1], "高风险岗位从业人员（口岸一线）每天一次核酸检测。"),
          ("cross_border_driver", [1, 2], "跨境货车司机隔天或每天一次核酸检测。"),
          ("cold_chain", [1, 2], "进口冷链食品从业人员隔天或每天一次核酸检测。"),
          ("quarantine_hotel", [1], "高风险岗位从业人员（集中隔离场所）每天一次核酸检测。"),
          ("designated_hospital", [1], "高风险岗位从业人员（定点医疗机构）每天一次核酸检测。"),
          ("fever_clinic", [1, 2], "发热门诊医务人员隔天或每天一次核酸检测。"),
          ("delivery", [1, 2, 3, 7], "快递外卖从业人员至少每周一次核酸检测。"),
      )),
]


def install_rules(rule_model, protocol_model) -> int:
    """Create the rules missing from ``rule_model``'s table (idempotent); return how many were created."""
    editions = {p.code: p for p in protocol_model.objects.all()}
    created = 0
    for rule in RULES:
        fields = {key: value for key, value in rule.items() if key not in ("code", "edition")}
        _obj, was_created = rule_model.objects.get_or_create(
            code=rule["code"], defaults={**fields, "edition": editions.get(rule["edition"])})
        created += was_created
    return created
