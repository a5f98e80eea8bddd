"""The demo part of the laboratory module (its ``demo_loader``): a laboratory in Shenzhen (the demo user
``lab_gd`` on its staff), a mass-screening round of Futian in 10-in-1 pools, one positive pool whose members
were re-sampled singly — one positive, registered as a case — and one inconclusive pool resolved negative."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from fangkong.demo import scenario_last_day
from fangkong.persons.models import Person
from fangkong.persons.services import person_register

from .models import Laboratory, ScreeningRound
from .services import (
    case_from_result,
    laboratory_create,
    pool_record,
    result_record,
    round_create,
    specimen_record,
)

COUNTY = "440304"  # Futian
NAMES = "赵一 钱二 孙三 李四 周五 吴六 郑七 王八 冯九 陈十 褚一 卫二 蒋三 沈四 韩五 杨六 朱七 秦八 尤九 许十".split()


def _citizen_id(n: int) -> str:
    from fangkong.persons.citizen_id import check_character

    first17 = f"44030419900101{n:03d}"
    return first17 + check_character(first17)


def demo_load(actor) -> str:
    if ScreeningRound.objects.filter(name="福田区第一轮全员核酸（演示）").exists():
        return f"demo laboratory: {ScreeningRound.objects.count()} rounds"
    # The round runs on the scenario's last day (the latest report date of the demo's cases), as the other
    # modules' demos do: dated by the real clock, its case would make today the last day with data in Shenzhen,
    # and every page would open on a day without the demo's epidemic.
    last = scenario_last_day() or timezone.localdate()
    now = min(timezone.now(), dt.datetime.combine(last, dt.time(22), tzinfo=timezone.get_current_timezone()))
    lab_user = get_user_model().objects.filter(username="lab_gd").first()
    lab = Laboratory.objects.filter(name="深圳市核酸检测基地（演示）").first() or laboratory_create(
        actor=actor, name="深圳市核酸检测基地（演示）", region="440300", daily_capacity=200_000,
        tests="新冠病毒核酸（ORF1ab、N）", staff=[lab_user] if lab_user else [])
    screening = round_create(actor=actor, county=COUNTY, name="福田区第一轮全员核酸（演示）",
                             starts_on=timezone.localtime(now).date() - dt.timedelta(days=1), population=1_553_225,
                             expected_prevalence=0.0005, pool_sizes=[10, 20])
    ids = [_citizen_id(n) for n in range(1, 21)]
    for number, name in zip(ids, NAMES, strict=True):
        if not Person.objects.filter(name=name, address_region_id=COUNTY).exists():
            person_register(actor=actor, name=name, citizen_id=number, address_region=COUNTY)
    sampled = now - dt.timedelta(hours=30)
    received = sampled + dt.timedelta(hours=2)
    tester = lab_user or actor  # the laboratory's own staff records its pools and results
    positive = pool_record(actor=tester, round=screening, laboratory=lab, code="FT-0001", size=10,
                           sampled_at=sampled, sampling_point="福田区莲花街道核酸采样点", sampler="采样员甲",
                           citizen_ids=ids[:10])
    unclear = pool_record(actor=tester, round=screening, laboratory=lab, code="FT-0002", size=10,
                          sampled_at=sampled, sampling_point="福田区莲花街道核酸采样点", sampler="采样员甲",
                          citizen_ids=ids[10:])
    result_record(actor=tester, laboratory=lab, code=positive.code, outcome="positive",
                  ct_values={"ORF1ab": 31.5, "N": 30.2}, received_at=received, resulted_at=received + dt.timedelta(hours=5))
    result_record(actor=tester, laboratory=lab, code=unclear.code, outcome="inconclusive",
                  ct_values={"ORF1ab": 38.9}, received_at=received, resulted_at=received + dt.timedelta(hours=5))
    single_at = received + dt.timedelta(hours=8)
    case = None
    for pool in (positive, unclear):
        for i, member in enumerate(pool.members.order_by("id")):
            specimen = specimen_record(actor=tester, laboratory=lab, code=f"{pool.code}-S{i + 1:02d}", subject="person",
                                       kind="throat", sampled_at=single_at, sampling_point="福田区单采点",
                                       sampler="采样员乙", pool_member=member)
            hit = pool is positive and i == 3
            result_record(actor=tester, laboratory=lab, code=specimen.code, outcome="positive" if hit else "negative",
                          ct_values={"ORF1ab": 27.1, "N": 26.4} if hit else {},
                          received_at=single_at + dt.timedelta(hours=1), resulted_at=single_at + dt.timedelta(hours=4))
            if hit:
                case = case_from_result(actor=actor, specimen=specimen, classification="confirmed",
                                        reported_at=single_at + dt.timedelta(hours=5))
    return f"demo laboratory: round {screening.name}, 2 pools resolved, case {case.case_no if case else '—'}"
