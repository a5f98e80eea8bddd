"""Shenzhen's laboratory records for the platform's scope test (``scope_records`` of the module)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.persons.services import person_register

from ..services import (
    goods_lot_create,
    laboratory_create,
    pool_record,
    result_record,
    round_create,
    specimen_record,
)


def other_city_records(actor) -> dict[str, list[str]]:
    from fangkong.persons.citizen_id import check_character

    lab = laboratory_create(actor=actor, name="福田测试实验室", region="440300", daily_capacity=1000)
    screening = round_create(actor=actor, county="440304", name="福田测试轮次", starts_on=timezone.localdate(),
                             population=1000, expected_prevalence=0.001, pool_sizes=[5, 10])
    first17 = "44030419850505123"
    number = first17 + check_character(first17)
    person_register(actor=actor, name="福田受检者", citizen_id=number, phone="13800138021", address_region="440304")
    sampled = timezone.now() - dt.timedelta(hours=6)
    pool = pool_record(actor=actor, round=screening, laboratory=lab, code="SCOPE-P1", size=5, sampled_at=sampled,
                       sampling_point="福田采样点", sampler="采样员", citizen_ids=[number])
    result_record(actor=actor, laboratory=lab, code=pool.code, outcome="positive", ct_values={"N": 30},
                  received_at=sampled + dt.timedelta(hours=1), resulted_at=sampled + dt.timedelta(hours=2))
    specimen = specimen_record(actor=actor, laboratory=lab, code="SCOPE-S1", subject="person", kind="throat",
                               sampled_at=sampled + dt.timedelta(hours=3), sampling_point="福田单采点", sampler="采样员",
                               pool_member=pool.members.get())
    lot = goods_lot_create(actor=actor, region="440304", lot_no="SCOPE-L1", description="冷冻虾", origin_country="厄瓜多尔",
                           port="福田口岸", owner_name="福田范围测试冷链公司", owner_credit_code="91440300MA5ELN9E26")
    goods = specimen_record(actor=actor, laboratory=lab, code="SCOPE-G1", subject="goods", kind="packaging",
                            sampled_at=sampled, sampling_point="福田冷库", sampler="采样员", goods_lot=lot)
    result_record(actor=actor, laboratory=lab, code=goods.code, outcome="positive", ct_values={"N": 33},
                  received_at=sampled + dt.timedelta(hours=1), resulted_at=sampled + dt.timedelta(hours=2))
    investigation = goods.investigation
    return {"laboratory_id": [str(lab.pk)], "round_id": [str(screening.pk)], "pool_id": [str(pool.pk)],
            "specimen_id": [str(specimen.pk)], "lot_id": [str(lot.pk)], "investigation_id": [str(investigation.pk)],
            "pk": [str(lab.pk), str(screening.pk), str(pool.pk), str(specimen.pk), str(lot.pk),
                   str(investigation.pk)]}
