"""Supply-chain links (a link to itself refused by the schema, the service and the database) and who a
lockdown hits on a small graph with a cycle: the enterprises inside a district or at a closed place, their
first- and second-tier customers in the province, each once at its nearest tier, with their staff; then the
operating status per day and the resumption table per city and sector."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.inputs import validate_row
from fangkong.places.services import place_register
from fangkong.regions.models import Region

from ..inputs import LinkInput
from ..models import Enterprise, OperatingStatus, SupplyLink
from ..selectors import lockdown_hit, lockdown_hits, resumption_table
from ..services import enterprise_register, link_add, status_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph(province_commander, enterprise_data):
    """A (Futian) → B (Nanshan) → C (Guangzhou) → D (Foshan), C → A (a cycle), B → E (Futian), X (Nanshan) →
    A; Z (Futian) alone."""
    where = {"A": "440304", "B": "440305", "C": "440104", "D": "440604", "E": "440304", "X": "440305",
             "Z": "440304"}
    made = {name: enterprise_register(actor=province_commander, **enterprise_data(i, region=code, name=name,
                                                                              staff=10 * (i + 1)))
            for i, (name, code) in enumerate(where.items())}
    for supplier, customer in ("AB", "BC", "CD", "CA", "BE", "XA"):
        link_add(actor=province_commander, supplier=made[supplier].pk, customer=made[customer].pk, goods="零件")
    return made


def test_a_link_to_itself_is_refused_everywhere_and_a_link_twice_too(client, graph, province_commander):
    a = graph["A"]
    assert set(validate_row(LinkInput, {"supplier": a.pk, "customer": a.pk, "goods": "x"})[1]) == {"customer"}
    with pytest.raises(ValidationError):
        link_add(actor=province_commander, supplier=a.pk, customer=a.pk, goods="x")
    with pytest.raises(ValidationError):
        link_add(actor=province_commander, supplier=a.pk, customer=graph["B"].pk, goods="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplyLink.objects.create(supplier=a, customer=a, goods="x")
    client.force_login(province_commander)
    answer = client.post("/api/v1/enterprise-links/", {"supplier": a.pk, "customer": a.pk, "goods": "x"},
                         content_type="application/json")
    assert answer.status_code == 400 and set(answer.json()["error"]["fields"]) == {"customer"}
    assert SupplyLink.objects.count() == 6


def test_a_link_between_enterprises_outside_ones_regions_is_refused(graph, guangzhou_epi, shenzhen_epi):
    with pytest.raises(PermissionDenied):
        link_add(actor=guangzhou_epi, supplier=graph["A"].pk, customer=graph["E"].pk, goods="x")
    link_add(actor=shenzhen_epi, supplier=graph["A"].pk, customer=graph["C"].pk, goods="x")  # one end is its own


def test_a_district_lockdown_hits_inside_and_two_tiers_of_customers_each_once(graph):
    names = {e.pk: name for name, e in graph.items()}
    hits = {names[pk]: tier for pk, tier in lockdown_hits(region="440304").items()}
    # A, E, Z inside; B (A's customer) tier 1; C (B's) tier 2; D is a third tier; the cycle C → A changes nothing
    assert hits == {"A": 0, "E": 0, "Z": 0, "B": 1, "C": 2}
    assert {names[pk]: tier for pk, tier in lockdown_hits(region="440305").items()} == {
        "B": 0, "X": 0, "A": 1, "C": 1, "E": 1, "D": 2}


def test_the_customers_outside_the_province_are_not_listed(graph, province_commander, enterprise_data):
    hunan = enterprise_register(actor=province_commander, **enterprise_data(50, region="440304", name="H"))
    Region.objects.create(code="430102", level="county", name_zh="芙蓉区", name_en="Furong")  # 长沙: not Guangdong
    Enterprise.objects.filter(pk=hunan.pk).update(region_id="430102", county_id="430102")
    link_add(actor=province_commander, supplier=graph["A"].pk, customer=hunan.pk, goods="x")
    assert hunan.pk not in lockdown_hits(region="440304")


def test_a_closed_place_hits_its_operators_and_their_customers(graph, province_commander):
    place = place_register(actor=province_commander, category="cold_chain", name="福田冷库", address="路",
                           region="440304", responsible_unit="冷库公司", responsible_person="张")
    graph["A"].places.add(place)
    names = {e.pk: name for name, e in graph.items()}
    assert {names[pk]: tier for pk, tier in lockdown_hits(place=place.pk).items()} == {"A": 0, "B": 1, "C": 2,
                                                                                          "E": 2}


def test_the_reader_sees_its_own_regions_only(client, graph, shenzhen_epi, guangzhou_epi):
    hit = lockdown_hit(user=shenzhen_epi, region="440304")
    assert {e.name: e.tier for e in hit["enterprises"]} == {"A": 0, "E": 0, "Z": 0, "B": 1}  # C is Guangzhou's
    assert hit["summary"][0] == {"enterprises": 3, "staff": graph["A"].staff + graph["E"].staff + graph["Z"].staff}
    client.force_login(guangzhou_epi)
    assert client.get("/enterprises/lockdown/?region=440304").status_code == 404
    assert client.get("/api/v1/enterprise-lockdown/?region=440304").status_code == 404
    answer = client.get("/api/v1/enterprise-lockdown/?region=440104").json()
    assert [(e["name"], e["tier"]) for e in answer["enterprises"]] == [("C", 0)]  # D is Foshan's, A Shenzhen's
    client.force_login(shenzhen_epi)
    page = client.get("/enterprises/lockdown/?region=440304")
    assert page.status_code == 200 and "<td>A</td>" in page.content.decode()


def test_the_operating_status_of_a_day_and_the_resumption_table(client, graph, province_commander, shenzhen_epi):
    today = timezone.localdate()
    with pytest.raises(ValidationError):  # stopped: say why
        status_record(actor=shenzhen_epi, enterprise=graph["A"].pk, day=today, status="stopped")
    status_record(actor=shenzhen_epi, enterprise=graph["A"].pk, day=today, status="stopped", reason="封控区内")
    status_record(actor=shenzhen_epi, enterprise=graph["A"].pk, day=today, status="closed_loop", reason="闭环生产")
    status_record(actor=shenzhen_epi, enterprise=graph["E"].pk, day=today, status="operating")
    status_record(actor=province_commander, enterprise=graph["C"].pk, day=today - dt.timedelta(days=1),
                  status="partial", reason="缺工")
    assert OperatingStatus.objects.count() == 3
    with pytest.raises(PermissionDenied):
        status_record(actor=shenzhen_epi, enterprise=graph["C"].pk, day=today, status="operating")
    rows = {(row["city"], row["sector"]): row for row in resumption_table(user=shenzhen_epi, day=today)}
    assert list(rows) == [("深圳市", "electronics")]
    row = rows["深圳市", "electronics"]
    assert (row["total"], row.get("closed_loop"), row.get("operating"), row["unknown"]) == (5, 1, 1, 3)
    client.force_login(shenzhen_epi)
    assert client.get("/enterprises/resumption/").status_code == 200
