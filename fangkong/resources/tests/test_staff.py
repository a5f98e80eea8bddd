"""Staff by team and skill, and their availability per day (rosters, worked or planned): recorded on the page
and through the API with one schema each; a city sees its own teams; a roster of more members than the team
has, a duplicate team, a roster too far ahead → clear errors, nothing changed; the forecast compares the staff
the projection needs with the staff available in cities that record teams."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.regions.models import Region

from .. import forecast, selectors, services
from ..models import StaffRoster, StaffTeam

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(users):
    return services.team_create(actor=users["sz"], region="440304", name="福田医疗队", skill="medical", size=12)


def test_a_roster_is_recorded_once_per_day_replaced_and_audited(users, team):
    today = timezone.localdate()
    services.roster_record(actor=users["sz"], team=team, date=today, available=10)
    services.roster_record(actor=users["sz"], team=team, date=today, available=8)
    services.roster_record(actor=users["sz"], team=team, date=today + dt.timedelta(days=7), available=12)  # planned
    assert list(StaffRoster.objects.order_by("date").values_list("available", flat=True)) == [8, 12]
    update = AuditEvent.objects.filter(object_type="resources.staffroster", action="update").get()
    assert update.detail == {"date": today.isoformat(), "before": 10, "after": 8}
    assert selectors.available_on(user=users["sz"], teams=[team], day=today) == {team.pk: 8}
    assert selectors.available_on(user=users["sz"], teams=[team], day=today - dt.timedelta(days=1)) == {team.pk: 12}


@pytest.mark.parametrize(("date_days", "available", "field"), [(0, 13, "available"), (61, 5, "date")])
def test_a_roster_the_team_cannot_have_is_refused_and_changes_nothing(users, team, date_days, available, field):
    with pytest.raises(ValidationError) as refused:
        services.roster_record(actor=users["sz"], team=team, date=timezone.localdate() + dt.timedelta(days=date_days),
                               available=available)
    assert field in refused.value.message_dict and not StaffRoster.objects.exists()


def test_a_duplicate_team_or_another_citys_team_is_refused(users, team):
    with pytest.raises(ValidationError) as refused:
        services.team_create(actor=users["sz"], region="440304", name="福田医疗队", skill="sampling", size=3)
    assert "name" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.team_create(actor=users["dg"], region="440304", name="别人的队", skill="medical", size=3)
    with pytest.raises(PermissionDenied):
        services.roster_record(actor=users["dg"], team=team, date=timezone.localdate(), available=1)
    assert StaffTeam.objects.count() == 1 and not StaffRoster.objects.exists()


def test_the_page_and_the_api_record_teams_and_rosters_alike_and_a_city_sees_its_own(client, users, team):
    client.force_login(users["sz"])
    page = client.post("/resources/staff/", {"region": "440304", "name": "福田采样队", "skill": "sampling", "size": "20"})
    assert page.status_code == 302
    api = client.post("/api/v1/resource-teams/", {"region": "440304", "name": "福田安保队", "skill": "security",
                                                  "size": 20}, content_type="application/json")
    assert api.status_code == 201 and api.json()["skill"] == "security"
    for bad in ({"size": "0"}, {"skill": "cooking"}, {"region": "441900"}, {"name": ""}):  # page: 400 or 403
        form = {"region": "440304", "name": "福田保洁队", "skill": "cleaning", "size": "5", **bad}
        assert client.post("/resources/staff/", form).status_code in (400, 403)
        body = {**form, "size": int(form["size"])}
        assert client.post("/api/v1/resource-teams/", body, content_type="application/json").status_code in (400, 403)
    assert StaffTeam.objects.count() == 3
    day = timezone.localdate().isoformat()
    assert client.post(f"/resources/staff/{team.pk}/", {"date": day, "available": "13"}).status_code == 400
    assert client.post(f"/api/v1/resource-teams/{team.pk}/roster/", {"date": day, "available": 13},
                       content_type="application/json").status_code == 400
    assert client.post(f"/resources/staff/{team.pk}/", {"date": day, "available": "9"}).status_code == 302
    assert StaffRoster.objects.get().available == 9
    listing = client.get("/resources/staff/").content.decode()
    assert "福田医疗队" in listing and "福田采样队" in listing
    client.force_login(users["dg"])
    assert "福田医疗队" not in client.get("/resources/staff/").content.decode()
    assert client.get(f"/resources/staff/{team.pk}/").status_code == 404
    assert client.get(f"/api/v1/resource-teams/{team.pk}/").status_code == 404
    assert client.post(f"/api/v1/resource-teams/{team.pk}/roster/", {"date": day, "available": 1},
                       content_type="application/json").status_code == 404
    assert StaffRoster.objects.get().available == 9


def test_the_forecast_compares_the_staff_needed_with_the_staff_available(demo_wave, users):
    day = demo_wave.params.start_date + dt.timedelta(days=int(__import__("numpy").bincount(
        demo_wave.cases.report_day).argmax()))
    shenzhen = Region.objects.get(code="440300")
    assert forecast.STAFF not in {line.resource for line in forecast.forecast([shenzhen], day)}  # no teams recorded
    team = services.team_create(actor=users["sz"], region="440304", name="深圳医疗队", skill="medical", size=5)
    services.roster_record(actor=users["sz"], team=team, date=day, available=2)
    staff = {line.resource: line for line in forecast.forecast([shenzhen], day)}[forecast.STAFF]
    assert staff.capacity == 2 and staff.band is not None and staff.band[1] > 2 and staff.warning
