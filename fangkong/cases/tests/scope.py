"""Shenzhen's cases, contact, cluster, risk area and import job for the scope test (issue 6).

The ``scope_records`` of the cases module (``fangkong.modules``): the ids of these are tried on every URL.
"""

from __future__ import annotations

from fangkong.cases.models import ImportJob, RiskArea
from fangkong.cases.services import cluster_create
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.testing.builders import make_person


def other_city_records(actor) -> dict[str, list[str]]:
    index = make_person(actor, name="深圳测试丙", region="440303", phone="13812345670")
    contact_person = make_person(actor, name="福田测试丁", region="440304", phone="13987654320")
    case = make_case(actor, region="440303", person=index)
    contact = make_contact(actor, source_case=case, region="440304", person=contact_person)
    cluster = cluster_create(actor=actor, name="深圳测试聚集", region="440300", cases=[case])
    area = RiskArea.objects.create(region_id="440304", area_name="福田测试小区", level="high",
                                   designated_from=case.report_date)
    job = ImportJob.objects.create(kind="cases", file_name="深圳导入.csv", data=b"", created_by=actor,
                                   status=ImportJob.Status.FAILED,
                                   errors=[{"row": 2, "column": "name", "message": "深圳"}])
    ids = {"case_id": [str(case.pk)], "contact_id": [str(contact.pk)],
           "cluster_id": [str(cluster.pk), str(area.pk)],  # risk areas tried as clusters too
           "area_id": [str(area.pk)], "job_id": [str(job.pk)]}
    return {**ids, "pk": ids["case_id"] + ids["contact_id"] + ids["cluster_id"]}
