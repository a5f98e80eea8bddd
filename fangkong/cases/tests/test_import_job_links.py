"""The import job's page leads back to the page that submitted its kind (``ImportKind.page``): the cases
module's own kinds to the platform's import page with the cases tabs; a module's kind to that module's page
(a laboratory's result file to that laboratory's), without the cases tabs its importers may not open; a kind
imported through the API only to no import page (the cases page would refuse its importers)."""

from __future__ import annotations

import pytest

from fangkong.cases.jobs import job_sealed
from fangkong.cases.models import ImportJob

pytestmark = pytest.mark.django_db


def _page(client, user, kind: str, target: str = "") -> str:
    job = ImportJob.objects.create(kind=kind, target=target, created_by=user, **job_sealed(b"a,b\n1,2\n", "f.csv"))
    client.force_login(user)
    response = client.get(f"/cases/import/{job.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("kind", "target", "again"), [
    ("cases", "", "/cases/import/"),
    ("followup_checks", "", "/followup/import/"),
    ("keypop_roster", "", "/keypopulations/import/"),
    ("fhir_bundles", "", "/interop/case-reports/import/"),
    ("lab_results", "7", "/laboratory/labs/7/results/import/"),
])
def test_the_job_page_leads_back_to_the_page_of_its_kind(client, shenzhen_epi, kind, target, again):
    from fangkong.modules import import_kinds

    assert kind == "cases" or kind in import_kinds()
    page = _page(client, shenzhen_epi, kind, target)
    assert f'href="{again}"' in page
    assert ('<nav class="tabs">' in page) == (kind == "cases")


def test_a_kind_imported_through_the_api_only_links_to_no_import_page(client, shenzhen_epi):
    page = _page(client, shenzhen_epi, "enterprises")
    assert 'href="/cases/import/"' not in page and '<nav class="tabs">' not in page
