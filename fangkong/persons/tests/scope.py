"""Shenzhen's persons for the scope test (``scope_records`` of the persons module, ``fangkong.modules``)."""

from __future__ import annotations

from fangkong.testing.builders import make_person

#: Names only a view of Shenzhen could show.
NAMES = ("深圳测试甲", "福田测试乙")


def other_city_records(actor) -> dict[str, list[str]]:
    people = [
        make_person(actor, name=NAMES[0], region="440303", phone="13812345678"),
        make_person(actor, name=NAMES[1], region="440304", phone="13987654321"),
    ]
    ids = [str(p.pk) for p in people]
    return {"pk": ids, "person_id": ids}
