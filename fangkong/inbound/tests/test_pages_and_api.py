"""The inbound pages and API: the port officer's screen, the manifest import (CSV and XLSX, one schema with the
API), the receiver's one-click acknowledgement, the break list; denied paths (another region, a role
without the capability or the need to know) refused with nothing changed."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from .. import selectors
from ..models import Handoff, LoopBreak, Status, Traveller
from ..services import breaks_sweep, handoff_send, travellers_arrive
from .test_loop import arrived_and_sent, imported, row

pytestmark = pytest.mark.django_db
HEADER = "姓名,证件类型,证件号码,目的地,性别\n"


def manifest_post(client, content: bytes, name="manifest.csv", **fields):
    data = {"port": "huanggang", "carrier": "vehicle", "carrier_no": "粤Z7777港",
            "arrival_date": timezone.localdate().isoformat(), **fields,
            "file": SimpleUploadedFile(name, content)}
    return client.post("/inbound/manifests/import/", data)


def test_the_port_officer_sees_the_travellers_of_the_port_and_another_city_does_not(client, users):
    imported(users["futian"], [row()])
    client.force_login(users["futian"])
    page = client.get("/inbound/ports/huanggang/")
    assert page.status_code == 200 and "旅客甲" in page.content.decode() and "E********" in page.content.decode()
    client.force_login(users["guangzhou"])
    assert client.get("/inbound/ports/huanggang/").status_code == 404
    assert "旅客甲" not in client.get("/inbound/").content.decode()


def test_the_arrival_screen_opens_on_a_port_with_travellers(client, users):
    """Not on the first port of the list (罗湖 has none here), but on the one with travellers to receive."""
    client.force_login(users["futian"])
    empty = client.get("/inbound/").content.decode()
    imported(users["futian"], [row()])
    page = client.get("/inbound/").content.decode()
    assert "旅客甲" in page and "旅客甲" not in empty
    assert re.search(r'<option value="huanggang"[^>]*selected', page)


def test_a_manifest_file_is_imported_once_and_a_bad_one_not_at_all(client, users):
    client.force_login(users["futian"])
    content = (HEADER + "旅客甲,passport,E11223344,441900,M\n旅客乙,citizen_id,440304199001011233,440304,\n").encode()
    assert manifest_post(client, content).status_code == 302
    assert manifest_post(client, content).status_code == 302  # the same manifest again
    assert Traveller.objects.count() == 2
    bad = (HEADER + "旅客丙,passport,E55555555,441900,M\n旅客丁,passport,E55555555,441900,F\n"
           "旅客戊,passport,E6,4419,F\n").encode()
    response = manifest_post(client, bad, carrier_no="粤Z8888港")
    text = response.content.decode()
    assert response.status_code == 400 and "id_number" in text and "destination" in text
    assert Traveller.objects.count() == 2
    future = manifest_post(client, content, carrier_no="粤Z9999港",
                           arrival_date=(timezone.localdate() + dt.timedelta(days=1)).isoformat())
    assert future.status_code == 400 and Traveller.objects.count() == 2


def test_an_xlsx_manifest_is_read_like_a_csv_one(client, users):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "证件类型", "证件号码", "目的地"])
    sheet.append(["旅客甲", "passport", "E11223344", "441900"])
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(users["futian"])
    assert manifest_post(client, buffer.getvalue(), name="manifest.xlsx").status_code == 302
    assert list(Traveller.objects.values_list("name", "destination_id")) == [("旅客甲", "441900")]


def test_the_api_takes_the_same_rows_and_refuses_the_same_bad_input(client, users):
    client.force_login(users["futian"])
    body = {"port": "huanggang", "carrier": "vehicle", "carrier_no": "粤Z0001港",
            "arrival_date": timezone.localdate().isoformat(),
            "travellers": [{"name": "旅客甲", "id_kind": "passport", "id_number": "E11223344", "destination": "441900"}]}
    url = "/api/v1/inbound-manifests/"
    assert client.post(url, body, content_type="application/json").status_code == 201
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 200 and again.json()["created"] == 0
    future = client.post(url, {**body, "arrival_date": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
                         content_type="application/json")
    assert future.status_code == 400 and "arrival_date" in future.json()["error"]["fields"]
    unknown = client.post(url, {**body, "port": "no-such-port"}, content_type="application/json")
    assert unknown.status_code == 400 and "port" in unknown.json()["error"]["fields"]
    assert Traveller.objects.count() == 1


def test_the_receiver_acknowledges_with_one_click_and_nobody_else_can(client, users):
    traveller, handoff = arrived_and_sent(users)
    client.force_login(users["futian"])  # the sender
    assert client.post("/inbound/inbox/answer/", {"handoffs": [handoff.pk], "accept": "true"}).status_code == 403
    assert client.post("/api/v1/inbound-handoffs/answer/", {"handoffs": [handoff.pk], "accept": True},
                       content_type="application/json").status_code == 403
    client.force_login(users["guangzhou"])  # a third city cannot even name it
    assert client.post("/inbound/inbox/answer/", {"handoffs": [handoff.pk], "accept": "true"}).status_code == 404
    assert Handoff.objects.get().state == Handoff.State.PENDING
    client.force_login(users["nanshan"])
    inbox = client.get("/inbound/inbox/").content.decode()
    assert "旅客甲" in inbox and f'data-handoff="{handoff.pk}"' in inbox
    assert client.post("/inbound/inbox/answer/", {"handoffs": [handoff.pk], "accept": "true"}).status_code == 302
    traveller.refresh_from_db()
    assert (traveller.status, traveller.holder_id) == (Status.HANDED_OVER, "440305")
    client.force_login(users["futian"])
    assert 'data-acknowledged="1"' in client.get(f"/inbound/batches/{handoff.batch_id}/").content.decode()


def test_the_break_list_shows_both_sides_and_a_break_is_closed_with_what_was_done(client, users):
    arrived_and_sent(users)
    breaks_sweep(now=timezone.now() + dt.timedelta(hours=2))
    found = LoopBreak.objects.get()
    for who in ("futian", "nanshan"):
        client.force_login(users[who])
        assert f'data-break="{found.pk}"' in client.get("/inbound/breaks/").content.decode()
    client.force_login(users["guangzhou"])
    assert f'data-break="{found.pk}"' not in client.get("/inbound/breaks/").content.decode()
    assert client.post(f"/inbound/breaks/{found.pk}/close/", {"resolution": "x"}).status_code == 404
    client.force_login(users["futian"])
    client.post(f"/inbound/breaks/{found.pk}/close/", {"resolution": ""})
    assert LoopBreak.objects.get().closed_at is None
    client.post(f"/inbound/breaks/{found.pk}/close/", {"resolution": "已电话联系接收点，人员已到"})
    assert LoopBreak.objects.get().resolution == "已电话联系接收点，人员已到"


def test_the_loop_of_one_traveller_shows_each_step_and_the_days_remaining(client, users):
    traveller, _handoff = arrived_and_sent(users)
    client.force_login(users["dongguan"])  # the destination county follows its traveller
    page = client.get(f"/inbound/travellers/{traveller.pk}/").content.decode()
    traveller.refresh_from_db()
    assert "data-period" in page and traveller.release_due.isoformat() in page
    assert page.split('class="timeline"')[1].split("</ol>")[0].count("<li>") == 2  # arrived, in transfer


def test_roles_without_the_need_or_the_capability_are_refused(client, users):
    imported(users["futian"], [row()])
    for who in ("analyst", "inspector"):
        client.force_login(users[who])
        for url in ("/inbound/", "/inbound/inbox/", "/inbound/breaks/", "/api/v1/inbound-travellers/"):
            assert client.get(url).status_code == 403, (who, url)
        assert manifest_post(client, (HEADER + "旅客乙,passport,E22222222,441900,\n").encode(),
                             carrier_no="粤Z1111港").status_code == 403
    assert Traveller.objects.count() == 1


def test_the_dashboard_shows_the_loop_per_port_of_the_region_only(client, users):
    arrived_and_sent(users)
    client.force_login(users["futian"])
    page = client.get("/dashboard/440304/").content.decode()
    panel = page.split('data-panel="inbound"')[1]
    assert "皇岗口岸" in panel and "深圳湾口岸" not in panel  # Shenzhen Bay lies in Nanshan
    row = panel.split("皇岗口岸")[1].split("</tr>")[0]
    assert [int(n) for n in re.findall(r"<td>(\d+)</td>", row)] == [1, 1, 0, 0, 0]  # arrivals, in transfer, …
    client.force_login(users["guangzhou"])
    assert "皇岗口岸" not in client.get("/dashboard/440100/").content.decode()


COLUMNS = ["name", "id_kind", "id_number", "destination", "sex", "birth_date"]


def _as_file(travellers: list[dict]) -> bytes:
    lines = [",".join(COLUMNS)] + [",".join(str(t.get(c, "")) for c in COLUMNS) for t in travellers]
    return ("\n".join(lines) + "\n").encode()


CARELESS_MANIFESTS = [
    ({}, [{"sex": "M"}]),  # a row left empty but for one cell
    ({}, [{"name": "旅客甲", "id_kind": "passport", "id_number": "E11223344", "destination": "441900",
           "birth_date": "1990-02-30"}]),
    ({}, [{"name": "旅客甲", "id_kind": "passport", "id_number": "E11223344", "destination": "4419"}]),
    ({}, [{"name": "旅客甲", "id_kind": "citizen_id", "id_number": "440304199001011230", "destination": "441900"}]),
    ({}, [{"name": "旅客甲", "id_kind": "passport", "id_number": "E11223344", "destination": "441900"},
          {"name": "旅客乙", "id_kind": "passport", "id_number": "E11223344", "destination": "441900"}]),  # twice
    ({}, [{"name": "旅客甲", "id_kind": "passport", "id_number": "E11223344", "destination": "999999"},
          {"name": "", "id_kind": "visa", "id_number": "", "destination": "441900", "sex": "X"}]),
    ({"arrival_date": "2022-02-30"}, [{"name": "旅客甲", "id_kind": "passport", "id_number": "E11223344",
                                       "destination": "441900"}]),
    ({"port": "no-such-port"}, [{"name": "旅客甲", "id_kind": "passport", "id_number": "E11223344",
                                 "destination": "441900"}]),
]


@pytest.mark.parametrize(("fields", "travellers"), CARELESS_MANIFESTS, ids=range(len(CARELESS_MANIFESTS)))
def test_a_careless_manifest_gets_the_same_refusal_as_a_file_and_over_the_api(client, users, fields, travellers):
    """The same manifest as a file on the page and as JSON over the API: the same errors by field, and by
    row (a file's row 2 is the API's traveller 1), nothing stored."""
    client.force_login(users["futian"])
    page = manifest_post(client, _as_file(travellers), **fields)
    body = {"port": "huanggang", "carrier": "vehicle", "carrier_no": "粤Z7777港",
            "arrival_date": timezone.localdate().isoformat(), **fields,
            "travellers": [{c: t.get(c, "") for c in COLUMNS} for t in travellers]}  # every column, as a file has
    api = client.post("/api/v1/inbound-manifests/", body, content_type="application/json")
    assert page.status_code == api.status_code == 400
    fields_said = api.json()["error"]["fields"]
    def numbered(row: int, field: str, message: str):  # a message naming rows names them by their numbering
        return row, field, re.sub(r"\d+", "#", message)

    by_row = sorted(numbered(e["row"] + 1, e["field"], e["message"]) for e in fields_said.pop("travellers", []))
    assert page.context["form"].errors == fields_said
    assert sorted(numbered(e["row"], e["field"], e["message"]) for e in page.context["row_errors"]) == by_row
    assert not Traveller.objects.exists()


def test_the_same_manifest_as_a_file_and_over_the_api_stores_the_same_travellers(client, users):
    client.force_login(users["futian"])
    travellers = [{"name": "旅客甲", "id_kind": "passport", "id_number": "E11223344", "destination": "441900",
                   "sex": "M", "birth_date": "1980-05-06"},
                  {"name": "旅客乙", "id_kind": "citizen_id", "id_number": "440304199001011233",
                   "destination": "440304"}]
    columns = ("name", "id_kind", "id_hash", "destination_id", "sex", "birth_date", "status", "port_id", "holder_id")
    assert manifest_post(client, _as_file(travellers), carrier_no="粤Z0001港").status_code == 302
    by_page = sorted(Traveller.objects.values_list(*columns))
    Traveller.objects.all().delete()  # the same persons again: no longer on an open manifest
    body = {"port": "huanggang", "carrier": "vehicle", "carrier_no": "粤Z0001港",
            "arrival_date": timezone.localdate().isoformat(), "travellers": travellers}
    assert client.post("/api/v1/inbound-manifests/", body, content_type="application/json").status_code == 201
    assert sorted(Traveller.objects.values_list(*columns)) == by_page and len(by_page) == 2


def test_the_inbox_and_the_break_list_are_paged_every_row_reachable(client, users, monkeypatch):
    """A page at a time (keyset, ``fangkong.paging``), in the order sent / the longest overdue first: the
    receiver reaches every hand-off, not only the first page's."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    manifest = imported(users["futian"], [row(f"旅客{i}", number=f"E{i:08d}") for i in range(5)]).manifest
    travellers = list(manifest.travellers.order_by("id"))
    now = timezone.now()
    travellers_arrive(actor=users["futian"], travellers=travellers, at=now - dt.timedelta(hours=1))
    for i, traveller in enumerate(travellers):  # one batch each, sent in this order, the later due sooner
        handoff_send(actor=users["futian"], travellers=[traveller], stage="quarantine", receiver_region="440305",
                     receiver_unit="南山隔离酒店", sender_unit="皇岗口岸", expected_at=now,
                     ack_deadline=now + dt.timedelta(minutes=30 - i))
    breaks_sweep(now=now + dt.timedelta(hours=1))
    for user, path, attribute, expected in (
            ("nanshan", "/inbound/inbox/", "data-handoff",
             [h.pk for h in Handoff.objects.order_by("batch_id", "id")]),
            ("futian", "/inbound/breaks/", "data-break",
             [b.pk for b in LoopBreak.objects.order_by("due_at", "id")])):
        client.force_login(users[user])
        seen, url = [], path
        while url:
            html = client.get(url).content.decode()
            seen += [int(pk) for pk in re.findall(attribute + r'="(\d+)"', html)]
            following = re.search(r'href="([^"]*)" rel="next"', html)
            url = path + following.group(1).replace("&amp;", "&") if following else None
        assert seen == expected and len(expected) == 5, path
    assert [b.traveller_id for b in LoopBreak.objects.order_by("due_at")] == [t.pk for t in travellers[::-1]]
