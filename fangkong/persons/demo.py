"""The demo's persons: one registry record for every case of the demo outbreak scenario.

The simulator (``fangkong.epi.simulate``) says who fell ill and where; this module gives each case a
synthetic identity — a name, a sex, a birth date, a valid citizen ID issued in the case's county and a
mobile number — drawn from a seeded generator, so the demo is the same on every machine. None of these
people exist.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from fangkong.persons.citizen_id import check_character
from fangkong.persons.services import persons_import

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯婷雪琳晨欣怡子轩梓涵一诺佳豪俊杰嘉欣思远家乐志强海燕晓东丹丹"
MOBILE_PREFIXES = (134, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159, 182, 183, 187, 188, 130, 131,
                   132, 155, 156, 185, 186, 133, 153, 180, 181, 189)


def synthetic_identities(regions: list[str], seed: int, as_of: dt.date) -> list[dict]:
    """One synthetic identity per entry of ``regions`` (the county or township code of residence)."""
    rng = np.random.default_rng(seed)
    n = len(regions)
    ages = np.clip(rng.gamma(shape=4.0, scale=10.0, size=n), 0, 95).astype(int)
    offsets = rng.integers(0, 365, size=n)
    male = rng.random(n) < 0.51
    surnames = rng.integers(0, len(SURNAMES), size=n)
    given = rng.integers(0, len(GIVEN), size=(n, 2))
    two_char_given = rng.random(n) < 0.6
    prefixes = rng.integers(0, len(MOBILE_PREFIXES), size=n)
    subscribers = rng.integers(0, 10**8, size=n)
    has_phone = rng.random(n) < 0.95
    people = []
    for i, region in enumerate(regions):
        born = as_of - dt.timedelta(days=int(ages[i]) * 365 + int(offsets[i]))
        sequence = (2 * i + (1 if male[i] else 0)) % 1000
        first17 = f"{region[:6]}{born:%Y%m%d}{sequence:03d}"
        name = SURNAMES[surnames[i]] + GIVEN[given[i, 0]] + (GIVEN[given[i, 1]] if two_char_given[i] else "")
        people.append({
            "name": name,
            "sex": "M" if male[i] else "F",
            "birth_date": born,
            "citizen_id": first17 + check_character(first17),
            "phone": f"{MOBILE_PREFIXES[prefixes[i]]}{subscribers[i]:08d}" if has_phone[i] else "",
            "address_region": region,
        })
    return people


def load_case_persons(scenario, tree, actor) -> str:
    """Register a synthetic person for every case of the scenario, in the case's region of residence."""
    regions = [str(tree.codes[r]) for r in scenario.cases.region]
    as_of = scenario.dates[-1] if len(scenario.dates) else dt.date.today()
    people = synthetic_identities(regions, seed=20220317, as_of=as_of)
    result = persons_import(actor=actor, rows=people, source="demo scenario")
    return f"demo persons: {result.created} registered, {result.existing} already there"


def demo_load(actor) -> str:
    """This module's demo loader (declared on its ``AppConfig``): its part of the demo scenario."""
    from fangkong.demo import demo_scenario

    scenario, tree = demo_scenario()
    return load_case_persons(scenario, tree, actor)
