"""Shenzhen's cross-region request to Dongguan for the platform's scope test (``scope_records`` of the module):
a Guangzhou user must see nothing of it, and change nothing, on any URL."""

from __future__ import annotations

from fangkong.cases.tests.builders import make_case
from fangkong.testing.builders import citizen_id, make_person

from ..services import request_send


def other_city_records(actor) -> dict[str, list[str]]:
    index = make_person(actor, name="深圳协查病例", region="440304", phone="13812345600")
    case = make_case(actor, region="440304", person=index)
    req, _created = request_send(actor=actor, sender_region="440300", receiver_region="441900", source_case=case.case_no,
                                 persons=[{"name": "福田协查戊", "citizen_id": citizen_id("440304"), "phone": "13812345601",
                                           "category": "close", "address_text": "深圳市福田区测试路1号"}])
    person_ids = [str(pk) for pk in req.persons.values_list("pk", flat=True)]
    return {"request_id": [str(req.pk)], "person_id": person_ids, "pk": [str(req.pk)]}
