"""The demo part of the laboratory module (its ``demo_loader``): a laboratory in Shenzhen (the demo user
``lab_gd`` on its staff), a mass-screening round of Futian in 10-in-1 pools, one positive pool whose members
were re-sampled singly — one positive, registered as a case — and one inconclusive pool resolved negative; and
one imported cold-chain lot traced from the Futian port through a cold store and a distributor to a Futian and
a Luohu farmers' market, whose outer packaging tested positive at the market: the investigation it opened
lists the cold store's workers (the key-populations demo's roster) and the market's visitors while the lot was
there (the places demo's scans)."""

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
    goods_lot_create,
    laboratory_create,
    lot_stop_add,
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
    lot = _cold_chain_lot(actor, tester, lab, now)
    return (f"demo laboratory: round {screening.name}, 2 pools resolved, case {case.case_no if case else '—'}"
            f"{f', lot {lot} traced to two markets' if lot else ''}")


def _cold_chain_lot(actor, tester, lab, now) -> str:
    """The demo's positive cold-chain lot: port → cold store (its enterprise when the enterprises demo has it)
    → a Luohu distributor's warehouse → the Futian and the Luohu farmers' markets (the places demo's); sampled
    at the Futian market while the demo's visitors were there. Nothing when the places demo is not loaded."""
    from fangkong.places.models import Place, Scan

    def place(county, category):
        return Place.objects.filter(region__code=county, category=category).order_by("pk").first()

    port, store = place("440304", "port"), place("440304", "cold_chain")
    warehouse, market_ft, market_lh = place("440303", "cold_chain"), place("440304", "farmers_market"), \
        place("440303", "farmers_market")
    if None in (port, store, warehouse, market_ft, market_lh):
        return ""
    from fangkong.enterprises.models import Enterprise

    cold = Enterprise.objects.filter(places=store).order_by("pk").first()
    # the path is recorded by the province's epidemiologist (the demo's provincial commander may not record it)
    actor = get_user_model().objects.filter(username="province_epi").first() or actor
    seen = Scan.objects.filter(place=market_ft).order_by("scanned_at").values_list("scanned_at", flat=True).first()
    at_market = (seen - dt.timedelta(hours=3)) if seen else now - dt.timedelta(days=3)
    arrived = at_market - dt.timedelta(days=4)
    lot = goods_lot_create(actor=tester, region="440304", lot_no="SZ-CC-2022-0317", description="冷冻带骨牛肉",
                           origin_country="巴西", port=port.name, container_no="MSKU7312046", warehouse=store.name,
                           owner_name=cold.name if cold else "福田区冷链物流有限公司",
                           owner_credit_code=cold.credit_code if cold else "91440304MA5DEM0013")
    first = lot_stop_add(actor=actor, lot=lot, kind="port", place=port.pk, arrived_at=arrived,
                         left_at=arrived + dt.timedelta(hours=10))
    cold_store = lot_stop_add(actor=actor, lot=lot, kind="cold_store", place=store.pk,
                              enterprise=cold.pk if cold else None, upstream=first.pk,
                              arrived_at=arrived + dt.timedelta(hours=12), left_at=arrived + dt.timedelta(days=2))
    distributor = lot_stop_add(actor=actor, lot=lot, kind="distributor", place=warehouse.pk, upstream=cold_store.pk,
                               arrived_at=arrived + dt.timedelta(days=2, hours=3),
                               left_at=at_market - dt.timedelta(hours=2))
    for market in (market_ft, market_lh):
        lot_stop_add(actor=actor, lot=lot, kind="market", place=market.pk, upstream=distributor.pk,
                     arrived_at=at_market, left_at=at_market + dt.timedelta(days=1))
    sampled = at_market + dt.timedelta(hours=20)
    specimen = specimen_record(actor=tester, laboratory=lab, code="SZ-CC-0317-W01", subject="goods",
                               kind="packaging", sampled_at=sampled, sampling_point=f"{market_ft.name}冻品区",
                               sampler="采样员丙", goods_lot=lot)
    resulted = min(sampled + dt.timedelta(hours=7), now)
    result_record(actor=tester, laboratory=lab, code=specimen.code, outcome="positive",
                  ct_values={"ORF1ab": 34.2, "N": 33.5}, received_at=sampled + dt.timedelta(hours=2),
                  resulted_at=resulted, now=resulted)  # the investigation opens when the result came
    return lot.lot_no
