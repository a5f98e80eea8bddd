"""The first version of each category's checklist (loaded by migration 0002; later versions are data).

Items common to every key place, then the category's own; ``critical`` items are those whose failure may
close the place temporarily. Texts follow the prevention-and-control guidelines' usual wording for key
places (扫码测温、健康码查验、通风消毒、从业人员核酸检测); they are the module's starting set, to be
replaced by the health commission's own lists as new versions."""

from __future__ import annotations

COMMON = [
    {"code": "G1", "zh": "入口设置场所码并落实扫码、测温、查验健康码", "en": "Venue code at the entrance; scanning, temperature checks and health-code checks done", "critical": True},
    {"code": "G2", "zh": "落实通风消毒并有记录", "en": "Ventilation and disinfection done and recorded", "critical": False},
    {"code": "G3", "zh": "从业人员按规定频次核酸检测", "en": "Staff tested by nucleic acid at the required frequency", "critical": True},
    {"code": "G4", "zh": "防控责任人、应急预案明确", "en": "Person in charge of prevention and emergency plan in place", "critical": False},
]
OWN = {
    "port": [{"code": "P1", "zh": "入境人员与货物闭环转运", "en": "Closed-loop transfer of inbound persons and goods", "critical": True}],
    "cold_chain": [{"code": "C1", "zh": "进口冷链食品核酸检测、消毒和追溯码齐全", "en": "Imported cold-chain food tested, disinfected and traceable", "critical": True}],
    "farmers_market": [{"code": "M1", "zh": "限流措施和一米线落实", "en": "Crowd limits and one-metre distance kept", "critical": False}],
    "supermarket": [{"code": "S1", "zh": "限流措施落实，收银区保持间距", "en": "Crowd limits kept, distance at the checkouts", "critical": False}],
    "school": [{"code": "E1", "zh": "师生晨午检和因病缺勤追踪落实", "en": "Morning and noon health checks, absences for illness followed up", "critical": True}],
    "elderly_care": [{"code": "A1", "zh": "封闭管理与探视登记落实", "en": "Closed management and visitor registration kept", "critical": True}],
    "medical": [{"code": "H1", "zh": "预检分诊和发热门诊闭环管理落实", "en": "Pre-examination triage and closed-loop fever clinic", "critical": True}],
    "quarantine_hotel": [{"code": "Q1", "zh": "三区两通道设置规范，人员单间隔离", "en": "Three zones and two passages; one person per room", "critical": True}],
    "construction": [{"code": "B1", "zh": "工人实名登记和宿舍管理落实", "en": "Workers registered by name; dormitories managed", "critical": False}],
    "public_transport": [{"code": "T1", "zh": "车厢通风消毒和乘客佩戴口罩落实", "en": "Vehicles ventilated and disinfected; passengers wear masks", "critical": False}],
}


def first_version_items(category: str) -> list[dict]:
    return [*COMMON, *OWN[category]]
