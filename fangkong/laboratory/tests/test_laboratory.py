"""The laboratory module's own tests: an entry recorded from the page and from the API is the same record
(one input schema), bad input is refused the same way by both and changes nothing, a write without the
capability or outside the actor's region is refused."""

import pytest
from django.core.exceptions import PermissionDenied

from fangkong.inputs import validate_row

from ..inputs import EntryInput
from ..models import Entry
from ..selectors import entry_list
from ..services import entry_create

pytestmark = pytest.mark.django_db


def test_a_commander_records_an_entry_seen_in_scope_only(shenzhen_epi, province_commander, guangzhou_epi):
    entry = entry_create(actor=province_commander, region="440304", title="福田")
    assert list(entry_list(user=province_commander)) == [entry]
    assert list(entry_list(user=guangzhou_epi)) == []


def test_page_api_and_import_record_the_same_entry(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    assert client.post("/laboratory/new/", {"region": "440304", "title": " 福田 "}).status_code == 302
    assert client.post("/api/v1/laboratory-entries/", {"region": "440304", "title": " 福田 "},
                       content_type="application/json").status_code == 201
    data, errors = validate_row(EntryInput, {"region": "440304", "title": " 福田 "})
    assert errors == {}
    entry_create(actor=shenzhen_epi, **data)
    assert list(Entry.objects.values_list("region_id", "title", "created_by")) == [("440304", "福田", shenzhen_epi.pk)] * 3


def test_bad_input_is_refused_alike_and_changes_nothing(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    page = client.post("/laboratory/new/", {"region": "4403", "title": ""})
    api = client.post("/api/v1/laboratory-entries/", {"region": "4403", "title": ""}, content_type="application/json")
    assert page.status_code == api.status_code == 400
    assert set(api.json()["error"]["fields"]) == {"region", "title"}
    assert set(validate_row(EntryInput, {"region": "4403", "title": ""})[1]) == {"region", "title"}
    assert Entry.objects.count() == 0


def test_a_user_without_the_capability_or_outside_the_region_is_refused(client, analyst, guangzhou_epi):
    with pytest.raises(PermissionDenied):
        entry_create(actor=analyst, region="440304", title="x")
    client.force_login(guangzhou_epi)
    assert client.post("/laboratory/new/", {"region": "440304", "title": "x"}).status_code == 403
    assert client.post("/api/v1/laboratory-entries/", {"region": "440304", "title": "x"},
                       content_type="application/json").status_code == 403
    assert Entry.objects.count() == 0
